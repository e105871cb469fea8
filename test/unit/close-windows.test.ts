import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type CloseOutcome,
  type CloserSettings,
  closeWindows,
  firstWatermark,
} from '../../lambdas/closer/close-windows';
import type { Analysis } from '../../lambdas/domain/analyses';
import { isoOf, windowKey } from '../../lambdas/domain/windows';
import { dynamoDbWindows } from '../../lambdas/windows/dynamodb-windows';
import { windowRowsQuery } from '../../lambdas/windows/window-inputs';
import { type FakeWindowObjects, fakeWindowObjects } from './factories.analyses';
import { rejectionOf } from './factories.ingest';
import {
  analysis,
  type FakeWindowsTable,
  fakeWindowsTable,
  msAfterT0,
  SETTLE_MS,
  seedTwoRequests,
  T0,
  WINDOW_TABLE,
} from './factories.windows';

const ddbMock = mockClient(DynamoDBClient);
/** W 60, A 10, L 30, settling 31 s: window s is final at s + 121 s. */
const items60s = analysis();
const windows = dynamoDbWindows(new DynamoDBClient({ region: 'eu-west-1' }), {
  tableName: WINDOW_TABLE,
  analysis: items60s,
  retention: { settleMs: SETTLE_MS, retentionDays: 7 },
});
const SETTINGS: CloserSettings = { settleMs: SETTLE_MS, maxWindowsPerRun: 360, firstLookbackSeconds: 3_600 };
/** Window T0, the last one holding pane T0, is final from here on. */
const T0_FINAL_MS = msAfterT0(121);

let table: FakeWindowsTable;
let objects: FakeWindowObjects;

const close = (nowMs: number, settings: Partial<CloserSettings> = {}): Promise<CloseOutcome> =>
  closeWindows(items60s, { ...SETTINGS, ...settings }, { windows, objects, clock: () => new Date(nowMs) });

/** The body of a final window's object; the aggregates of A's items alone, unless given. */
const finalBody = (
  start: number,
  closedAtMs: number,
  values: Record<string, number> = { count: 2, sum: 14, min: 5, max: 9, mean: 7 },
  late = 0,
) => ({
  v: 1,
  name: 'items-60s',
  start: isoOf(start),
  end: isoOf(start + 60),
  ...values,
  late,
  final: true,
  closedAt: new Date(closedAtMs).toISOString(),
});
/** A's and B's items. */
const BOTH = { count: 3, sum: 12, min: -2, max: 9, mean: 4 };

const objectOf = (start: number): unknown => objects.objects.get(windowKey('items-60s', start * 1_000));
const watermark = () => table.row('closer#items-60s', 'state')?.closedUntil?.N;

beforeEach(async () => {
  ddbMock.reset();
  table = fakeWindowsTable(ddbMock);
  objects = fakeWindowObjects(table.calls);
  await seedTwoRequests(windows);
});

