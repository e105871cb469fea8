import { errorText } from '../domain/errors';
import { type ItemRef, indexesByRequest } from '../domain/ledger';
import type { BatchLedger } from '../ledger/ledger-interfaces';

/**
 * The batch writer's ledger calls in one invocation. A write starts as soon as there is something to
 * record (right after a segment write) and all are awaited once, at the end; a call that fails is
 * collected as an error and changes nothing else, so records are stored, retried and acknowledged
 * exactly as without a ledger (the contract: the ledger is never on the path of data loss).
 */
export interface LedgerRecorder {
  /** What the ledger shows stored for each request; nothing (write as before) when it cannot say. */
  storedIndexes(requestIds: readonly string[]): Promise<ReadonlyMap<string, ReadonlySet<number>>>;
  /** A results object was written with these items. */
  stored(objectKey: string, items: readonly ItemRef[]): void;
  /** These items failed their final attempt and go to the dead-letter queue. */
  failed(items: readonly ItemRef[]): void;
  /** Waits for every write started; returns the calls that failed, `<call> <request>: <error>`. */
  settle(): Promise<string[]>;
}

export function ledgerRecorder(ledger: BatchLedger): LedgerRecorder {
  // Stryker disable next-line ArrayDeclaration: Promise.all takes a non-promise as resolved, so a stray element changes nothing
  const writes: Promise<void>[] = [];
  const errors: string[] = [];
  const track = (call: string, write: () => Promise<void>): void => {
    writes.push(
      write().catch((error: unknown) => {
        errors.push(`${call}: ${errorText(error)}`);
      }),
    );
  };

  return {
    async storedIndexes(requestIds) {
      if (requestIds.length === 0) return new Map();
      try {
        return await ledger.storedIndexes(requestIds);
      } catch (error) {
        errors.push(`read stored: ${errorText(error)}`);
        return new Map();
      }
    },
    stored(objectKey, items) {
      for (const [requestId, indexes] of indexesByRequest(items)) {
        track(`stored ${requestId}`, () => ledger.recordStored(requestId, indexes, objectKey));
      }
    },
    failed(items) {
      for (const [requestId, indexes] of indexesByRequest(items)) {
        track(`failed ${requestId}`, () => ledger.recordFailed(requestId, indexes));
      }
    },
    async settle() {
      await Promise.all(writes);
      return errors;
    },
  };
}
