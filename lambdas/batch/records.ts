import { decodeEnvelope, type Envelope } from '../domain/envelope';
import type { BatchRules } from '../domain/environment';
import { MalformedEnvelopeError } from '../domain/errors';
import type { ItemRef } from '../domain/ledger';
import type { FailureReason } from '../domain/stored-objects';

/** One invocation's records as the batch rules see them: decoded, or malformed. */

/** An SQS record reduced to what the batch rules need, in delivery order. */
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

export interface EntryFailure {
  readonly entry: Entry;
  readonly reason: FailureReason;
  readonly error: string;
}

/** Where an entry's item came from, and which delivery this is. */
export const refOf = ({ envelope, record }: Entry): ItemRef & { readonly receiveCount: number } => ({
  requestId: envelope.requestId,
  index: envelope.index,
  receiveCount: record.receiveCount,
});

/** On this receive a failed record goes to the dead-letter queue next. */
export const isFinalAttempt = (entry: Entry, rules: BatchRules): boolean =>
  entry.record.receiveCount >= rules.maxReceiveCount;

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