describe('closeWindows', () => {
  it('closes the final windows from the watermark, writing rows and objects for windows with items, then moves the watermark', async () => {
    // Prepare
    await windows.advance(T0 - 60);
    table.calls.length = 0;

    // Act
    const outcome = await close(T0_FINAL_MS);

    // Assert
    expect(outcome).toStrictEqual({
      analysis: 'items-60s',
      closed: 7,
      written: 6,
      closedUntil: T0 + 10,
      behind: false,
    });
    expect([...objects.objects.keys()]).toEqual(
      [T0 - 50, T0 - 40, T0 - 30, T0 - 20, T0 - 10, T0].map((start) => windowKey('items-60s', start * 1_000)),
    );
    expect(objectOf(T0 - 50)).toStrictEqual(finalBody(T0 - 50, T0_FINAL_MS));
    expect(objectOf(T0 - 40)).toStrictEqual(finalBody(T0 - 40, T0_FINAL_MS, undefined, 1));
    expect(objectOf(T0)).toStrictEqual(finalBody(T0, T0_FINAL_MS, BOTH));
    expect(table.row('window#items-60s', isoOf(T0 - 60))).toBeUndefined();
    expect(table.row('window#items-60s', isoOf(T0 - 40))).toMatchObject({
      count: { N: '2' },
      sum: { N: '14' },
      late: { SS: ['req-B:0'] },
      final: { BOOL: true },
      closedAt: { S: new Date(T0_FINAL_MS).toISOString() },
    });
    expect(watermark()).toBe(String(T0 + 10));
    // Each window's row, then its object; the watermark last.
    expect(table.calls.at(-1)).toBe('UpdateItem closer#items-60s state');
    expect(table.calls.filter((call) => /^(UpdateItem window|PutObject)/.test(call))).toHaveLength(12);
    expect(table.calls.indexOf(`UpdateItem window#items-60s ${isoOf(T0)}`)).toBeLessThan(
      table.calls.indexOf(`PutObject ${windowKey('items-60s', T0 * 1_000)}`),
    );
  });

  it('starts an hour back, at the first window start after it, when there is no watermark yet', async () => {
    // Act: an hour before T0 + 121 s, the next start is T0 - 3470
    const outcome = await close(T0_FINAL_MS);

    // Assert
    expect(outcome).toStrictEqual({
      analysis: 'items-60s',
      closed: 348,
      written: 6,
      closedUntil: T0 + 10,
      behind: false,
    });
    expect(table.calls).toContain(`Query pane#items-60s#${T0 - 3470}`);
    expect(table.calls).not.toContain(`Query pane#items-60s#${T0 - 3480}`);
  });

  it.each([
    { maxWindowsPerRun: 1, closed: 1, written: 0, closedUntil: T0 - 50, behind: true },
    { maxWindowsPerRun: 3, closed: 3, written: 2, closedUntil: T0 - 30, behind: true },
    { maxWindowsPerRun: 6, closed: 6, written: 5, closedUntil: T0, behind: true },
    { maxWindowsPerRun: 7, closed: 7, written: 6, closedUntil: T0 + 10, behind: false },
    { maxWindowsPerRun: 8, closed: 7, written: 6, closedUntil: T0 + 10, behind: false },
  ])(
    'closes at most $maxWindowsPerRun of the 7 final windows, behind: $behind',
    async ({ maxWindowsPerRun, closed, written, closedUntil, behind }) => {
      // Prepare
      await windows.advance(T0 - 60);

      // Act
      const outcome = await close(T0_FINAL_MS, { maxWindowsPerRun });

      // Assert
      expect(outcome).toStrictEqual({ analysis: 'items-60s', closed, written, closedUntil, behind });
      expect(objects.objects.size).toBe(written);
      expect(watermark()).toBe(String(closedUntil));
    },
  );

  it.each([
    { name: 'at the instant it becomes final', nowMs: T0_FINAL_MS, closedUntil: T0 + 10 },
    { name: 'a millisecond before', nowMs: T0_FINAL_MS - 1, closedUntil: T0 },
  ])('closes window T0 $name, and no window after', async ({ nowMs, closedUntil }) => {
    // Prepare
    await windows.advance(T0 - 10);

    // Act
    const outcome = await close(nowMs);

    // Assert
    expect(outcome.closedUntil).toBe(closedUntil);
    expect(outcome.behind).toBe(false);
  });

  it('closes nothing, writing nothing, while no window after the watermark is final', async () => {
    // Prepare
    await windows.advance(T0);
    table.calls.length = 0;

    // Act
    const outcome = await close(T0_FINAL_MS - 1);

    // Assert
    expect(outcome).toStrictEqual({ analysis: 'items-60s', closed: 0, written: 0, behind: false });
    expect(table.calls).toEqual(['GetItem closer#items-60s state']);
    expect(watermark()).toBe(String(T0));
  });

  it('closes from where the last run stopped', async () => {
    // Prepare
    await windows.advance(T0 - 60);
    await close(T0_FINAL_MS);

    // Act: window T0 + 10 holds B's item alone
    const outcome = await close(T0_FINAL_MS + 10_000);

    // Assert
    expect(outcome).toStrictEqual({
      analysis: 'items-60s',
      closed: 1,
      written: 1,
      closedUntil: T0 + 20,
      behind: false,
    });
    expect(objectOf(T0 + 10)).toStrictEqual(
      finalBody(T0 + 10, T0_FINAL_MS + 10_000, { count: 1, sum: -2, min: -2, max: -2, mean: -2 }),
    );
    expect(objectOf(T0)).toStrictEqual(finalBody(T0, T0_FINAL_MS, BOTH));
  });

  it('writes the late items counted on the window rows, the first and last window of the run included', async () => {
    // Prepare
    await windows.advance(T0 - 50);
    for (const start of [T0 - 50, T0, T0 + 10])
      await windows.addLate(start, [{ requestId: 'req-Z', index: 9 }]);

    // Act
    await close(T0_FINAL_MS);

    // Assert
    expect([T0 - 50, T0 - 40, T0 - 30, T0 - 20, T0 - 10, T0].map((start) => objectOf(start))).toEqual([
      finalBody(T0 - 50, T0_FINAL_MS, undefined, 1),
      finalBody(T0 - 40, T0_FINAL_MS, undefined, 1),
      finalBody(T0 - 30, T0_FINAL_MS, BOTH),
      finalBody(T0 - 20, T0_FINAL_MS, BOTH),
      finalBody(T0 - 10, T0_FINAL_MS, BOTH),
      finalBody(T0, T0_FINAL_MS, BOTH, 1),
    ]);
    expect(
      ddbMock
        .commandCalls(QueryCommand)
        .map((call) => call.args[0].input)
        .filter((input) => input.ExpressionAttributeValues?.[':pk']?.S === 'window#items-60s'),
    ).toStrictEqual([windowRowsQuery(WINDOW_TABLE, 'items-60s', (T0 - 50) * 1_000, (T0 + 10) * 1_000)]);
  });

  it.each([
    { name: "a pane's rows", fails: (pk: string) => pk === `pane#items-60s#${T0 - 20}` },
    { name: 'the window rows', fails: (pk: string) => pk === 'window#items-60s' },
  ])('writes nothing and keeps the watermark when $name cannot be read', async ({ fails }) => {
    // Prepare
    await windows.advance(T0 - 60);
    table.calls.length = 0;
    table.failWhen = ({ operation, pk }) => (operation === 'Query' && fails(pk) ? 'refused' : undefined);

    // Act
    const error = await rejectionOf(close(T0_FINAL_MS));

    // Assert
    expect(error).toMatchObject({ message: expect.stringMatching(/^DynamoDB refused Query /) });
    expect(table.calls.filter((call) => !/^(Query|GetItem)/.test(call))).toEqual([]);
    expect(watermark()).toBe(String(T0 - 60));
  });

  it("keeps the watermark when a window's row cannot be written, and does not write its object", async () => {
    // Prepare
    await windows.advance(T0 - 60);
    table.failWhen = ({ operation, sk }) =>
      operation === 'UpdateItem' && sk === isoOf(T0 - 20) ? 'refused' : undefined;

    // Act
    const error = await rejectionOf(close(T0_FINAL_MS));

    // Assert
    expect(error).toMatchObject({ message: 'DynamoDB refused UpdateItem window#items-60s' });
    expect(objects.attempts).not.toContain(windowKey('items-60s', (T0 - 20) * 1_000));
    expect(watermark()).toBe(String(T0 - 60));
  });

  it('keeps the watermark when an object cannot be written; the next run writes the same values', async () => {
    // Prepare: the first run fails on window T0 - 20's object
    await windows.advance(T0 - 60);
    const lateKey = windowKey('items-60s', (T0 - 20) * 1_000);
    objects.failWhen = (key) => key === lateKey;
    const error = await rejectionOf(close(T0_FINAL_MS));
    objects.failWhen = undefined;
    const secondRunMs = T0_FINAL_MS + 5_000;

    // Act
    const outcome = await close(secondRunMs);

    // Assert
    expect(error).toMatchObject({ message: `S3 rejected ${lateKey}` });
    expect(outcome).toStrictEqual({
      analysis: 'items-60s',
      closed: 7,
      written: 6,
      closedUntil: T0 + 10,
      behind: false,
    });
    expect(objectOf(T0 - 20)).toStrictEqual(finalBody(T0 - 20, secondRunMs, BOTH));
    expect(objectOf(T0 - 30)).toStrictEqual(finalBody(T0 - 30, T0_FINAL_MS, BOTH));
    expect(table.row('window#items-60s', isoOf(T0 - 20))).toMatchObject({
      count: { N: '3' },
      closedAt: { S: new Date(T0_FINAL_MS).toISOString() },
    });
    expect(watermark()).toBe(String(T0 + 10));
  });
});

