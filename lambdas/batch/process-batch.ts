import type { BatchRules } from '../domain/environment';
import { errorText } from '../domain/errors';
import { minuteLabel, resultKey } from '../domain/keys';
import { redeliveredRequests, withoutAlreadyStored } from '../domain/ledger';
import { segmentByExclusion } from '../domain/segment';
import type { ResultsObject } from '../domain/stored-objects';
import type { BatchLedger } from '../ledger/ledger-interfaces';
import { ATTEMPT_PAUSE_MS, type DeadLetters } from '../shared/dead-letters';
import { decodeRecords, type Entry, type QueueRecord } from '../shared/queue-records';
import {
  type FailureReport,
  NEXT_RETRY,
  type RecordFailure,
  recordGivenUp,
  recordMalformed,
} from './failure-records';
import { type LedgerRecorder, ledgerRecorder } from './ledger-recorder';
import type { ObjectStore } from './object-store';
import { type EntryFailure, refOf } from './records';

export interface BatchDeps {
  readonly store: ObjectStore;
  readonly clock: () => Date;
  /** The request ledger: what is stored and failed per request, and the redelivery filter. */
  readonly ledger: BatchLedger;
  /** Where the function moves what failed its last attempt. */
  readonly deadLetters: DeadLetters;
  /** Waits between attempts. */
  readonly pause: (ms: number) => Promise<void>;
}

/** A results object written in this invocation: its key and its items in order. */
export interface WrittenSegment {
  readonly key: string;
  readonly items: readonly number[];
}

export interface BatchOutcome {
  /**
   * Message ids for `batchItemFailures`, which SQS redelivers: failures the function could neither
   * store nor move to the dead-letter queue itself (nor, for a malformed one, record).
   */
  readonly failedMessageIds: string[];
  readonly failures: RecordFailure[];
  readonly written: WrittenSegment[];
  readonly itemsStored: number;
  readonly segmentsWritten: number;
  readonly exclusionSplits: number;
  readonly failureRecordsWritten: number;
  /** Failure records that could not be written; the message still goes to the DLQ. */
  readonly failureRecordErrors: string[];
  /** Attempts made at the writes (0 when nothing was to be written). */
  readonly attempts: number;
  /** Redelivered records the ledger shows stored: acknowledged without a second write. */
  readonly itemsAlreadyStored: number;
  /** Ledger calls that failed: the records went on exactly as without a ledger. */
  readonly ledgerErrors: string[];
}

/** A results object written in this invocation, with the entries it holds. */
interface WrittenPart {
  readonly key: string;
  readonly entries: readonly Entry[];
}

interface StoreOutcome {
  readonly written: WrittenPart[];
  readonly exclusionSplits: number;
  readonly failures: EntryFailure[];
}

interface AttemptsOutcome extends StoreOutcome {
  readonly attempts: number;
}

const resultsObjectOf = (segment: readonly Entry[], writtenAt: Date): ResultsObject => ({
  v: 1,
  minute: minuteLabel(writtenAt),
  writtenAt: writtenAt.toISOString(),
  items: segment.map(({ record, envelope }) => ({
    item: envelope.item,
    requestId: envelope.requestId,
    index: envelope.index,
    messageId: record.messageId,
    groupId: record.groupId,
    acceptedAt: envelope.acceptedAt,
  })),
});

/** One object per segment, under the minute of the write; the key hashes the deduplication ids. */
async function writeSegment(segment: readonly Entry[], deps: BatchDeps): Promise<WrittenPart> {
  const writtenAt = deps.clock();
  const key = resultKey(
    writtenAt,
    segment.map((entry) => entry.record.deduplicationId),
  );
  await deps.store.putResults(key, resultsObjectOf(segment, writtenAt));
  return { key, entries: segment };
}

/** A segment's entries by message group, each group's in delivery order. */
function byGroup(entries: readonly Entry[]): Map<string, Entry[]> {
  const groups = new Map<string, Entry[]>();
  for (const entry of entries) {
    const group = groups.get(entry.record.groupId) ?? [];
    group.push(entry);
    groups.set(entry.record.groupId, group);
  }
  return groups;
}

/**
 * Writes one segment; if it spans several message groups and fails, writes each group's part on its
 * own, so a failure fails only the groups it belongs to (the contract's Batch writer: other groups carry on).
 */
