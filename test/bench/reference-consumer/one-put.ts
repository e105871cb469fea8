import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ENV } from '../../../lambdas/domain/settings';
import { referenceLogLine } from './log-line';

/**
 * The floor of a consumer that stores: one log line and one S3 PUT of the batch's bodies per
 * invocation, no failures. Its objects go under `bench-reference/`, apart from the pipeline's.
 */

const s3 = new S3Client({});
const bucket = process.env[ENV.bucketName];

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  if (!bucket) throw new Error(`${ENV.bucketName} must be set`);
  const at = Date.now();
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: `bench-reference/${event.Records[0]?.messageId ?? at}.json`,
      Body: JSON.stringify({
        writtenAt: new Date(at).toISOString(),
        bodies: event.Records.map((r) => r.body),
      }),
      ContentType: 'application/json',
    }),
  );
  console.log(referenceLogLine({ records: event.Records.length, at }));
  return { batchItemFailures: [] };
};
