import type { LedgerEntry } from '../domain/ledger';
import type { AcceptedEntry } from './ledger-inputs';

/**
 * The request ledger as each function uses it (DynamoDB in production, dynamodb-ledger.ts), so
 * acceptItems, processBatch and the status read stay testable without AWS. Each function's role may
 * only do what its part needs (cdk/lib/constructs/request-ledger.ts).
 */

export interface IngestLedger {
  /**
   * Writes ingest's part of the entry before the first item is enqueued. Returns the entry as it was
   * when one existed (a repeat of the same request id), else undefined; throws
   * IdempotencyKeyReusedError when the id belongs to other items or its window has passed.
   */
  recordAccepted(request: AcceptedEntry): Promise<LedgerEntry | undefined>;
  /** After a 503: the indexes in SQS, which a repeat does not send again. */
  recordEnqueued(requestId: string, indexes: readonly number[]): Promise<void>;
}

export interface BatchLedger {
  /** After a successful segment write: the request's indexes in it and the object's key. */
  recordStored(requestId: string, indexes: readonly number[], objectKey: string): Promise<void>;
  /** On the final attempt: the indexes that go to the dead-letter queue. */
  recordFailed(requestId: string, indexes: readonly number[]): Promise<void>;
  /** The stored indexes of each request the ledger knows; a request it does not know is left out. */
  storedIndexes(requestIds: readonly string[]): Promise<Map<string, Set<number>>>;
}

export interface StatusLedger {
  /** The entry, or undefined when there is none. */
  read(requestId: string): Promise<LedgerEntry | undefined>;
}

/** What ingest and the batch writer write (dynamodb-ledger.ts); the status function only reads. */
export type RequestLedger = IngestLedger & BatchLedger;