async function writeIsolatingGroups(
  segment: readonly Entry[],
  deps: BatchDeps,
): Promise<{ written: WrittenPart[]; failed: Map<string, unknown> }> {
  try {
    return { written: [await writeSegment(segment, deps)], failed: new Map() };
  } catch (error) {
    const parts = [...byGroup(segment)];
    if (parts.length === 1)
      return { written: [], failed: new Map(parts.map(([groupId]) => [groupId, error])) };
    const written: WrittenPart[] = [];
    const failed = new Map<string, unknown>();
    await Promise.all(
      parts.map(async ([groupId, part]) => {
        try {
          written.push(await writeSegment(part, deps));
        } catch (partError) {
          failed.set(groupId, partError);
        }
      }),
    );
    return { written, failed };
  }
}

/** Entries of groups that already failed in this invocation are not written: nothing overtakes a failure. */
function withoutBlocked(
  segment: readonly Entry[],
  failedGroups: ReadonlyMap<string, string>,
): { writable: Entry[]; blocked: EntryFailure[] } {
  const writable: Entry[] = [];
  const blocked: EntryFailure[] = [];
  for (const entry of segment) {
    const blockedBy = failedGroups.get(entry.record.groupId);
    if (blockedBy === undefined) writable.push(entry);
    else blocked.push({ entry, reason: 'earlier_item_failed', error: `Blocked by ${blockedBy}` });
  }
  return { writable, blocked };
}

/**
 * Valid records in delivery order, cut by the exclusion rule and the batch size into segments that
 * may span message groups, so each object is as full as the rules allow. Segments are written one
 * after another; once a group fails, its later records are not written, so nothing overtakes it.
 * Each object written goes to the ledger at once.
 */
async function storeEntries(
  entries: readonly Entry[],
  rules: BatchRules,
  deps: BatchDeps,
  ledger: LedgerRecorder,
): Promise<StoreOutcome> {
  const { segments, exclusionSplits } = segmentByExclusion(entries, (entry) => entry.envelope.item, {
    exclusionPairs: rules.exclusionPairs,
    maxSize: rules.batchSize,
  });
  const failedGroups = new Map<string, string>();
  const failures: EntryFailure[] = [];
  const stored: WrittenPart[] = [];
  for (const segment of segments) {
    const { writable, blocked } = withoutBlocked(segment, failedGroups);
    failures.push(...blocked);
    if (writable.length === 0) continue;
    const { written, failed } = await writeIsolatingGroups(writable, deps);
    for (const part of written) ledger.stored(part.key, part.entries.map(refOf));
    stored.push(...written);
    for (const [groupId, error] of failed) failedGroups.set(groupId, errorText(error));
    for (const entry of writable) {
      const error = failed.has(entry.record.groupId) ? failedGroups.get(entry.record.groupId) : undefined;
      if (error !== undefined) failures.push({ entry, reason: 'write_failed', error });
    }
  }
  return { written: stored, exclusionSplits, failures };
}

/**
 * Up to `writeAttempts` attempts: each takes the entries the previous one could not store (a failed
 * write and what its group holds behind it), in delivery order, and cuts them into segments again.
 */
async function storeWithAttempts(
  entries: readonly Entry[],
  rules: BatchRules,
  deps: BatchDeps,
  ledger: LedgerRecorder,
): Promise<AttemptsOutcome> {
  const position = new Map(entries.map((entry, at) => [entry.record.messageId, at]));
  const written: WrittenPart[] = [];
  let exclusionSplits = 0;
  let failures: EntryFailure[] = [];
  let remaining = entries;
  let attempts = 0;
  while (remaining.length > 0 && attempts < rules.writeAttempts) {
    if (attempts > 0) await deps.pause(ATTEMPT_PAUSE_MS * attempts);
    attempts += 1;
    const outcome = await storeEntries(remaining, rules, deps, ledger);
    written.push(...outcome.written);
    exclusionSplits += outcome.exclusionSplits;
    failures = outcome.failures.toSorted(
      (a, b) => (position.get(a.entry.record.messageId) ?? 0) - (position.get(b.entry.record.messageId) ?? 0),
    );
    remaining = failures.map(({ entry }) => entry);
  }
  return { written, exclusionSplits, failures, attempts };
}

/**
 * What failed every attempt: its failure record first, then the function moves it to the dead-letter
 * queue itself and the ledger marks it failed. Only what the queue refused is left to SQS's
 * redelivery, which never lets a failure pass silently.
 */
