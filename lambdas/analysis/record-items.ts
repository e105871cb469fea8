import type { Analysis } from '../domain/analyses';
import { errorText } from '../domain/errors';
import type { ItemRef } from '../domain/ledger';
import { isLateFor, paneOf, windowStartsOfPane } from '../domain/windows';
import { decodeRecords, type Entry, type QueueRecord } from '../shared/queue-records';
import type { ConsumerWindows } from '../windows/window-interfaces';

/**
 * An analysis's consumer (the contract's analyses): each item goes into its pane's row, one row per
 * (pane, request), written with if_not_exists so that a redelivery counts nothing twice and the row
 * keeps each item's first arrival. An item that first arrived after a window's end plus the lateness
 * is late for that window: recorded on the window's row, never added. Counting commutes, so records
 * need no order: every row is written at once, and a failed write fails only its own records.
 */

export interface AnalysisDeps {
  readonly windows: ConsumerWindows;
  readonly clock: () => Date;
}

export interface RecordFailure {
  readonly messageId: string;
  readonly item: number;
  readonly receiveCount: number;
  readonly error: string;
}

export interface RecordOutcome {
  /** For `batchItemFailures`: SQS redelivers these, then moves them to the analysis's dead-letter queue. */
  readonly failedMessageIds: string[];
  readonly failures: RecordFailure[];
  /** Items written to their pane row (again, for a redelivery: the row keeps the first). */
  readonly itemsCounted: number;
  /** Items late for at least one of their windows. */
  readonly itemsLate: number;
  /** Records without a valid envelope: acknowledged, since the storage path keeps their failure record. */
  readonly malformed: { readonly messageId: string; readonly error: string }[];
}

interface PaneGroup {
  readonly paneStart: number;
  readonly requestId: string;
  readonly entries: Entry[];
}

/** The entries by (pane, request): one row each. A request's items share an acceptance time, so a pane. */
function byPaneAndRequest(entries: readonly Entry[], analysis: Analysis): PaneGroup[] {
  const groups = new Map<string, PaneGroup>();
  for (const entry of entries) {
    const { requestId, acceptedAt } = entry.envelope;
    const paneStart = paneOf(Date.parse(acceptedAt), analysis.advanceSeconds);
    const key = `${paneStart}\n${requestId}`;
    const group = groups.get(key) ?? { paneStart, requestId, entries: [] };
    group.entries.push(entry);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/** Writes one row, then marks its items late where their first arrival was too late; returns the late items. */
async function recordGroup(
  group: PaneGroup,
  analysis: Analysis,
  receivedAtMs: number,
  windows: ConsumerWindows,
): Promise<number> {
  const row = await windows.writePane({
    paneStart: group.paneStart,
    requestId: group.requestId,
    items: group.entries.map(({ envelope }) => ({ index: envelope.index, value: envelope.item })),
    receivedAtMs,
  });
  const lateByWindow = new Map<number, ItemRef[]>();
  let itemsLate = 0;
  for (const { envelope } of group.entries) {
    // Stryker disable next-line LogicalOperator,OptionalChaining: the row just written holds every index of the group
    const arrivedAtMs = row.items.get(envelope.index)?.arrivedAtMs ?? receivedAtMs;
    const lateFor = windowStartsOfPane(group.paneStart, analysis).filter((start) =>
      isLateFor(arrivedAtMs, start, analysis),
    );
    if (lateFor.length > 0) itemsLate += 1;
    for (const start of lateFor) {
      lateByWindow.set(start, [...(lateByWindow.get(start) ?? []), envelope]);
    }
  }
  await Promise.all([...lateByWindow].map(([start, items]) => windows.addLate(start, items)));
  return itemsLate;
}

/** Records one invocation's items in their panes; see the module's comment. */
export async function recordItems(
  records: readonly QueueRecord[],
  analysis: Analysis,
  deps: AnalysisDeps,
): Promise<RecordOutcome> {
  // When this delivery was received: a row keeps it only for items it did not hold yet.
  const receivedAtMs = deps.clock().getTime();
  const { entries, malformed } = decodeRecords(records);
  const groups = byPaneAndRequest(entries, analysis);
  const settled = await Promise.allSettled(
    groups.map((group) => recordGroup(group, analysis, receivedAtMs, deps.windows)),
  );
  const failures: RecordFailure[] = [];
  let itemsCounted = 0;
  let itemsLate = 0;
  for (const [position, result] of settled.entries()) {
    const group = groups[position] as PaneGroup;
    if (result.status === 'fulfilled') {
      itemsCounted += group.entries.length;
      itemsLate += result.value;
      continue;
    }
    for (const { record, envelope } of group.entries) {
      failures.push({
        messageId: record.messageId,
        item: envelope.item,
        receiveCount: record.receiveCount,
        error: errorText(result.reason),
      });
    }
  }
  return {
    failedMessageIds: failures.map(({ messageId }) => messageId),
    failures,
    itemsCounted,
    itemsLate,
    malformed: malformed.map(({ record, error }) => ({ messageId: record.messageId, error: error.message })),
  };
}
