/**
 * What the batch writer stores (the contract's object bodies) and the store it writes them to: S3
 * in production (s3-object-store.ts), wrapped by fault-injection.ts when chaos switches are on.
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
  readonly minute: string;
  readonly writtenAt: string;
  readonly items: readonly StoredItem[];
}

export type FailureReason = 'malformed' | 'write_failed' | 'earlier_item_failed';

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
  /** The envelope's fields, when the message had a valid one. */
  readonly item?: number;
  readonly requestId?: string;
  readonly index?: number;
  readonly acceptedAt?: string;
  /** The message body, when it was not a valid envelope. */
  readonly body?: string;
}

export interface ObjectStore {
  /** Writes a results object once: a key that already holds an object is left as it is. */
  putResults(key: string, object: ResultsObject): Promise<void>;
  /** Writes a failure record; one key per message, so a later record of it replaces the earlier one. */
  putFailureRecord(key: string, record: FailureRecord): Promise<void>;
}
