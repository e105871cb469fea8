import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AnalysisNotFoundError,
  type AnsweredWindow,
  analysesAnswer,
  InvalidRangeError,
  readWindows,
  type WindowsAnswer,
  type WindowsQuery,
  WindowsUnavailableError,
} from '../../lambdas/analyses-api/read-windows';
import type { Analysis } from '../../lambdas/domain/analyses';
import { isoOf } from '../../lambdas/domain/windows';
import { dynamoDbWindows } from '../../lambdas/windows/dynamodb-windows';
import { windowRowsQuery } from '../../lambdas/windows/window-inputs';
import { fiveMinutes } from './factories.analyses';
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
const ddb = new DynamoDBClient({ region: 'eu-west-1' });
/** W 60, A 10, L 30, settling 31 s: window s is final at s + 121 s. */
const items60s = analysis();
const ANALYSES = [items60s, fiveMinutes()];
const RETENTION = { settleMs: SETTLE_MS, retentionDays: 7 };
const windowsOf = (analyzed: Analysis) =>
  dynamoDbWindows(ddb, { tableName: WINDOW_TABLE, analysis: analyzed, retention: RETENTION });
const windows = windowsOf(items60s);
/** Window T0, the last one holding pane T0, is final from here on. */
const T0_FINAL_MS = msAfterT0(121);
const CLOSED_AT = new Date(T0_FINAL_MS);

let table: FakeWindowsTable;

/** The queries of window rows the table received. */
const windowRowQueries = () =>
  ddbMock
    .commandCalls(QueryCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.ExpressionAttributeValues?.[':pk']?.S?.startsWith('window#'));

/** The windows of items-60s from T0 - 60 to T0 + 20 (exclusive), read at T0_FINAL_MS, unless overridden. */
const read = (
  query: Partial<WindowsQuery> = {},
  analyses: readonly Analysis[] = ANALYSES,
): Promise<WindowsAnswer> =>
  readWindows(
    analyses,
    { name: 'items-60s', from: isoOf(T0 - 60), to: isoOf(T0 + 20), now: new Date(T0_FINAL_MS), ...query },
    windowsOf,
    SETTLE_MS,
  );

/** An answered window of items-60s. */
const answered = (
  start: number,
  values: Record<string, number>,
  { late = 0, final = true }: { late?: number; final?: boolean } = {},
): AnsweredWindow =>
  ({ start: isoOf(start), end: isoOf(start + 60), ...values, late, final }) as AnsweredWindow;
const EMPTY = { count: 0, sum: 0 };
/** req-A's items 5 and 9. */
const A_ONLY = { count: 2, sum: 14, min: 5, max: 9, mean: 7 };
/** req-A's and req-B's items. */
const BOTH = { count: 3, sum: 12, min: -2, max: 9, mean: 4 };
const B_ONLY = { count: 1, sum: -2, min: -2, max: -2, mean: -2 };

/** A closed window's row with values no pane holds, to show where an answer comes from. */
const writeClosedRow = (start: number) =>
  windows.writeFinal(
    { start: isoOf(start), end: isoOf(start + 60), count: 99, sum: 1, min: 1, max: 1, mean: 1, late: 0 },
    CLOSED_AT,
  );
const FROM_ROW = { count: 99, sum: 1, min: 1, max: 1, mean: 1 };

