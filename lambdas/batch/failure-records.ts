import type { Envelope } from '../domain/envelope';
import { errorText } from '../domain/errors';
import { failureKey, minuteLabel } from '../domain/keys';
import type { FailureReason, FailureRecord } from '../domain/stored-objects';
import type { Malformed, QueueRecord } from '../shared/queue-records';
import type { ObjectStore } from './object-store';
import type { EntryFailure } from './records';

/**
 * Failure records (the contract's Batch writer): a malformed record is written under failed/ and
 * acknowledged, since no retry can fix it; an item that failed the function's last attempt is written
 * there before the function moves it to the dead-letter queue. Nothing is dropped silently.
 */

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

/** What one kind of failure came to: the failures, and the failure records written or not. */
export interface FailureReport {
  readonly failures: RecordFailure[];
  readonly recordsWritten: number;
  readonly recordErrors: string[];
}

interface FailureDeps {
  readonly store: ObjectStore;
  readonly clock: () => Date;
}

/** A failure record names the item and its request when the envelope was valid, else keeps the body. */
async function writeFailureRecord(
  deps: FailureDeps,
  record: QueueRecord,
  failure: { reason: FailureReason; error: string; envelope?: Envelope; attempts?: number },
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
    ...(failure.attempts === undefined ? {} : { attempts: failure.attempts }),
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
export async function recordMalformed(
  malformed: readonly Malformed[],
  deps: FailureDeps,
): Promise<FailureReport> {
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

export const NEXT_RETRY = 'retried after the visibility timeout';

/** Records of the items the function gives up on after `attempts`, written before they are dead-lettered. */
export async function recordGivenUp(
  failed: readonly EntryFailure[],
  attempts: number,
  deps: FailureDeps,
): Promise<{ recorded: ReadonlySet<string>; recordErrors: string[] }> {
  const recordErrors: string[] = [];
  const recorded = new Set<string>();
  await Promise.all(
    failed.map(async ({ entry, reason, error }) => {
      try {
        await writeFailureRecord(deps, entry.record, { reason, error, envelope: entry.envelope, attempts });
        recorded.add(entry.record.messageId);
      } catch (writeError) {
        recordErrors.push(`${entry.record.messageId}: ${errorText(writeError)}`);
      }
    }),
  );
  return { recorded, recordErrors };
}
