import { decodeEnvelope, type Envelope } from '../domain/envelope';
import { errorText, MalformedEnvelopeError } from '../domain/errors';
import { failureKey, minuteLabel, resultKey } from '../domain/keys';
import { type ItemRef, redeliveredRequests, withoutAlreadyStored } from '../domain/ledger';
import { segmentByExclusion } from '../domain/segment';
import type { BatchRules } from '../domain/settings';
import type { BatchLedger } from '../ledger/request-ledger';
import { type LedgerRecorder, ledgerRecorder } from './ledger-recorder';
import type { FailureReason, FailureRecord, ObjectStore, ResultsObject } from './object-store';

/** An SQS record reduced to what the batch rules need, in delivery order. */
export interface QueueRecord {
  readonly messageId: string;
  readonly body: string;
  readonly groupId: string;
  readonly deduplicationId: string;
  readonly receiveCount: number;
}

export interface BatchDeps {
  readonly store: ObjectStore;
  readonly clock: () => Date;
  /** The request ledger: what is stored and failed per request, and the redelivery filter. */
  readonly ledger: BatchLedger;
}

export interface RecordFailure {
  readonly messageId: string;
  readonly reason: FailureReason;
  readonly error: string;
  /** Acknowledged failures (malformed records) are recorded in S3 and not retried. */
  readonly retried: boolean;
  /** The item, when the record was a valid envelope. */
  readonly item?: number;
  readonly receiveCount: number;
  /** What happens to the record now, in words for the log. */
  readonly next: string;
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

interface Entry {
  readonly record: QueueRecord;
  readonly envelope: Envelope;
}

interface Malformed {
  readonly record: QueueRecord;
  readonly error: MalformedEnvelopeError;
}

interface EntryFailure {
  readonly entry: Entry;
  readonly reason: FailureReason;
  readonly error: string;
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

/** What one kind of failure came to: the failures, and the failure records written or not. */
interface FailureReport {
  readonly failures: RecordFailure[];
  readonly recordsWritten: number;
  readonly recordErrors: string[];
}

/** Where an entry's item came from, and which delivery this is. */
const refOf = ({ envelope, record }: Entry): ItemRef & { readonly receiveCount: number } => ({
  requestId: envelope.requestId,
  index: envelope.index,
  receiveCount: record.receiveCount,
});

/** On this receive a failed record goes to the dead-letter queue next. */
const isFinalAttempt = (entry: Entry, rules: BatchRules): boolean =>
  entry.record.receiveCount >= rules.maxReceiveCount;

function decodeRecords(records: readonly QueueRecord[]): { entries: Entry[]; malformed: Malformed[] } {
  const entries: Entry[] = [];
  const malformed: Malformed[] = [];
  for (const record of records) {
    try {
      entries.push({ record, envelope: decodeEnvelope(record.body) });
    } catch (error) {
      if (!(error instanceof MalformedEnvelopeError)) throw error;
      malformed.push({ record, error });
    }
  }
  return { entries, malformed };
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

/** A failure record names the item and its request when the envelope was valid, else keeps the body. */
async function writeFailureRecord(
  deps: BatchDeps,
  record: QueueRecord,
  failure: { reason: FailureReason; error: string; envelope?: Envelope },
): Promise<void> {
  const writtenAt = deps.clock();
  const { envelope } = failure;
  const body: FailureRecord = {
    v: 1,
    minute: minuteLabel(writtenAt),
    writtenAt: writtenAt.toISOString(),
    reason: failure.reason,
    error: failure.error,
    messageId: record.messageId,
    groupId: record.groupId,
    receiveCount: record.receiveCount,
    ...(envelope
      ? {
          item: envelope.item,
          requestId: envelope.requestId,
          index: envelope.index,
          acceptedAt: envelope.acceptedAt,
        }
      : { body: record.body }),
  };
  await deps.store.putFailureRecord(failureKey(writtenAt, record.messageId), body);
}

/**
 * A malformed record can never succeed, so it is recorded and acknowledged; only if the record
 * itself cannot be written is the message retried.
 */
async function recordMalformed(malformed: readonly Malformed[], deps: BatchDeps): Promise<FailureReport> {
  const failures = await Promise.all(
    malformed.map(async ({ record, error }): Promise<RecordFailure> => {
      const failure = {
        messageId: record.messageId,
        reason: 'malformed' as const,
        receiveCount: record.receiveCount,
      };
      try {
        await writeFailureRecord(deps, record, { reason: 'malformed', error: error.message });
        return {
          ...failure,
          error: error.message,
          retried: false,
          next: 'recorded under failed/, not retried',
        };
      } catch (writeError) {
        return { ...failure, error: errorText(writeError), retried: true, next: NEXT_RETRY };
      }
    }),
  );
  return { failures, recordsWritten: failures.filter(({ retried }) => !retried).length, recordErrors: [] };
}

const NEXT_RETRY = 'retried after the visibility timeout';

/**
 * Every failed entry is retried. Those on their final receive are about to move to the dead-letter
 * queue: they are recorded in S3 too.
 */
async function recordFinalFailures(
  failed: readonly EntryFailure[],
  rules: BatchRules,
  deps: BatchDeps,
): Promise<FailureReport> {
  const recordErrors: string[] = [];
  let recordsWritten = 0;
  await Promise.all(
    failed
      .filter(({ entry }) => isFinalAttempt(entry, rules))
      .map(async ({ entry, reason, error }) => {
        try {
          await writeFailureRecord(deps, entry.record, { reason, error, envelope: entry.envelope });
          recordsWritten += 1;
        } catch (writeError) {
          recordErrors.push(`${entry.record.messageId}: ${errorText(writeError)}`);
        }
      }),
  );
  const failures = failed.map(({ entry, reason, error }) => ({
    messageId: entry.record.messageId,
    reason,
    error,
    retried: true,
    item: entry.envelope.item,
    receiveCount: entry.record.receiveCount,
    next: isFinalAttempt(entry, rules)
      ? 'moves to the dead-letter queue (failure record under failed/)'
      : `${NEXT_RETRY} (receive ${entry.record.receiveCount} of ${rules.maxReceiveCount})`,
  }));
  return { failures, recordsWritten, recordErrors };
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
