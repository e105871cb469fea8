import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { IdempotencyKeyReusedError, type LedgerEntry } from '../domain/ledger';
import {
  type AcceptedEntry,
  acceptedUpdate,
  enqueuedUpdate,
  entryFrom,
  entryRequest,
  failedUpdate,
  redrivenUpdate,
  requestIdOfKey,
  storedIndexesRequest,
  storedUpdate,
} from './ledger-inputs';
import type { RequestLedger } from './ledger-interfaces';

/**
 * The request ledger on DynamoDB (one table, shared with the idempotency records). No client is made
 * and nothing is read at import, so the operator tools can import `markRedriven` and `readEntry`.
 */

export interface DynamoDbLedgerOptions {
  readonly tableName: string;
  /** Days an entry is kept after it was first written (its TTL). */
  readonly retentionDays: number;
  readonly clock: () => Date;
}

/** Why a repeat was refused: the old entry tells other items from a window that has passed. */
function reusedKeyError(request: AcceptedEntry, old: LedgerEntry | undefined): IdempotencyKeyReusedError {
  const message =
    old?.itemsHash === request.itemsHash
      ? `Idempotency-Key was used for request ${request.requestId}, accepted at ${old.acceptedAt}, outside ` +
        'the idempotency window; send a new key'
      : `Idempotency-Key was used for request ${request.requestId} with other items; send a new key`;
  return new IdempotencyKeyReusedError(request.requestId, message);
}

export function dynamoDbLedger(ddb: DynamoDBClient, options: DynamoDbLedgerOptions): RequestLedger {
  const { tableName, retentionDays, clock } = options;
  const context = () => ({ tableName, retentionDays, now: clock() });

  return {
    async recordAccepted(request) {
      try {
        const { Attributes } = await ddb.send(new UpdateItemCommand(acceptedUpdate(request, context())));
        return Attributes === undefined ? undefined : entryFrom(Attributes);
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        throw reusedKeyError(request, error.Item === undefined ? undefined : entryFrom(error.Item));
      }
    },

    async recordEnqueued(requestId, indexes) {
      if (indexes.length === 0) return;
      await ddb.send(new UpdateItemCommand(enqueuedUpdate(requestId, indexes, context())));
    },

    async recordStored(requestId, indexes, objectKey) {
      await ddb.send(new UpdateItemCommand(storedUpdate(requestId, indexes, objectKey, context())));
    },

    async recordFailed(requestId, indexes) {
      await ddb.send(new UpdateItemCommand(failedUpdate(requestId, indexes, context())));
    },

    async storedIndexes(requestIds) {
      const stored = new Map<string, Set<number>>();
      if (requestIds.length === 0) return stored;
      const { Responses } = await ddb.send(
        new BatchGetItemCommand(storedIndexesRequest(tableName, requestIds)),
      );
      // UnprocessedKeys are left out: their records are written as if the ledger knew nothing.
      for (const item of Responses?.[tableName] ?? []) {
        stored.set(requestIdOfKey(item), new Set(entryFrom(item).stored));
      }
      return stored;
    },
  };
}

/** A request's entry, or undefined when the ledger has none (never written, or expired). */
export async function readEntry(
  ddb: DynamoDBClient,
  tableName: string,
  requestId: string,
): Promise<LedgerEntry | undefined> {
  const { Item } = await ddb.send(new GetItemCommand(entryRequest(tableName, requestId)));
  return Item === undefined ? undefined : entryFrom(Item);
}

/**
 * For `npm run redrive`: the indexes moved back from the dead-letter queue leave the entry's `failed`
 * set, so the request is pending again (storing, or queued) until they are stored. Returns false
 * when the ledger has no entry for the request (nothing is created).
 */
export async function markRedriven(
  ddb: DynamoDBClient,
  tableName: string,
  requestId: string,
  indexes: readonly number[],
  now: Date = new Date(),
): Promise<boolean> {
  if (indexes.length === 0) return true;
  try {
    await ddb.send(new UpdateItemCommand(redrivenUpdate(requestId, indexes, { tableName, now })));
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
