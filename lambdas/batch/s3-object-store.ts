import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectStore } from './object-store';

/** Attempts of a write-once PUT that S3 answers with a conflict, and the first pause between them. */
export const CONFLICT_ATTEMPTS = 3;
const CONFLICT_BACKOFF_MS = 50;

const httpStatusOf = (error: Error): number | undefined =>
  (error as Error & { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

/** S3's answer to a write-once PUT whose key already holds an object. */
const isAlreadyStored = (error: unknown): boolean =>
  error instanceof Error && (error.name === 'PreconditionFailed' || httpStatusOf(error) === 412);

/**
 * S3's answer when a concurrent write to the same key was in progress; S3's documentation says to
 * retry, and the SDK does not. Without our retry the records would wait a whole visibility timeout.
 */
const isConflict = (error: unknown): boolean =>
  error instanceof Error && (error.name === 'ConditionalRequestConflict' || httpStatusOf(error) === 409);

/**
 * The batch writer's objects as JSON in one bucket. Results objects are written once
 * (`If-None-Match: *`): a redelivered segment in the same minute finds its object already stored and
 * leaves it as it is, so the object keeps the time of its first write, which the order audit relies on.
 */
export function s3ObjectStore(
  s3: S3Client,
  bucket: string,
  sleep: (ms: number) => Promise<void>,
): ObjectStore {
  const putJson = async (key: string, body: unknown, writeOnce: boolean): Promise<void> => {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: JSON.stringify(body),
        ContentType: 'application/json',
        ...(writeOnce ? { IfNoneMatch: '*' } : {}),
      }),
    );
  };

  const putOnce = async (key: string, body: unknown): Promise<void> => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await putJson(key, body, true);
        return;
      } catch (error) {
        if (isAlreadyStored(error)) return;
        if (!isConflict(error) || attempt >= CONFLICT_ATTEMPTS) throw error;
        await sleep(CONFLICT_BACKOFF_MS * 2 ** (attempt - 1));
      }
    }
  };

  return {
    putResults: putOnce,
    putFailureRecord: (key, record) => putJson(key, record, false),
  };
}