describe('firstWatermark', () => {
  const everySecond = analysis({ windowSeconds: 1, advanceSeconds: 1, latenessSeconds: 0 });

  it.each<{ name: string; analysis: Analysis; nowMs: number; lookback: number; expected: number }>([
    {
      name: 'a whole second, A = 1',
      analysis: everySecond,
      nowMs: msAfterT0(0),
      lookback: 60,
      expected: T0 - 60,
    },
    {
      name: 'within a second, A = 1: the next whole second',
      analysis: everySecond,
      nowMs: msAfterT0(0) + 1,
      lookback: 60,
      expected: T0 - 59,
    },
    {
      name: 'a window start, A = 10',
      analysis: items60s,
      nowMs: msAfterT0(0),
      lookback: 3_600,
      expected: T0 - 3_600,
    },
    {
      name: 'between window starts, A = 10: the next one',
      analysis: items60s,
      nowMs: msAfterT0(5),
      lookback: 3_600,
      expected: T0 - 3_590,
    },
    {
      name: 'a millisecond after a window start, A = 10',
      analysis: items60s,
      nowMs: msAfterT0(0) + 1,
      lookback: 3_600,
      expected: T0 - 3_590,
    },
  ])(
    'is the first window start at or after the lookback: $name',
    ({ analysis: analyzed, nowMs, lookback, expected }) => {
      // Act
      const start = firstWatermark(analyzed, nowMs, lookback);

      // Assert
      expect(start).toBe(expected);
    },
  );
});
