import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { IdempotencyKeyReusedError, RequestInProgressError } from '../../lambdas/domain/ledger';
import { type KeyedRequest, powertoolsIdempotency } from '../../lambdas/ingest/idempotency';
import { lambdaContext, rejectionOf } from './factories.ingest';
import { conditionalCheckFailed, fakeIdempotencyTable, LEDGER_TABLE } from './factories.ledger';

const ddbMock = mockClient(DynamoDBClient);
const client = new DynamoDBClient({ region: 'eu-west-1' });

const request = (items: number[] = [1, 2, 3, 4]): KeyedRequest => ({ requestId: 'req-K', items });
const ANSWER = { requestId: 'req-K', accepted: 4 };

/** A fresh utility (as at a cold start) on the mocked table, its store errors collected. */
function idempotency() {
  const storeErrors: string[] = [];
  const guard = powertoolsIdempotency({
    client,
    tableName: LEDGER_TABLE,
    windowHours: 24,
    onStoreError: (message) => storeErrors.push(message),
  });
  guard.registerLambdaContext(lambdaContext());
  return { guard, storeErrors };
}

beforeEach(() => {
  ddbMock.reset();
});

describe('Idempotency-Key with Powertools', () => {
  it('runs a request once and answers a repeat within the window from its record, running nothing', async () => {
    // Prepare
    const table = fakeIdempotencyTable(ddbMock);
    const { guard } = idempotency();
    const run = vi.fn(async () => ANSWER);

    // Act
    const first = await guard.once(request(), run);
    const repeat = await idempotency().guard.once(request(), run);

    // Assert
    expect(first).toEqual(ANSWER);
    expect(repeat).toEqual(ANSWER);
    expect(run).toHaveBeenCalledTimes(1);
    const [key, record] = [...table.items][0] ?? [];
    expect(key).toMatch(/^idempotency#/);
    expect(record).toMatchObject({ status: { S: 'COMPLETED' }, expiresAt: { N: expect.any(String) } });
    const expiresIn = Number(record?.expiresAt?.N) - Date.now() / 1000;
    expect(expiresIn).toBeGreaterThan(24 * 3600 - 60);
    expect(expiresIn).toBeLessThanOrEqual(24 * 3600 + 1);
  });

  it('lets the in-progress record expire with the invocation (30 s left), so a crash blocks its key no longer', async () => {
    // Prepare
    fakeIdempotencyTable(ddbMock);
    const before = Date.now();

    // Act
    await idempotency().guard.once(request(), async () => ANSWER);

    // Assert
    const inProgress = ddbMock.commandCalls(PutItemCommand)[0]?.args[0].input.Item;
    const expiresAt = Number(inProgress?.in_progress_expiration?.N);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 30_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 30_000);
  });

  it('answers a duplicate while the first is still in flight with REQUEST_IN_PROGRESS', async () => {
    // Prepare: the first request waits inside its run until released
    fakeIdempotencyTable(ddbMock);
    let release = (): void => undefined;
    const first = idempotency().guard.once(
      request(),
      () =>
        new Promise((resolve) => {
          release = () => resolve(ANSWER);
        }),
    );
    await vi.waitUntil(() => ddbMock.commandCalls(PutItemCommand).length === 1);
    const duplicateRun = vi.fn(async () => ANSWER);

    // Act
    const error = await rejectionOf(idempotency().guard.once(request(), duplicateRun));
    release();

    // Assert
    expect(error).toBeInstanceOf(RequestInProgressError);
    expect(error).toMatchObject({
      code: 'REQUEST_IN_PROGRESS',
      status: 409,
      requestId: 'req-K',
      message:
        'A request with this Idempotency-Key is still being accepted; repeat it once that one has been answered',
    });
    expect(duplicateRun).not.toHaveBeenCalled();
    await expect(first).resolves.toEqual(ANSWER);
  });

  it('refuses a repeat with other items as IDEMPOTENCY_KEY_REUSED', async () => {
    // Prepare
    fakeIdempotencyTable(ddbMock);
    await idempotency().guard.once(request([1, 2, 3, 4]), async () => ANSWER);
    const run = vi.fn(async () => ANSWER);

    // Act
    const error = await rejectionOf(idempotency().guard.once(request([1, 2, 3, 5]), run));

    // Assert
    expect(error).toBeInstanceOf(IdempotencyKeyReusedError);
    expect(error).toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
      status: 422,
      requestId: 'req-K',
      message: 'Idempotency-Key was used for request req-K with other items; send a new key',
    });
    expect(run).not.toHaveBeenCalled();
  });

  it('lets a repeat run again after the request failed (a 503): the failed attempt leaves no record', async () => {
    // Prepare
    const table = fakeIdempotencyTable(ddbMock);
    const failure = new Error('queue kept failing');
    const firstError = await rejectionOf(
      idempotency().guard.once(request(), async () => {
        throw failure;
      }),
    );
    const run = vi.fn(async () => ANSWER);

    // Act
    const repeat = await idempotency().guard.once(request(), run);

    // Assert
    expect(firstError).toBe(failure);
    expect(ddbMock.commandCalls(DeleteItemCommand)).toHaveLength(1);
    expect(run).toHaveBeenCalledTimes(1);
    expect(repeat).toEqual(ANSWER);
    expect([...table.items.values()][0]).toMatchObject({ status: { S: 'COMPLETED' } });
  });

  it('runs the request unguarded when the store is unreachable, and reports it', async () => {
    // Prepare
    ddbMock.onAnyCommand().rejects(new Error('connect ECONNREFUSED'));
    const { guard, storeErrors } = idempotency();
    const run = vi.fn(async () => ANSWER);

    // Act
    const answer = await guard.once(request(), run);

    // Assert
    expect(answer).toEqual(ANSWER);
    expect(run).toHaveBeenCalledTimes(1);
    expect(storeErrors).toEqual(['Idempotency record not written']);
  });

  it('answers what the request did when only the completed record could not be written', async () => {
    // Prepare
    fakeIdempotencyTable(ddbMock);
    ddbMock.on(UpdateItemCommand).rejects(new Error('throttled'));
    const { guard, storeErrors } = idempotency();
    const run = vi.fn(async () => ANSWER);

    // Act
    const answer = await guard.once(request(), run);

    // Assert
    expect(answer).toEqual(ANSWER);
    expect(run).toHaveBeenCalledTimes(1);
    expect(storeErrors).toHaveLength(1);
  });

  it("keeps the request's own error when its record could not be deleted either", async () => {
    // Prepare
    fakeIdempotencyTable(ddbMock);
    ddbMock.on(DeleteItemCommand).rejects(new Error('throttled'));
    const failure = new Error('queue kept failing');
    const run = vi.fn(async () => {
      throw failure;
    });

    // Act
    const error = await rejectionOf(idempotency().guard.once(request(), run));

    // Assert: never run again unguarded
    expect(error).toBe(failure);
    expect(run).toHaveBeenCalledTimes(1);
  });

  it('does not run a request whose existing record cannot be read, and lets the error through', async () => {
    // Prepare: the key is taken (the put is refused without the record) and the read fails
    fakeIdempotencyTable(ddbMock);
    ddbMock.on(PutItemCommand).rejects(conditionalCheckFailed());
    ddbMock.on(GetItemCommand).rejects(new Error('throttled'));
    const run = vi.fn(async () => ANSWER);

    // Act
    const error = await rejectionOf(idempotency().guard.once(request(), run));

    // Assert
    expect(error).toMatchObject({ message: 'throttled' });
    expect(run).not.toHaveBeenCalled();
  });
});
