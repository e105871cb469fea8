import type { S3Client } from '@aws-sdk/client-s3';
import { s3JsonWriter } from '../shared/s3-json';
import type { ObjectStore } from './object-store';

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
  const writer = s3JsonWriter(s3, bucket, sleep);
  return {
    putResults: (key, object) => writer.putOnce(key, object),
    putFailureRecord: (key, record) => writer.put(key, record),
  };
}
