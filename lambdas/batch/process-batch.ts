import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { decodeEnvelope, type Envelope } from '../domain/envelope';
import { InjectedCrashError, InjectedFaultError, MalformedEnvelopeError } from '../domain/errors';
import { failureKey, minuteLabel, resultKey } from '../domain/keys';
import { segmentByExclusion } from '../domain/segment';
import type { BatchSettings } from '../domain/settings';

/** An SQS record reduced to what the batch rules need, in delivery order. */
export interface QueueRecord {
  readonly messageId: string;
  readonly body: string;
  readonly groupId: string;
  readonly deduplicationId: string;
  readonly receiveCount: number;
}

export interface BatchDeps {
  readonly s3: S3Client;
  readonly clock: () => Date;
  /** Uniform in [0, 1): drives FAULT_RATE. */
  readonly random: () => number;
  /** Waits between attempts of a write S3 asks us to retry. */
  readonly sleep: (ms: number) => Promise<void>;
}

export type FailureReason = 'malformed' | 'write_failed' | 'earlier_item_failed';

export interface RecordFailure {
  readonly messageId: string;
  readonly reason: FailureReason;
  readonly error: string;
  /** Acknowledged failures (malformed records) are recorded in S3 and not retried. */
  readonly retried: boolean;
}

export interface BatchOutcome {
  /** Message ids for `batchItemFailures`: SQS redelivers these, then moves them to the DLQ. */
  readonly failedMessageIds: string[];
  readonly failures: RecordFailure[];
  readonly itemsStored: number;
  readonly segmentsWritten: number;
  readonly exclusionSplits: number;
  readonly failureRecordsWritten: number;
  /** Failure records that could not be written; the message still goes to the DLQ. */
  readonly failureRecordErrors: string[];
}

interface Entry {
  readonly record: QueueRecord;
  readonly envelope: Envelope;
}

interface StoreOutcome {
  readonly stored: number;
  readonly segmentsWritten: number;
  readonly exclusionSplits: number;
  readonly failures: { entry: Entry; reason: FailureReason; error: string }[];
}

const errorText = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

async function putJson(
  deps: BatchDeps,
  bucket: string,
  key: string,
  body: unknown,
  options: { writeOnce?: boolean } = {},
): Promise<void> {
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: JSON.stringify(body),
      ContentType: 'application/json',
      ...(options.writeOnce ? { IfNoneMatch: '*' } : {}),
    }),
  );
}

const httpStatusOf = (error: unknown): number | undefined =>
  (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;

/** S3's answer to a write-once PUT whose key already holds an object. */
const isAlreadyStored = (error: unknown): boolean =>
  error instanceof Error && (error.name === 'PreconditionFailed' || httpStatusOf(error) === 412);

/**
 * S3's answer when a concurrent write to the same key was in progress; S3's documentation says to
 * retry, and the SDK does not. Without our retry the records would wait a whole visibility timeout.
 */
const isConflict = (error: unknown): boolean =>
  error instanceof Error && (error.name === 'ConditionalRequestConflict' || httpStatusOf(error) === 409);

/** Attempts of a write-once PUT that S3 answers with a conflict, and the first pause between them. */
export const CONFLICT_ATTEMPTS = 3;
const CONFLICT_BACKOFF_MS = 50;

/** A write-once PUT; a key that already holds an object is left as it is. */
async function putOnce(deps: BatchDeps, bucket: string, key: string, body: unknown): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await putJson(deps, bucket, key, body, { writeOnce: true });
      return;
    } catch (error) {
      if (isAlreadyStored(error)) return;
      if (!isConflict(error) || attempt >= CONFLICT_ATTEMPTS) throw error;
      await deps.sleep(CONFLICT_BACKOFF_MS * 2 ** (attempt - 1));
    }
  }
}

function injectFault(items: readonly number[], settings: BatchSettings, deps: BatchDeps): void {
  const targeted = items.find((item) => settings.faultItems.includes(item));
  if (targeted !== undefined) throw new InjectedFaultError(`FAULT_ITEMS: item ${targeted} always fails`);
  if (settings.faultRate > 0 && deps.random() < settings.faultRate) {
    throw new InjectedFaultError(`FAULT_RATE ${settings.faultRate}: simulated storage failure`);
  }
}

async function writeSegment(
  segment: readonly Entry[],
  settings: BatchSettings,
  deps: BatchDeps,
): Promise<void> {
  injectFault(
    segment.map((entry) => entry.envelope.item),
    settings,
    deps,
  );
  const writtenAt = deps.clock();
  const key = resultKey(
    writtenAt,
    segment.map((entry) => entry.record.deduplicationId),
  );
  // Write-once: a redelivered segment in the same minute finds its object already stored and leaves
  // it as it is, so the object keeps the time of its first write, which the order audit relies on.
  const body = {
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
  };
  await putOnce(deps, settings.bucketName, key, body);
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
  settings: BatchSettings,
  deps: BatchDeps,
): Promise<{ written: (readonly Entry[])[]; failed: Map<string, unknown> }> {
  try {
    await writeSegment(segment, settings, deps);
    return { written: [segment], failed: new Map() };
  } catch (error) {
    const parts = [...byGroup(segment)];
    if (parts.length === 1) return { written: [], failed: new Map([[parts[0]?.[0] ?? '', error]]) };
    const results = await Promise.allSettled(parts.map(([, part]) => writeSegment(part, settings, deps)));
    const written: (readonly Entry[])[] = [];
    const failed = new Map<string, unknown>();
    results.forEach((result, position) => {
      const [groupId = '', part = []] = parts[position] ?? [];
      if (result.status === 'fulfilled') written.push(part);
      else failed.set(groupId, result.reason);
    });
    return { written, failed };
  }
}

