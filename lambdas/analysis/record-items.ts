import type { Analysis } from '../domain/analyses';
import { errorText } from '../domain/errors';
import type { ItemRef } from '../domain/ledger';
import { isLateFor, paneOf, windowStartsOfPane } from '../domain/windows';
import { ATTEMPT_PAUSE_MS, type DeadLetters } from '../shared/dead-letters';
import { decodeRecords, type Entry, type QueueRecord } from '../shared/queue-records';
import type { ConsumerWindows } from '../windows/window-interfaces';

/**
 * An analysis's consumer (the contract's analyses): each item goes into its pane's row, one row per
 * (pane, request), written with if_not_exists so that a redelivery counts nothing twice and the row
 * keeps each item's first arrival. An item that first arrived after a window's end plus the lateness
 * is late for that window: recorded on the window's row, never added. Counting commutes, so records
 * need no order: every row is written at once, and a failed write fails only its own records.
 *
 * A failed write is tried again within the invocation, up to `writeAttempts` in all; what failed every
 * attempt the consumer moves to the analysis's dead-letter queue itself, as the batch writer does. Its
 * queue then never holds a failing backlog that waits out visibility timeouts (and takes the analysis's
 * concurrency), and a throttled receive cannot hide a failure.
 */

export interface AnalysisDeps {
  readonly windows: ConsumerWindows;
  readonly clock: () => Date;
  /** The analysis's dead-letter queue, where the consumer moves what failed every attempt. */
  readonly deadLetters: DeadLetters;
  /** Waits between attempts. */
  readonly pause: (ms: number) => Promise<void>;
}

export interface RecordFailure {
  readonly messageId: string;
  readonly item: number;
  readonly receiveCount: number;
  readonly error: string;
  /** Whether SQS redelivers it: the dead-letter queue refused it. */
  readonly retried: boolean;
  /** Where the record went, in words for the log. */
  readonly next: string;
}

export interface RecordOutcome {
  /** For `batchItemFailures`: records the dead-letter queue refused, which SQS then redelivers. */
  readonly failedMessageIds: string[];
  /** Records that failed every attempt, in delivery order. */
  readonly failures: RecordFailure[];
  /** Records moved to the dead-letter queue after their last attempt. */
  readonly deadLettered: number;
  /** Attempts made at the writes (0 when nothing was to be written). */
  readonly attempts: number;
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

interface GroupFailure {
  readonly group: PaneGroup;
  readonly error: string;
}

interface AttemptsOutcome {
  readonly itemsCounted: number;
  readonly itemsLate: number;
  readonly failed: GroupFailure[];
  readonly attempts: number;
}

/** Up to `writeAttempts` attempts: each writes the groups the previous one could not. */
async function recordWithAttempts(
  groups: readonly PaneGroup[],
  analysis: Analysis,
  receivedAtMs: number,
  writeAttempts: number,
  deps: AnalysisDeps,
): Promise<AttemptsOutcome> {
  let itemsCounted = 0;
  let itemsLate = 0;
  let failed: GroupFailure[] = [];
  let remaining = groups;
  let attempts = 0;
  while (remaining.length > 0 && attempts < writeAttempts) {
    if (attempts > 0) await deps.pause(ATTEMPT_PAUSE_MS * attempts);
    attempts += 1;
    const settled = await Promise.allSettled(
      remaining.map((group) => recordGroup(group, analysis, receivedAtMs, deps.windows)),
    );
    failed = [];
    for (const [position, result] of settled.entries()) {
      const group = remaining[position] as PaneGroup;
      if (result.status === 'rejected') {
        failed.push({ group, error: errorText(result.reason) });
        continue;
      }
      itemsCounted += group.entries.length;
      itemsLate += result.value;
    }
    remaining = failed.map(({ group }) => group);
  }
  return { itemsCounted, itemsLate, failed, attempts };
}

/** Moves what failed every attempt to the dead-letter queue; what it refuses goes back to SQS. */
async function deadLetter(
  failed: readonly GroupFailure[],
  attempts: number,
  order: ReadonlyMap<string, number>,
  deps: AnalysisDeps,
): Promise<RecordFailure[]> {
  const entries = failed
    .flatMap(({ group, error }) => group.entries.map((entry) => ({ entry, error })))
    .sort((a, b) => (order.get(a.entry.record.messageId) ?? 0) - (order.get(b.entry.record.messageId) ?? 0));
  if (entries.length === 0) return [];
  const { errors } = await deps.deadLetters.move(
    entries.map(({ entry }) => ({ record: entry.record, reason: 'write_failed', attempts, recorded: false })),
  );
  return entries.map(({ entry: { record, envelope }, error }) => {
    const moveError = errors.get(record.messageId);
    return {
      messageId: record.messageId,
      item: envelope.item,
      receiveCount: record.receiveCount,
      error,
      retried: moveError !== undefined,
      next:
        moveError === undefined
          ? `dead-lettered after ${attempts} attempts`
          : `retried by SQS: the dead-letter queue refused it (${moveError})`,
    };
  });
}

/** Records one invocation's items in their panes; see the module's comment. */
export async function recordItems(
  records: readonly QueueRecord[],
  analysis: Analysis,
  writeAttempts: number,
  deps: AnalysisDeps,
): Promise<RecordOutcome> {
  // When this delivery was received: a row keeps it only for items it did not hold yet.
  const receivedAtMs = deps.clock().getTime();
  const { entries, malformed } = decodeRecords(records);
  const groups = byPaneAndRequest(entries, analysis);
  const recorded = await recordWithAttempts(groups, analysis, receivedAtMs, writeAttempts, deps);
  const order = new Map(records.map((record, position) => [record.messageId, position]));
  const failures = await deadLetter(recorded.failed, recorded.attempts, order, deps);
  const retried = failures.filter((failure) => failure.retried);
  return {
    failedMessageIds: retried.map(({ messageId }) => messageId),
    failures,
    deadLettered: failures.length - retried.length,
    attempts: recorded.attempts,
    itemsCounted: recorded.itemsCounted,
    itemsLate: recorded.itemsLate,
    malformed: malformed.map(({ record, error }) => ({ messageId: record.messageId, error: error.message })),
  };
}
