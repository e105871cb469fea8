import { decodeEnvelope } from '../domain/envelope';
import { MalformedEnvelopeError } from '../domain/errors';
import { failureKey, minuteLabel } from '../domain/keys';
import { indexesByRequest } from '../domain/ledger';
import type { FailureRecord } from '../domain/stored-objects';

/**
 * Every dead-lettered item ends visible as failed. The batch writer writes the failure record and the
 * ledger's `failed` itself when it gives an item up; but SQS also moves a message after
 * `maxReceiveCount` receives the function never concluded (throttled batches, timeouts, crashes), and
 * then nobody wrote either. This rebuilds both from what the dead-letter queue holds.
 */

/** A message of the dead-letter queue, as the reconciler reads it. */
export interface ParkedMessage {
  readonly messageId: string;
  readonly body: string;
  readonly groupId: string;
  readonly receiveCount: number;
  /**
   * True when its failure record is known written: the batch writer moved it after writing it, or a
   * reconciling pass did (its copy carries the mark), so no pass writes a second one.
   */
  readonly recorded: boolean;
}

export interface ReconcileDeps {
  readonly recordFailed: (requestId: string, indexes: readonly number[]) => Promise<void>;
  readonly putFailureRecord: (key: string, record: FailureRecord) => Promise<void>;
  readonly clock: () => Date;
}

export interface ReconcileOutcome {
  /** Failure records written for items SQS moved without the function. */
  readonly recordsWritten: number;
  /** Items the ledger shows failed afterwards. */
  readonly itemsFailed: number;
  /** Messages whose body is no envelope: they name no request (the batch writer records those itself). */
  readonly malformed: number;
}

/**
 * Writes a `receives_exhausted` failure record for each item not known recorded (SQS moved it, or the
 * function could not write its record), then marks every item failed in the ledger (an idempotent add).
 */
export async function reconcileParked(
  messages: readonly ParkedMessage[],
  deps: ReconcileDeps,
): Promise<ReconcileOutcome> {
  let recordsWritten = 0;
  let malformed = 0;
  const items: { requestId: string; index: number }[] = [];
  for (const message of messages) {
    let envelope: ReturnType<typeof decodeEnvelope>;
    try {
      envelope = decodeEnvelope(message.body);
    } catch (error) {
      if (!(error instanceof MalformedEnvelopeError)) throw error;
      malformed += 1;
      continue;
    }
    const { requestId, index } = envelope;
    items.push({ requestId, index });
    if (message.recorded) continue;
    const writtenAt = deps.clock();
    await deps.putFailureRecord(failureKey(writtenAt, message.messageId), {
      v: 1,
      minute: minuteLabel(writtenAt),
      writtenAt: writtenAt.toISOString(),
      reason: 'receives_exhausted',
      error:
        'SQS moved the message to the dead-letter queue after maxReceiveCount receives the function never concluded',
      messageId: message.messageId,
      groupId: message.groupId,
      receiveCount: message.receiveCount,
      item: envelope.item,
      requestId,
      index,
      acceptedAt: envelope.acceptedAt,
    });
    recordsWritten += 1;
  }
  for (const [requestId, indexes] of indexesByRequest(items)) await deps.recordFailed(requestId, indexes);
  return { recordsWritten, itemsFailed: items.length, malformed };
}