/**
 * Valid records in delivery order, cut by the exclusion rule and the batch size into segments that
 * may span message groups, so each object is as full as the rules allow. Segments are written one
 * after another; once a group fails, its later records are not written, so nothing overtakes it.
 */
async function storeEntries(
  entries: readonly Entry[],
  settings: BatchSettings,
  deps: BatchDeps,
): Promise<StoreOutcome> {
  const { segments, exclusionSplits } = segmentByExclusion(entries, (entry) => entry.envelope.item, {
    exclusionPairs: settings.exclusionPairs,
    maxSize: settings.batchSize,
  });
  const failedGroups = new Map<string, string>();
  const failures: StoreOutcome['failures'] = [];
  let stored = 0;
  let segmentsWritten = 0;
  for (const segment of segments) {
    const writable: Entry[] = [];
    for (const entry of segment) {
      const blockedBy = failedGroups.get(entry.record.groupId);
      if (blockedBy === undefined) writable.push(entry);
      else failures.push({ entry, reason: 'earlier_item_failed', error: `Blocked by ${blockedBy}` });
    }
    if (writable.length === 0) continue;
    const { written, failed } = await writeIsolatingGroups(writable, settings, deps);
    for (const part of written) {
      stored += part.length;
      segmentsWritten += 1;
    }
    for (const [groupId, error] of failed) failedGroups.set(groupId, errorText(error));
    for (const entry of writable) {
      const error = failed.has(entry.record.groupId) ? failedGroups.get(entry.record.groupId) : undefined;
      if (error !== undefined) failures.push({ entry, reason: 'write_failed', error });
    }
  }
  return { stored, segmentsWritten, exclusionSplits, failures };
}

/**
 * Stores one invocation's records: valid items cut by the exclusion rule into objects of at most
 * `batchSize` (see `storeEntries`); malformed records as failure records.
 */
export async function processBatch(
  records: readonly QueueRecord[],
  settings: BatchSettings,
  deps: BatchDeps,
): Promise<BatchOutcome> {
  const entries: Entry[] = [];
  const malformed: { record: QueueRecord; error: MalformedEnvelopeError }[] = [];
  for (const record of records) {
    try {
      entries.push({ record, envelope: decodeEnvelope(record.body) });
    } catch (error) {
      if (!(error instanceof MalformedEnvelopeError)) throw error;
      malformed.push({ record, error });
    }
  }

  const outcome = await storeEntries(entries, settings, deps);

  const failures: RecordFailure[] = [];
  const failureRecordErrors: string[] = [];
  let failureRecordsWritten = 0;
  const writeFailureRecord = async (
    record: QueueRecord,
    reason: FailureReason,
    error: string,
    envelope?: Envelope,
  ) => {
    const writtenAt = deps.clock();
    await putJson(deps, settings.bucketName, failureKey(writtenAt, record.messageId), {
      v: 1,
      minute: minuteLabel(writtenAt),
      writtenAt: writtenAt.toISOString(),
      reason,
      error,
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
    });
    failureRecordsWritten += 1;
  };

  // A malformed record can never succeed, so it is recorded and acknowledged; only if the record
  // itself cannot be written is the message retried.
  await Promise.all(
    malformed.map(async ({ record, error }) => {
      try {
        await writeFailureRecord(record, 'malformed', error.message);
        failures.push({
          messageId: record.messageId,
          reason: 'malformed',
          error: error.message,
          retried: false,
        });
      } catch (writeError) {
        failures.push({
          messageId: record.messageId,
          reason: 'malformed',
          error: errorText(writeError),
          retried: true,
        });
      }
    }),
  );

  // Items on their final receive are about to move to the dead-letter queue: record them in S3 too.
  await Promise.all(
    outcome.failures.map(async ({ entry, reason, error }) => {
      failures.push({ messageId: entry.record.messageId, reason, error, retried: true });
      if (entry.record.receiveCount < settings.maxReceiveCount) return;
      try {
        await writeFailureRecord(entry.record, reason, error, entry.envelope);
      } catch (writeError) {
        failureRecordErrors.push(`${entry.record.messageId}: ${errorText(writeError)}`);
      }
    }),
  );

  // Chaos runs: fail the invocation after its writes, as a crash would; SQS redelivers every record.
  if (settings.crashRate > 0 && deps.random() < settings.crashRate) {
    throw new InjectedCrashError(
      `CRASH_RATE ${settings.crashRate}: simulated crash after ${records.length} records`,
    );
  }

  const order = new Map(records.map((record, position) => [record.messageId, position]));
  failures.sort((a, b) => (order.get(a.messageId) ?? 0) - (order.get(b.messageId) ?? 0));
  return {
    failedMessageIds: failures.filter((failure) => failure.retried).map((failure) => failure.messageId),
    failures,
    itemsStored: outcome.stored,
    segmentsWritten: outcome.segmentsWritten,
    exclusionSplits: outcome.exclusionSplits,
    failureRecordsWritten,
    failureRecordErrors,
  };
}
