import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CloseOutcome } from '../../lambdas/closer/close-windows';
import type { Analysis } from '../../lambdas/domain/analyses';
import { isoOf, windowKey } from '../../lambdas/domain/windows';
import { dynamoDbWindows } from '../../lambdas/windows/dynamodb-windows';
import { lambdaContext } from '../support/lambda-events';
import {
  analysesVariable,
  BUCKET,
  CLOSER_FUNCTION_ENV,
  FUNCTION_SETTLE_MS,
  fiveMinutes,
  functionEnv,
  RETENTION_DAYS,
} from './factories.analyses';
import { conditionalRequestConflict, type FakeBucket, fakeBucket } from './factories.batch';
import { rejectionOf } from './factories.ingest';
import {
  analysis,
  type FakeWindowsTable,
  fakeWindowsTable,
  msAfterT0,
  T0,
  WINDOW_TABLE,
} from './factories.windows';
import { functionRuntimeAt, type Printed, restoreFunctionRuntime } from './function-output';

// The object writer backs off with node:timers/promises; answering at once keeps the retry test instant.
const { backoff } = vi.hoisted(() => ({ backoff: vi.fn(async (_ms: number): Promise<void> => undefined) }));
vi.mock('node:timers/promises', () => ({ setTimeout: backoff }));

const ddbMock = mockClient(DynamoDBClient);
const s3Mock = mockClient(S3Client);
const items60s = analysis();
const items5m = fiveMinutes();
/** Window T0 of items-60s is final at T0 + 60 + 30 + 11 s (the functions' 10 s timeout, plus 1). */
const T0_FINAL_MS = msAfterT0(101);

type CloserHandler = () => Promise<CloseOutcome[]>;

let table: FakeWindowsTable;
let bucket: FakeBucket;
let printed: Printed;

/** The handler reads its settings at import, so each test imports a fresh copy after setting env. */
async function loadHandler(): Promise<CloserHandler> {
  vi.resetModules();
  const module = await import('../../lambdas/closer/handler');
  return () => module.handler({}, lambdaContext('window-closer'));
}

const windowsOf = (analyzed: Analysis) =>
  dynamoDbWindows(new DynamoDBClient({ region: 'eu-west-1' }), {
    tableName: WINDOW_TABLE,
    analysis: analyzed,
    retention: { settleMs: FUNCTION_SETTLE_MS, retentionDays: RETENTION_DAYS },
  });

/** Item 5 of items-60s in pane T0 and item 3 of items-5m in its pane 10:35, each received at once. */
async function seedItems(): Promise<void> {
  await windowsOf(items60s).writePane({
    paneStart: T0,
    requestId: 'req-A',
    items: [{ index: 0, value: 5 }],
    receivedAtMs: msAfterT0(6),
  });
  await windowsOf(items5m).writePane({
    paneStart: T0 - 420,
    requestId: 'req-A',
    items: [{ index: 0, value: 3 }],
    receivedAtMs: msAfterT0(-400),
  });
}

const storedKeys = () => bucket.stored.map(({ key }) => key);

beforeEach(async () => {
  ddbMock.reset();
  s3Mock.reset();
  backoff.mockClear();
  table = fakeWindowsTable(ddbMock);
  bucket = fakeBucket(s3Mock);
  await seedItems();
  printed = functionRuntimeAt(functionEnv(CLOSER_FUNCTION_ENV, 'window-closer'), T0_FINAL_MS);
});

afterEach(restoreFunctionRuntime);

