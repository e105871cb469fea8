import type { BatchRules } from '../domain/environment';
import { errorText } from '../domain/errors';
import { minuteLabel, resultKey } from '../domain/keys';
import { redeliveredRequests, withoutAlreadyStored } from '../domain/ledger';
import { segmentByExclusion } from '../domain/segment';
import type { ResultsObject } from '../domain/stored-objects';
import type { BatchLedger } from '../ledger/ledger-interfaces';
import { decodeRecords, type Entry, type QueueRecord } from '../shared/queue-records';
import {
  type FailureReport,
  type RecordFailure,
  recordFinalFailures,
  recordMalformed,
} from './failure-records';
import { type LedgerRecorder, ledgerRecorder } from './ledger-recorder';
import type { ObjectStore } from './object-store';
import { type EntryFailure, isFinalAttempt, refOf } from './records';

export interface BatchDeps {
  readonly store: ObjectStore;
  readonly clock: () => Date;
  /** The request ledger: what is stored and failed per request, and the redelivery filter. */
  readonly ledger: BatchLedger;
}

/** A results object written in this invocation: its key and its items in order. */
export interface WrittenSegment {
  readonly key: string;
  readonly items: readonly number[];
}

export interface BatchOutcome {
  /** Message ids for `batchItemFailures`: SQS redelivers these, then moves them to the DLQ. */
  readonly failedMessageIds: string[];
  readonly failures: RecordFailure[];
  readonly written: WrittenSegment[];
  readonly itemsStored: number;
  readonly segmentsWritten: number;
  readonly exclusionSplits: number;
  readonly failureRecordsWritten: number;
  /** Failure records that could not be written; the message still goes to the DLQ. */
  readonly failureRecordErrors: string[];
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

/** The outcome, failures in delivery order. */
function outcomeOf(
  records: readonly QueueRecord[],
  stored: StoreOutcome,
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
 * rule into objects of at most `batchSize`, malformed records as failure records, and failure
 * records for items on their final receive; the request ledger learns what was stored and what
 * failed for good, and redelivered items it shows stored are acknowledged without a write.
 */
export async function processBatch(
  records: readonly QueueRecord[],
  rules: BatchRules,
  deps: BatchDeps,
): Promise<BatchOutcome> {
  const ledger = ledgerRecorder(deps.ledger);
  const decoded = decodeRecords(records);
  const { toWrite, alreadyStored } = await withoutStoredRedeliveries(decoded.entries, ledger);
  const stored = await storeEntries(toWrite, rules, deps, ledger);
  const malformedReport = await recordMalformed(decoded.malformed, deps);
  const finalReport = await recordFinalFailures(stored.failures, rules, deps);
  ledger.failed(
    stored.failures.filter(({ entry }) => isFinalAttempt(entry, rules)).map(({ entry }) => refOf(entry)),
  );
  const ledgerErrors = await ledger.settle();
  return outcomeOf(records, stored, [malformedReport, finalReport], {
    itemsAlreadyStored: alreadyStored.length,
    ledgerErrors,
  });
}
