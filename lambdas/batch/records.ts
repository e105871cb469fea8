import type { ItemRef } from '../domain/ledger';
import type { FailureReason } from '../domain/stored-objects';
import type { Entry } from '../shared/queue-records';

/** What the batch writer makes of a decoded record: where it came from, and why it failed. */

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
