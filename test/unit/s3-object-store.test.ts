import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { s3ObjectStore } from '../../lambdas/batch/s3-object-store';
import { CONFLICT_ATTEMPTS } from '../../lambdas/shared/s3-json';
import {
  BUCKET_NAME,
  conditionalRequestConflict,
  FIXED_MINUTE_PATH,
  failureRecord,
  preconditionFailed,
  resultsObject,
} from './factories.batch';
import { rejectionOf } from './factories.ingest';

const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'eu-west-1' });

const RESULTS_KEY = `results/${FIXED_MINUTE_PATH}/0123456789abcdef0123456789abcdef.json`;
const FAILURE_KEY = `failed/${FIXED_MINUTE_PATH}/msg-A-0.json`;

/** The store on the mocked client; every pause it asks for is recorded in `sleeps` and takes no time. */
function storeRecordingSleeps() {
  const sleeps: number[] = [];
  const store = s3ObjectStore(s3, BUCKET_NAME, async (ms) => {
    sleeps.push(ms);
  });
  return { store, sleeps };
}

/** An SDK error as S3 may name it: with its name, its HTTP status, or both. */
const s3Error = (name: string, httpStatusCode?: number): Error =>
  Object.assign(new Error(`${name} (${httpStatusCode ?? 'no status'})`), {
    name,
    ...(httpStatusCode === undefined ? {} : { $metadata: { httpStatusCode } }),
  });

const putInputs = () => s3Mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input);

beforeEach(() => {
  s3Mock.reset();
});

describe('s3ObjectStore: putResults', () => {
  it('writes the object once, as JSON, only if its key is free (If-None-Match: *)', async () => {
    // Prepare
    s3Mock.on(PutObjectCommand).resolves({});
    const { store } = storeRecordingSleeps();

    // Act
    await store.putResults(RESULTS_KEY, resultsObject([3, 4]));

    // Assert
    expect(putInputs()).toEqual([
      {
        Bucket: BUCKET_NAME,
        Key: RESULTS_KEY,
        Body: JSON.stringify(resultsObject([3, 4])),
        ContentType: 'application/json',
        IfNoneMatch: '*',
      },
    ]);
  });

  it.each([
    { name: "S3's 412 PreconditionFailed", error: preconditionFailed() },
    { name: 'an error named PreconditionFailed without a status', error: s3Error('PreconditionFailed') },
    { name: 'a 412 status under another error name', error: s3Error('Unknown', 412) },
  ])('leaves an object already stored under the key as it is on $name, and succeeds', async ({ error }) => {
    // Prepare
    s3Mock.on(PutObjectCommand).rejects(error);
    const { store, sleeps } = storeRecordingSleeps();

    // Act
    const write = store.putResults(RESULTS_KEY, resultsObject([3]));

    // Assert: no error, and no second attempt
    await expect(write).resolves.toBeUndefined();
    expect(putInputs()).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it.each([
    { name: "S3's 409 ConditionalRequestConflict", error: conditionalRequestConflict() },
    {
      name: 'an error named ConditionalRequestConflict without a status',
      error: s3Error('ConditionalRequestConflict'),
    },
    { name: 'a 409 status under another error name', error: s3Error('Unknown', 409) },
  ])('retries a write S3 answers with $name after a pause, and succeeds', async ({ error }) => {
    // Prepare
    s3Mock.on(PutObjectCommand).rejectsOnce(error).resolves({});
    const { store, sleeps } = storeRecordingSleeps();

    // Act
    await store.putResults(RESULTS_KEY, resultsObject([3]));

    // Assert
    expect(putInputs().map(({ Key }) => Key)).toEqual([RESULTS_KEY, RESULTS_KEY]);
    expect(sleeps).toEqual([50]);
  });

  it('gives up after CONFLICT_ATTEMPTS conflicts, doubling the pause, and rejects with the last one', async () => {
    // Prepare
    const conflict = conditionalRequestConflict();
    s3Mock.on(PutObjectCommand).rejects(conflict);
    const { store, sleeps } = storeRecordingSleeps();

    // Act
    const error = await rejectionOf(store.putResults(RESULTS_KEY, resultsObject([3])));

    // Assert
    expect(error).toBe(conflict);
    expect(putInputs()).toHaveLength(CONFLICT_ATTEMPTS);
    expect(sleeps).toEqual([50, 100]);
  });

  it.each([
    { name: 'a 500 InternalError', error: s3Error('InternalError', 500) },
    { name: 'a 403 AccessDenied', error: s3Error('AccessDenied', 403) },
    { name: 'a network error without a status', error: s3Error('TimeoutError') },
  ])('rejects at once, without a retry of its own, on $name', async ({ error }) => {
    // Prepare
    s3Mock.on(PutObjectCommand).rejects(error);
    const { store, sleeps } = storeRecordingSleeps();

    // Act
    const rejection = await rejectionOf(store.putResults(RESULTS_KEY, resultsObject([3])));

    // Assert
    expect(rejection).toBe(error);
    expect(putInputs()).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });
});

describe('s3ObjectStore: putFailureRecord', () => {
  it('writes the record unconditionally, so a later record of the same message replaces the earlier one', async () => {
    // Prepare
    s3Mock.on(PutObjectCommand).resolves({});
    const { store } = storeRecordingSleeps();
    const later = failureRecord({ receiveCount: 4, writtenAt: '2026-11-23T10:42:50.000Z' });

    // Act
    await store.putFailureRecord(FAILURE_KEY, failureRecord());
    await store.putFailureRecord(FAILURE_KEY, later);

    // Assert
    expect(putInputs()).toEqual([
      {
        Bucket: BUCKET_NAME,
        Key: FAILURE_KEY,
        Body: JSON.stringify(failureRecord()),
        ContentType: 'application/json',
      },
      { Bucket: BUCKET_NAME, Key: FAILURE_KEY, Body: JSON.stringify(later), ContentType: 'application/json' },
    ]);
  });

  it('rejects when S3 refuses the record, so the batch writer can report it', async () => {
    // Prepare
    const refusal = s3Error('InternalError', 500);
    s3Mock.on(PutObjectCommand).rejects(refusal);
    const { store } = storeRecordingSleeps();

    // Act
    const error = await rejectionOf(store.putFailureRecord(FAILURE_KEY, failureRecord()));

    // Assert
    expect(error).toBe(refusal);
  });
});
