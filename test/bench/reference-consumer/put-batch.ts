import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';

/**
 * The reference consumers' one S3 PUT: the batch's bodies under `bench-reference/`, apart from the
 * pipeline's objects, stamped `at`. Returns the object's key.
 */
export async function putBatch(s3: S3Client, bucket: string, event: SQSEvent, at: number): Promise<string> {
  const key = `bench-reference/${event.Records[0]?.messageId ?? at}.json`;
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: JSON.stringify({
        writtenAt: new Date(at).toISOString(),
        bodies: event.Records.map((r) => r.body),
      }),
      ContentType: 'application/json',
    }),
  );
  return key;
}
