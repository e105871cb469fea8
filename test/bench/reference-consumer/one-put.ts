import { S3Client } from '@aws-sdk/client-s3';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ENV } from '../../../lambdas/domain/environment';
import { referenceLogLine } from './log-line';
import { putBatch } from './put-batch';

/** The floor of a consumer that stores: one log line and one S3 PUT of the batch's bodies per invocation, no failures. */

const s3 = new S3Client({});
const bucket = process.env[ENV.bucketName];

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  if (!bucket) throw new Error(`${ENV.bucketName} must be set`);
  const at = Date.now();
  await putBatch(s3, bucket, event, at);
  console.log(referenceLogLine({ records: event.Records.length, at }));
  return { batchItemFailures: [] };
};
