import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { decodeEnvelope } from '../../../lambdas/domain/envelope';
import { ENV } from '../../../lambdas/domain/environment';
import { indexesByRequest } from '../../../lambdas/domain/ledger';
import { SETTINGS } from '../../../lambdas/domain/settings';
import { storedUpdate } from '../../../lambdas/ledger/ledger-inputs';
import { referenceLogLine } from './log-line';
import { putBatch } from './put-batch';

/**
 * The floor of a consumer that stores and keeps the request ledger: one log line, one S3 PUT of the
 * batch's bodies, then the ledger's update for each request in the batch (all at once), the calls the
 * batch function must make for a batch that is one object.
 */

const s3 = new S3Client({});
const ddb = new DynamoDBClient({});
const bucket = process.env[ENV.bucketName];
const tableName = process.env[ENV.ledgerTableName];

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  if (!bucket || !tableName) throw new Error(`${ENV.bucketName} and ${ENV.ledgerTableName} must be set`);
  const at = Date.now();
  const key = await putBatch(s3, bucket, event, at);
  const items = event.Records.map((record) => decodeEnvelope(record.body));
  const context = { tableName, now: new Date(), retentionDays: SETTINGS.ledgerRetentionDays.default };
  await Promise.all(
    [...indexesByRequest(items)].map(([requestId, indexes]) =>
      ddb.send(new UpdateItemCommand(storedUpdate(requestId, indexes, key, context))),
    ),
  );
  console.log(referenceLogLine({ records: event.Records.length, at }));
  return { batchItemFailures: [] };
};
