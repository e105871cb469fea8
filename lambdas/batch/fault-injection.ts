import { type FaultSettings, failIfDrawn } from '../shared/fault-injection';
import type { ObjectStore } from './object-store';

/**
 * The store, with results writes failing before they reach it as FAULT_ITEMS and FAULT_RATE say;
 * the store itself when both are off. Failure records are never faulted.
 */
export function withStorageFaults(
  store: ObjectStore,
  faults: FaultSettings,
  random: () => number,
): ObjectStore {
  if (faults.faultRate === 0 && faults.faultItems.length === 0) return store;
  return {
    putResults: async (key, object) => {
      failIfDrawn(
        object.items.map(({ item }) => item),
        faults,
        random,
      );
      await store.putResults(key, object);
    },
    putFailureRecord: (key, record) => store.putFailureRecord(key, record),
  };
}
