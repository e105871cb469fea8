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

interface GroupOutcome {
  readonly stored: number;
  readonly segmentsWritten: number;
  readonly exclusionSplits: number;
  readonly failures: { entry: Entry; reason: FailureReason; error: string }[];
}

const errorText = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

async function putJson(deps: BatchDeps, bucket: string, key: string, body: unknown): Promise<void> {
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: JSON.stringify(body),
      ContentType: 'application/json',
    }),
  );
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
  await putJson(
    deps,
    settings.bucketName,
    resultKey(
      writtenAt,
      segment.map((entry) => entry.record.deduplicationId),
    ),
    {
      v: 1,
      minute: minuteLabel(writtenAt),
      writtenAt: writtenAt.toISOString(),
      groupId: segment[0]?.record.groupId,
      items: segment.map(({ record, envelope }) => ({
        item: envelope.item,
        requestId: envelope.requestId,
        index: envelope.index,
        messageId: record.messageId,
        acceptedAt: envelope.acceptedAt,
      })),
    },
  );
}

/**
 * One message group's records, in order: segments are written one after another, and the first
 * failure fails that segment and every later record of the group, so nothing overtakes it.
 */
async function processGroup(
  entries: readonly Entry[],
  settings: BatchSettings,
  deps: BatchDeps,
): Promise<GroupOutcome> {
  const { segments, exclusionSplits } = segmentByExclusion(entries, (entry) => entry.envelope.item, {
    exclusionPairs: settings.exclusionPairs,
    maxSize: settings.batchSize,
  });
  let stored = 0;
  for (const [position, segment] of segments.entries()) {
    try {
      await writeSegment(segment, settings, deps);
      stored += segment.length;
    } catch (error) {
      const failed = segment.map((entry) => ({
        entry,
        reason: 'write_failed' as const,
        error: errorText(error),
      }));
      const blocked = segments
        .slice(position + 1)
        .flat()
        .map((entry) => ({
          entry,
          reason: 'earlier_item_failed' as const,
          error: `Blocked by ${errorText(error)}`,
        }));
      return { stored, segmentsWritten: position, exclusionSplits, failures: [...failed, ...blocked] };
    }
  }
  return { stored, segmentsWritten: segments.length, exclusionSplits, failures: [] };
}

function groupInOrder(entries: readonly Entry[]): Entry[][] {
  const groups = new Map<string, Entry[]>();
  for (const entry of entries) {
    const group = groups.get(entry.record.groupId) ?? [];
    group.push(entry);
    groups.set(entry.record.groupId, group);
  }
  return [...groups.values()];
}

/**
 * Stores one invocation's records: valid items per message group, cut by the exclusion rule into
 * objects of at most `batchSize`; malformed records as failure records. Groups are independent,
 * so they are written in parallel and a failing group never holds the others back.
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

  const groupOutcomes = await Promise.all(
    groupInOrder(entries).map((group) => processGroup(group, settings, deps)),
  );

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
  const retriedFailures = groupOutcomes.flatMap((outcome) => outcome.failures);
  await Promise.all(
    retriedFailures.map(async ({ entry, reason, error }) => {
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
    itemsStored: groupOutcomes.reduce((sum, outcome) => sum + outcome.stored, 0),
    segmentsWritten: groupOutcomes.reduce((sum, outcome) => sum + outcome.segmentsWritten, 0),
    exclusionSplits: groupOutcomes.reduce((sum, outcome) => sum + outcome.exclusionSplits, 0),
    failureRecordsWritten,
    failureRecordErrors,
  };
}
