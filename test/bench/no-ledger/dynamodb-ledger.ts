import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDbLedgerOptions } from '../../../lambdas/ledger/dynamodb-ledger';
import type { RequestLedger } from '../../../lambdas/ledger/ledger-interfaces';

/**
 * `npm run bench:compare`'s "no ledger" ingest: bundled in place of lambdas/ledger/dynamodb-ledger.ts
 * (ingest-code.ts), so the ingest function's own code runs with a ledger that answers at once and
 * writes nothing: the request as it is, less the entry's DynamoDB call. Never part of the stack's
 * bundles.
 */
export function dynamoDbLedger(_ddb: DynamoDBClient, _options: DynamoDbLedgerOptions): RequestLedger {
  return {
    recordAccepted: async () => undefined,
    recordEnqueued: async () => undefined,
    recordStored: async () => undefined,
    recordFailed: async () => undefined,
    storedIndexes: async () => new Map(),
  };
}
