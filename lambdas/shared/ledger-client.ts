import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * The functions' DynamoDB client for the request ledger. The ledger is never on the path of data
 * loss, so a slow or unreachable DynamoDB must cost a function a bounded time, never its timeout
 * (the local batch function has 2 s): connect within 500 ms, answer within 1 s, two attempts. The
 * endpoint is the SDK's own choice (AWS_ENDPOINT_URL where set, as on the local cloud).
 */
export const ledgerClient = (): DynamoDBClient =>
  new DynamoDBClient({
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 500, requestTimeout: 1_000, throwOnRequestTimeout: true },
  });