beforeEach(async () => {
  ddbMock.reset();
  table = fakeWindowsTable(ddbMock);
  await seedTwoRequests(windows);
  table.calls.length = 0;
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('analysesAnswer', () => {
  it('lists every analysis with its settings', () => {
    // Act
    const answer = analysesAnswer(ANALYSES);

    // Assert
    expect(answer).toStrictEqual({
      analyses: [
        {
          name: 'items-60s',
          windowSeconds: 60,
          advanceSeconds: 10,
          aggregates: ['count', 'sum', 'min', 'max', 'mean'],
          latenessSeconds: 30,
        },
        {
          name: 'items-5m',
          windowSeconds: 300,
          advanceSeconds: 300,
          aggregates: ['count', 'sum'],
          latenessSeconds: 0,
        },
      ],
    });
  });

  it('answers an empty list when no analysis is registered', () => {
    expect(analysesAnswer([])).toStrictEqual({ analyses: [] });
  });
});

describe('readWindows: the analysis', () => {
  it.each([
    { name: 'nope', analyses: ANALYSES, message: 'No analysis nope (registered: items-60s, items-5m)' },
    {
      name: 'items-60',
      analyses: ANALYSES,
      message: 'No analysis items-60 (registered: items-60s, items-5m)',
    },
    { name: 'items-60s', analyses: [], message: 'No analysis items-60s (registered: none)' },
    { name: undefined, analyses: ANALYSES, message: 'No analysis  (registered: items-60s, items-5m)' },
  ])(
    'answers 404 ANALYSIS_NOT_FOUND for $name, naming the registered ones',
    async ({ name, analyses, message }) => {
      // Act
      const error = await rejectionOf(read({ name }, analyses));

      // Assert
      expect(error).toBeInstanceOf(AnalysisNotFoundError);
      expect(error).toMatchObject({ code: 'ANALYSIS_NOT_FOUND', status: 404, message });
      expect(table.calls).toEqual([]);
    },
  );

  it("reads the named analysis's own windows", async () => {
    // Act: 5-minute windows start at 10:40 and 10:45
    const answer = await read({ name: 'items-5m', from: isoOf(T0 - 120), to: isoOf(T0 + 180) });

    // Assert
    expect(answer).toStrictEqual({
      name: 'items-5m',
      windows: [{ start: isoOf(T0 - 120), end: isoOf(T0 + 180), count: 0, sum: 0, late: 0, final: false }],
    });
    expect(table.calls).toEqual([
      'GetItem closer#items-5m state',
      'Query window#items-5m',
      `Query pane#items-5m#${T0 - 120}`,
    ]);
  });
});

describe('readWindows: the range', () => {
  it.each([
    {
      query: { from: 'yesterday' },
      message: 'from must be an ISO 8601 time like 2026-11-23T10:42:00Z (got yesterday)',
    },
    {
      query: { to: '2026-11-23' },
      message: 'to must be an ISO 8601 time like 2026-11-23T10:42:00Z (got 2026-11-23)',
    },
    {
      query: { from: '2026-11-23 10:42:00Z' },
      message: 'from must be an ISO 8601 time like 2026-11-23T10:42:00Z (got 2026-11-23 10:42:00Z)',
    },
    {
      query: { to: 'Mon, 23 Nov 2026 10:42:00 GMT' },
      message: 'to must be an ISO 8601 time like 2026-11-23T10:42:00Z (got Mon, 23 Nov 2026 10:42:00 GMT)',
    },
    {
      query: { from: ' 2026-11-23T10:42:00Z' },
      message: 'from must be an ISO 8601 time like 2026-11-23T10:42:00Z (got  2026-11-23T10:42:00Z)',
    },
    {
      query: { to: '2026-11-23T25:42:00Z' },
      message: 'to must be an ISO 8601 time like 2026-11-23T10:42:00Z (got 2026-11-23T25:42:00Z)',
    },
    { query: { from: '' }, message: 'from must be an ISO 8601 time like 2026-11-23T10:42:00Z (got )' },
    {
      query: { from: '+002026-11-23T10:42:00Z' },
      message: 'from must be an ISO 8601 time like 2026-11-23T10:42:00Z (got +002026-11-23T10:42:00Z)',
    },
    {
      query: { from: isoOf(T0), to: isoOf(T0) },
      message: 'from must be before to (got 2026-11-23T10:42:00.000Z and 2026-11-23T10:42:00.000Z)',
    },
    {
      query: { from: '2026-11-23T10:42:00.001Z', to: '2026-11-23T10:42:00Z' },
      message: 'from must be before to (got 2026-11-23T10:42:00.001Z and 2026-11-23T10:42:00.000Z)',
    },
    {
      query: { from: isoOf(T0_FINAL_MS / 1_000), to: undefined },
      message: 'from must be before to (got 2026-11-23T10:44:01.000Z and 2026-11-23T10:44:01.000Z)',
    },
    {
      query: { from: isoOf(T0), to: isoOf(T0 + 10_001) },
      message: 'The range holds more than 1000 windows of 10 s; ask for a shorter one',
    },
  ])('answers 400 INVALID_RANGE for $query', async ({ query, message }) => {
    // Act
    const error = await rejectionOf(read(query));

    // Assert
    expect(error).toBeInstanceOf(InvalidRangeError);
    expect(error).toMatchObject({ code: 'INVALID_RANGE', status: 400, message });
    expect(table.calls).toEqual([]);
  });

  it.each([
    { name: 'Z', from: '2026-11-23T10:41:00Z' },
    { name: 'a lower-case z', from: '2026-11-23T10:41:00z' },
    { name: 'minutes only', from: '2026-11-23T10:41Z' },
    { name: 'milliseconds', from: '2026-11-23T10:41:00.000Z' },
    { name: 'an offset', from: '2026-11-23T11:41:00+01:00' },
    { name: 'an offset without a colon', from: '2026-11-23T05:41:00-0500' },
  ])('takes an ISO 8601 time with $name', async ({ from }) => {
    // Act
    const answer = await read({ from, to: isoOf(T0) });

    // Assert
    expect(answer.windows.map((window) => window.start)).toEqual([
      '2026-11-23T10:41:00.000Z',
      '2026-11-23T10:41:10.000Z',
      '2026-11-23T10:41:20.000Z',
      '2026-11-23T10:41:30.000Z',
      '2026-11-23T10:41:40.000Z',
      '2026-11-23T10:41:50.000Z',
    ]);
  });

  it.each(['UTC', 'America/New_York', 'Asia/Kolkata'])(
    'reads a time without an offset as UTC, on a host in %s',
    async (timeZone) => {
      // Prepare
      vi.stubEnv('TZ', timeZone);

      // Act
      const answer = await read({ from: '2026-11-23T10:41:40', to: '2026-11-23T10:42:00.000' });

      // Assert
      expect(answer.windows.map((window) => window.start)).toEqual([isoOf(T0 - 20), isoOf(T0 - 10)]);
    },
  );

  it('answers exactly 1000 windows', async () => {
    // Act
    const answer = await read({ from: isoOf(T0), to: isoOf(T0 + 10_000) });

    // Assert
    expect(answer.windows).toHaveLength(1_000);
    expect(answer.windows.at(-1)?.start).toBe(isoOf(T0 + 9_990));
  });

  it.each([
    {
      name: 'neither: the 30 minutes before now',
      from: undefined,
      to: undefined,
      first: T0 - 1_670,
      last: T0 + 120,
    },
    {
      name: 'to alone: the 30 minutes before it',
      from: undefined,
      to: isoOf(T0 + 60),
      first: T0 - 1_740,
      last: T0 + 50,
    },
    { name: 'from alone: until now', from: isoOf(T0 + 100), to: undefined, first: T0 + 100, last: T0 + 120 },
  ])('answers the windows starting in the default range, given $name', async ({ from, to, first, last }) => {
    // Act
    const answer = await read({ from, to });

    // Assert
    expect(answer.windows[0]?.start).toBe(isoOf(first));
    expect(answer.windows.at(-1)?.start).toBe(isoOf(last));
    expect(answer.windows).toHaveLength((last - first) / 10 + 1);
  });

  it.each([
    { advanceSeconds: 1, windows: 1_000 },
    { advanceSeconds: 2, windows: 900 },
  ])(
    'starts the default range 1000 windows before now when 30 minutes hold more: $windows windows of $advanceSeconds s',
    async ({ advanceSeconds, windows: count }) => {
      // Prepare
      const fine = analysis({ name: 'fine', windowSeconds: 2, advanceSeconds, latenessSeconds: 0 });

      // Act
      const answer = await read({ name: 'fine', from: undefined, to: undefined }, [fine]);

      // Assert
      expect(answer.windows).toHaveLength(count);
      expect(answer.windows.at(-1)?.start).toBe(isoOf(T0 + 120));
    },
  );

  it('answers no windows, reading nothing, for a range in which no window starts', async () => {
    // Act
    const answer = await read({ from: '2026-11-23T10:42:00.001Z', to: '2026-11-23T10:42:09.999Z' });

    // Assert
    expect(answer).toStrictEqual({ name: 'items-60s', windows: [] });
    expect(table.calls).toEqual([]);
  });
});

describe('readWindows: the windows', () => {
  it('merges windows nothing has closed from their panes, empty ones included, final once they are', async () => {
    // Act: before any close
    const answer = await read();

    // Assert
    expect(answer).toStrictEqual({
      name: 'items-60s',
      windows: [
        answered(T0 - 60, EMPTY),
        answered(T0 - 50, A_ONLY),
        answered(T0 - 40, A_ONLY, { late: 1 }),
        answered(T0 - 30, BOTH),
        answered(T0 - 20, BOTH),
        answered(T0 - 10, BOTH),
        answered(T0, BOTH),
        answered(T0 + 10, B_ONLY, { final: false }),
      ],
    });
  });

  it('answers closed windows from their rows, a window without a row as empty, and the others from their panes', async () => {
    // Prepare: closed up to T0 - 10; a row with values at T0 - 50, only late items at T0 - 40
    await writeClosedRow(T0 - 50);
    await windows.addLate(T0 - 50, [{ requestId: 'req-Z', index: 0 }]);
    await windows.advance(T0 - 10);
    table.calls.length = 0;

    // Act
    const answer = await read();

    // Assert
    expect(answer.windows).toStrictEqual([
      answered(T0 - 60, EMPTY),
      answered(T0 - 50, FROM_ROW, { late: 1 }),
      answered(T0 - 40, EMPTY, { late: 1 }),
      answered(T0 - 30, EMPTY),
      answered(T0 - 20, EMPTY),
      answered(T0 - 10, BOTH),
      answered(T0, BOTH),
      answered(T0 + 10, B_ONLY, { final: false }),
    ]);
    // The panes of the open windows T0 - 10 to T0 + 10, and no other.
    expect(table.calls.filter((call) => call.startsWith('Query pane#'))).toEqual(
      [T0 - 10, T0, T0 + 10, T0 + 20, T0 + 30, T0 + 40, T0 + 50, T0 + 60].map(
        (pane) => `Query pane#items-60s#${pane}`,
      ),
    );
  });

  it('answers a window whose start is the watermark from its panes, provisional until final', async () => {
    // Prepare: a closer wrote the row of T0 + 10 but has not moved the watermark past it
    await writeClosedRow(T0 + 10);
    await windows.advance(T0 + 10);

    // Act
    const answer = await read({ from: isoOf(T0), to: isoOf(T0 + 20) });

    // Assert
    expect(answer.windows).toStrictEqual([answered(T0, EMPTY), answered(T0 + 10, B_ONLY, { final: false })]);
  });

  it('reads the rows of the first and the last window of the range', async () => {
    // Prepare: closed rows at T0 - 40 and T0 - 10; late items on T0 - 10, T0 (open) and T0 + 20 (outside)
    await writeClosedRow(T0 - 40);
    await writeClosedRow(T0 - 10);
    await windows.advance(T0);
    for (const start of [T0 - 10, T0, T0 + 20])
      await windows.addLate(start, [{ requestId: 'req-Z', index: 0 }]);

    // Act
    const answer = await read({ from: isoOf(T0 - 40), to: isoOf(T0 + 20) });

    // Assert
    expect(answer.windows).toStrictEqual([
      answered(T0 - 40, FROM_ROW, { late: 1 }),
      answered(T0 - 30, EMPTY),
      answered(T0 - 20, EMPTY),
      answered(T0 - 10, FROM_ROW, { late: 1 }),
      answered(T0, BOTH, { late: 1 }),
      answered(T0 + 10, B_ONLY, { final: false }),
    ]);
    expect(windowRowQueries()).toStrictEqual([
      windowRowsQuery(WINDOW_TABLE, 'items-60s', (T0 - 40) * 1_000, (T0 + 20) * 1_000),
    ]);
  });

  it.each([
    { name: 'a millisecond before it is final', nowMs: msAfterT0(131) - 1, final: false },
    { name: 'at the instant it is final', nowMs: msAfterT0(131), final: true },
  ])('says window T0 + 10 is final $name: $final', async ({ nowMs, final }) => {
    // Act
    const answer = await read({ from: isoOf(T0 + 10), to: isoOf(T0 + 20), now: new Date(nowMs) });

    // Assert
    expect(answer.windows).toStrictEqual([answered(T0 + 10, B_ONLY, { final })]);
  });

  it.each([
    { name: 'the watermark', operation: 'GetItem', pk: 'closer#items-60s' },
    { name: 'the window rows', operation: 'Query', pk: 'window#items-60s' },
    { name: "a pane's rows", operation: 'Query', pk: `pane#items-60s#${T0 + 10}` },
  ])('answers 503 WINDOWS_UNAVAILABLE when $name cannot be read', async ({ operation, pk }) => {
    // Prepare
    table.failWhen = (request) =>
      request.operation === operation && request.pk === pk ? 'refused' : undefined;

    // Act
    const error = await rejectionOf(read());

    // Assert
    expect(error).toBeInstanceOf(WindowsUnavailableError);
    expect(error).toMatchObject({
      code: 'WINDOWS_UNAVAILABLE',
      status: 503,
      message: 'The windows could not be read; retry later',
      cause: { message: `DynamoDB refused ${operation} ${pk}` },
    });
  });
});
