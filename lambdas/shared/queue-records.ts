import type { SQSRecord } from 'aws-lambda';
import { decodeEnvelope, type Envelope } from '../domain/envelope';
import { MalformedEnvelopeError } from '../domain/errors';

/**
 * The records of an SQS FIFO queue of items as every consumer reads them (the batch writer, the
 * analyses): reduced to what the rules need, then decoded, or set apart when malformed.
 */

/** An SQS record reduced to what the rules need, in delivery order. */
export interface QueueRecord {
  readonly messageId: string;
  readonly body: string;
  readonly groupId: string;
  readonly deduplicationId: string;
  readonly receiveCount: number;
}

/** A record with a valid envelope. */
export interface Entry {
  readonly record: QueueRecord;
  readonly envelope: Envelope;
}

export interface Malformed {
  readonly record: QueueRecord;
  readonly error: MalformedEnvelopeError;
}

export const toQueueRecord = (record: SQSRecord): QueueRecord => ({
  messageId: record.messageId,
  body: record.body,
  // Without a group id every record is treated as one group: the most conservative order.
  groupId: record.attributes.MessageGroupId ?? '',
  deduplicationId: record.attributes.MessageDeduplicationId ?? record.messageId,
  receiveCount: Number(record.attributes.ApproximateReceiveCount) || 1,
});

export function decodeRecords(records: readonly QueueRecord[]): { entries: Entry[]; malformed: Malformed[] } {
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
