import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

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

export interface JsonWriter {
  /** Writes once (`If-None-Match: *`): a key that already holds an object keeps it, and that is no error. */
  putOnce(key: string, body: unknown): Promise<void>;
  /** Writes, replacing what the key held. */
  put(key: string, body: unknown): Promise<void>;
}

/** JSON objects in one bucket, as the batch writer and the window closer write them. */
export function s3JsonWriter(s3: S3Client, bucket: string, sleep: (ms: number) => Promise<void>): JsonWriter {
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
  return {
    async putOnce(key, body) {
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
    },
    put: (key, body) => putJson(key, body, false),
  };
}
