/**
 * What the batch writer stores (the contract's object bodies), the one home of their shapes: the
 * writer builds them, and the tools, the dashboard and the audit read them with these types. Where
 * they go is keys.ts.
 */

export interface StoredItem {
  readonly item: number;
  readonly requestId: string;
  readonly index: number;
  readonly messageId: string;
  readonly groupId: string;
  readonly acceptedAt: string;
}

/** The body of `results/YYYY/MM/DD/HH/mm/<id>.json`: one segment, items in order. */
export interface ResultsObject {
  readonly v: 1;
  /** The UTC minute of the write, `YYYY-MM-DDTHH:mmZ`: the minute in the key. */
  readonly minute: string;
  readonly writtenAt: string;
  readonly items: readonly StoredItem[];
}

/**
 * `receives_exhausted`: SQS moved the message after `maxReceiveCount` receives the function never
 * concluded (throttles, timeouts, crashes); written when `npm run redrive -- --reconcile` finds it.
 */
export type FailureReason = 'malformed' | 'write_failed' | 'earlier_item_failed' | 'receives_exhausted';

/** The body of `failed/YYYY/MM/DD/HH/mm/<messageId>.json`. */
export interface FailureRecord {
  readonly v: 1;
  readonly minute: string;
  readonly writtenAt: string;
  readonly reason: FailureReason;
  readonly error: string;
  readonly messageId: string;
  readonly groupId: string;
  readonly receiveCount: number;
  /** The function's attempts at the write, for `write_failed` and `earlier_item_failed`. */
  readonly attempts?: number;
  /** The envelope's fields, when the message had a valid one. */
  readonly item?: number;
  readonly requestId?: string;
  readonly index?: number;
  readonly acceptedAt?: string;
  /** The message body, when it was not a valid envelope. */
  readonly body?: string;
}
