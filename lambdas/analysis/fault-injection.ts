import { type FaultSettings, failIfDrawn } from '../shared/fault-injection';
import type { ConsumerWindows } from '../windows/window-interfaces';

/**
 * The windows with pane writes failing before they reach the table as FAULT_ITEMS and FAULT_RATE say
 * (chaos runs of an analysis); the windows themselves when both are off.
 */
export function withWindowFaults(
  windows: ConsumerWindows,
  faults: FaultSettings,
  random: () => number,
): ConsumerWindows {
  if (faults.faultRate === 0 && faults.faultItems.length === 0) return windows;
  return {
    writePane: async (write) => {
      failIfDrawn(
        write.items.map(({ value }) => value),
        faults,
        random,
      );
      return windows.writePane(write);
    },
    addLate: (windowStart, items) => windows.addLate(windowStart, items),
  };
}