describe('closer handler', () => {
  it("closes every analysis's final windows from an hour back, writing their objects to the bucket once", async () => {
    // Prepare
    const handler = await loadHandler();

    // Act
    const outcomes = await handler();

    // Assert: items-60s from T0 - 3490 to T0; items-5m from 09:45 (T0 - 3420) to 10:35
    expect(outcomes).toStrictEqual([
      { analysis: 'items-60s', closed: 350, written: 6, closedUntil: T0 + 10, behind: false },
      { analysis: 'items-5m', closed: 11, written: 1, closedUntil: T0 - 120, behind: false },
    ]);
    expect(storedKeys()).toEqual([
      ...[T0 - 50, T0 - 40, T0 - 30, T0 - 20, T0 - 10, T0].map((start) =>
        windowKey('items-60s', start * 1_000),
      ),
      windowKey('items-5m', (T0 - 420) * 1_000),
    ]);
    expect(bucket.stored.at(-1)?.body).toStrictEqual({
      v: 1,
      name: 'items-5m',
      start: isoOf(T0 - 420),
      end: isoOf(T0 - 120),
      count: 1,
      sum: 3,
      late: 0,
      final: true,
      closedAt: new Date(T0_FINAL_MS).toISOString(),
    });
    for (const call of s3Mock.commandCalls(PutObjectCommand)) {
      expect(call.args[0].input).toMatchObject({ Bucket: BUCKET, IfNoneMatch: '*' });
    }
  });

  it('writes final rows to the table of its environment, kept for the retention after the window is final', async () => {
    // Prepare
    const handler = await loadHandler();

    // Act
    await handler();

    // Assert
    expect(table.row('window#items-60s', isoOf(T0))).toMatchObject({
      count: { N: '1' },
      final: { BOOL: true },
      expiresAt: { N: String(T0 + 101 + RETENTION_DAYS * 86_400) },
    });
    expect(table.row('closer#items-60s', 'state')?.closedUntil).toEqual({ N: String(T0 + 10) });
  });

  it.each([
    { name: 'at the instant window T0 is final', nowMs: T0_FINAL_MS, closedUntil: T0 + 10 },
    { name: 'a millisecond before', nowMs: T0_FINAL_MS - 1, closedUntil: T0 },
  ])(
    'settles windows for the analysis functions timeout plus a second: $name',
    async ({ nowMs, closedUntil }) => {
      // Prepare
      vi.stubEnv('ANALYSES', analysesVariable([items60s]));
      vi.setSystemTime(new Date(nowMs));
      const handler = await loadHandler();

      // Act
      const [outcome] = await handler();

      // Assert
      expect(outcome?.closedUntil).toBe(closedUntil);
    },
  );

  it('closes at most 360 windows of an analysis per run, and says it is behind', async () => {
    // Prepare: an hour of 1-second windows is final
    vi.stubEnv(
      'ANALYSES',
      analysesVariable([analysis({ windowSeconds: 1, advanceSeconds: 1, latenessSeconds: 0 })]),
    );
    const handler = await loadHandler();

    // Act
    const outcomes = await handler();

    // Assert: the first run starts at T0 + 101 - 3600
    expect(outcomes).toStrictEqual([
      { analysis: 'items-60s', closed: 360, written: 0, closedUntil: T0 - 3_499 + 360, behind: true },
    ]);
  });

  it('publishes the windows written per analysis and no closer error, and logs each analysis that closed windows', async () => {
    // Prepare: items-5m is closed up to its window 10:40, final at T0 + 191 s
    await windowsOf(items5m).advance(T0 - 120);
    const handler = await loadHandler();

    // Act
    await handler();

    // Assert
    expect(printed.metrics).toEqual([expect.objectContaining({ WindowsClosed: [6, 0], CloserErrors: 0 })]);
    expect(printed.logs).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'Windows closed',
        analysis: 'items-60s',
        closed: 350,
        written: 6,
        closedUntil: T0 + 10,
        behind: false,
      }),
    ]);
  });

  it('closes the other analyses when one fails, then fails the run, logging and counting the one', async () => {
    // Prepare
    const handler = await loadHandler();
    table.failWhen = ({ pk }) => (pk.startsWith('pane#items-5m#') ? 'refused' : undefined);

    // Act
    const error = await rejectionOf(handler());

    // Assert
    expect(error).toBeInstanceOf(AggregateError);
    expect(error).toMatchObject({ message: '1 analyses not closed' });
    expect((error as AggregateError).errors).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/^DynamoDB refused Query pane#items-5m#/) }),
    ]);
    expect(storedKeys()).toHaveLength(6);
    expect(table.row('closer#items-5m', 'state')).toBeUndefined();
    expect(printed.metrics).toEqual([expect.objectContaining({ WindowsClosed: 6, CloserErrors: 1 })]);
    expect(printed.logs.filter((line) => line.level === 'ERROR')).toEqual([
      expect.objectContaining({
        message: 'Windows not closed; the next run retries',
        analysis: 'items-5m',
        error: expect.objectContaining({ message: expect.stringMatching(/^DynamoDB refused Query/) }),
      }),
    ]);
  });

  it('pauses before retrying an object write S3 answers with 409 ConditionalRequestConflict', async () => {
    // Prepare
    vi.stubEnv('ANALYSES', analysesVariable([items5m]));
    const handler = await loadHandler();
    s3Mock.on(PutObjectCommand).rejectsOnce(conditionalRequestConflict()).resolves({});

    // Act
    const [outcome] = await handler();

    // Assert
    expect(outcome?.written).toBe(1);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(2);
    expect(backoff.mock.calls).toEqual([[50]]);
  });

  it.each(Object.keys(CLOSER_FUNCTION_ENV))('fails to load without %s, naming the variable', async (name) => {
    // Prepare
    vi.stubEnv(name, undefined);

    // Act / Assert
    await expect(loadHandler()).rejects.toThrow(`${name} must be set`);
  });
});