async function giveUp(
  failures: readonly EntryFailure[],
  attempts: number,
  deps: BatchDeps,
  ledger: LedgerRecorder,
): Promise<FailureReport> {
  if (failures.length === 0) return { failures: [], recordsWritten: 0, recordErrors: [] };
  const { recorded, recordErrors } = await recordGivenUp(failures, attempts, deps);
  const { moved, errors } = await deps.deadLetters.move(
    failures.map(({ entry, reason }) => ({
      record: entry.record,
      reason,
      attempts,
      recorded: recorded.has(entry.record.messageId),
    })),
  );
  const isMoved = new Set(moved);
  ledger.failed(
    failures.filter(({ entry }) => isMoved.has(entry.record.messageId)).map(({ entry }) => refOf(entry)),
  );
  return {
    recordsWritten: recorded.size,
    recordErrors,
    failures: failures.map(({ entry, reason, error }) => {
      const moveError = errors.get(entry.record.messageId);
      return {
        messageId: entry.record.messageId,
        reason,
        error,
        retried: moveError !== undefined,
        item: entry.envelope.item,
        receiveCount: entry.record.receiveCount,
        next:
          moveError === undefined
            ? `dead-lettered after ${attempts} attempts (failure record under failed/)`
            : `${NEXT_RETRY}: the dead-letter queue refused it (${moveError})`,
      };
    }),
  };
}

/** The outcome, failures in delivery order. */
function outcomeOf(
  records: readonly QueueRecord[],
  stored: AttemptsOutcome,
  reports: readonly FailureReport[],
  ledger: { readonly itemsAlreadyStored: number; readonly ledgerErrors: string[] },
): BatchOutcome {
  const written = stored.written.map(({ key, entries }) => ({
    key,
    items: entries.map((entry) => entry.envelope.item),
  }));
  const order = new Map(records.map((record, position) => [record.messageId, position]));
  const failures = reports
    .flatMap((report) => report.failures)
    .sort((a, b) => (order.get(a.messageId) ?? 0) - (order.get(b.messageId) ?? 0));
  return {
    failedMessageIds: failures.filter((failure) => failure.retried).map((failure) => failure.messageId),
    failures,
    written,
    itemsStored: written.reduce((sum, segment) => sum + segment.items.length, 0),
    segmentsWritten: written.length,
    exclusionSplits: stored.exclusionSplits,
    failureRecordsWritten: reports.reduce((sum, report) => sum + report.recordsWritten, 0),
    failureRecordErrors: reports.flatMap((report) => report.recordErrors),
    attempts: stored.attempts,
    ...ledger,
  };
}

/**
 * Redelivered entries the ledger shows stored are left out: a crash after the write (or a lost
 * acknowledgement) then costs no second object. A ledger that cannot say leaves every entry in.
 */
async function withoutStoredRedeliveries(
  entries: readonly Entry[],
  ledger: LedgerRecorder,
): Promise<{ toWrite: Entry[]; alreadyStored: Entry[] }> {
  const stored = await ledger.storedIndexes(redeliveredRequests(entries, refOf));
  return withoutAlreadyStored(entries, refOf, stored);
}

/**
 * Stores one invocation's records (the contract's Batch writer): valid items cut by the exclusion
 * rule into objects of at most `batchSize`, written in up to `writeAttempts` attempts; malformed
 * records as failure records; items that failed every attempt as failure records, moved to the
 * dead-letter queue by the function itself. The request ledger learns what was stored and what
 * failed, and redelivered items it shows stored are acknowledged without a write.
 */
export async function processBatch(
  records: readonly QueueRecord[],
  rules: BatchRules,
  deps: BatchDeps,
): Promise<BatchOutcome> {
  const ledger = ledgerRecorder(deps.ledger);
  const decoded = decodeRecords(records);
  const { toWrite, alreadyStored } = await withoutStoredRedeliveries(decoded.entries, ledger);
  const stored = await storeWithAttempts(toWrite, rules, deps, ledger);
  const malformedReport = await recordMalformed(decoded.malformed, deps);
  const givenUpReport = await giveUp(stored.failures, stored.attempts, deps, ledger);
  const ledgerErrors = await ledger.settle();
  return outcomeOf(records, stored, [malformedReport, givenUpReport], {
    itemsAlreadyStored: alreadyStored.length,
    ledgerErrors,
  });
}
