import type { FailureRecord, ResultsObject } from '../domain/stored-objects';

/**
 * The store the batch writer writes its objects to: S3 in production (s3-object-store.ts), wrapped by
 * fault-injection.ts when chaos switches are on. The objects' shapes are domain/stored-objects.ts.
 */
export interface ObjectStore {
  /** Writes a results object once: a key that already holds an object is left as it is. */
  putResults(key: string, object: ResultsObject): Promise<void>;
  /** Writes a failure record; one key per message, so a later record of it replaces the earlier one. */
  putFailureRecord(key: string, record: FailureRecord): Promise<void>;
}
