import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { computeWindow } from '../../lambdas/domain/windows';
import { dynamoDbWindows } from '../../lambdas/windows/dynamodb-windows';
import {
  finalWindowUpdate,
  lateUpdate,
  MalformedRowError,
  type PaneWrite,
  paneRowsQuery,
  paneUpdates,
  watermarkRequest,
  watermarkUpdate,
  windowRowsQuery,
} from '../../lambdas/windows/window-inputs';
import { rejectionOf } from './factories.ingest';
import {
  analysis,
  fakeWindowsTable,
  msAfterT0,
  paneRow,
  SETTLE_MS,
  T0,
  WINDOW_TABLE,
} from './factories.windows';

const ddbMock = mockClient(DynamoDBClient);
const ddb = new DynamoDBClient({ region: 'eu-west-1' });
const items60s = analysis();
const RETENTION = { settleMs: SETTLE_MS, retentionDays: 7 };
const CLOSED_AT = new Date('2026-11-23T10:44:02.500Z');

const windows = () =>
  dynamoDbWindows(ddb, { tableName: WINDOW_TABLE, analysis: items60s, retention: RETENTION });

const paneWrite = (indexes: readonly number[], receivedAtMs = msAfterT0(12)): PaneWrite => ({
  paneStart: T0,
  requestId: 'req-A',
  items: indexes.map((index) => ({ index, value: index * 10 })),
  receivedAtMs,
});

const updateInputs = () => ddbMock.commandCalls(UpdateItemCommand).map((call) => call.args[0].input);
const queryInputs = () => ddbMock.commandCalls(QueryCommand).map((call) => call.args[0].input);

beforeEach(() => {
  ddbMock.reset();
});

describe('writePane', () => {
  it('sends the pane row upsert and answers the row DynamoDB returns', async () => {
    // Prepare: the table answers an earlier first arrival for index 3 (a redelivery)
    ddbMock.on(UpdateItemCommand).resolves({
      Attributes: {
        pk: { S: `pane#items-60s#${T0}` },
        sk: { S: 'req-A' },
        v3: { N: '30' },
        t3: { N: String(msAfterT0(8)) },
      },
    });

    // Act
    const row = await windows().writePane(paneWrite([3]));

    // Assert
    expect(updateInputs()).toStrictEqual(paneUpdates(WINDOW_TABLE, items60s, paneWrite([3]), RETENTION));
    expect(row).toStrictEqual(paneRow(T0, 'req-A', [[3, 30, msAfterT0(8)]]));
  });

  it('sends over 40 indexes in several updates, one after another, and answers the last answer, the whole row', async () => {
    // Prepare
    const table = fakeWindowsTable(ddbMock);
    const indexes = Array.from({ length: 41 }, (_, index) => index);

    // Act
    const row = await windows().writePane(paneWrite(indexes));

    // Assert
    expect(updateInputs()).toStrictEqual(paneUpdates(WINDOW_TABLE, items60s, paneWrite(indexes), RETENTION));
    expect(table.calls).toEqual([
      `UpdateItem pane#items-60s#${T0} req-A`,
      `UpdateItem pane#items-60s#${T0} req-A`,
    ]);
    expect([...row.items.keys()]).toEqual(indexes);
    expect(row.items.get(40)).toEqual({ value: 400, arrivedAtMs: msAfterT0(12) });
  });

  it('refuses a write without items, sending nothing', async () => {
    // Act
    const error = await rejectionOf(windows().writePane(paneWrite([])));

    // Assert
    expect(error).toMatchObject({ message: `No items to write for pane ${T0}` });
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it('refuses an answer without the row as malformed', async () => {
    // Prepare
    ddbMock.on(UpdateItemCommand).resolves({});

    // Act
    const error = await rejectionOf(windows().writePane(paneWrite([3])));

    // Assert
    expect(error).toBeInstanceOf(MalformedRowError);
    expect(error).toMatchObject({ message: 'The row has no text attribute pk' });
  });

  it('lets a failed update reach the caller', async () => {
    // Prepare
    ddbMock.on(UpdateItemCommand).rejects(new Error('ProvisionedThroughputExceeded'));

    // Act
    const error = await rejectionOf(windows().writePane(paneWrite([3])));

    // Assert
    expect(error).toMatchObject({ message: 'ProvisionedThroughputExceeded' });
  });
});

describe('addLate', () => {
  it("adds the items to the window row's late set", async () => {
    // Prepare
    ddbMock.on(UpdateItemCommand).resolves({});
    const items = [
      { requestId: 'req-A', index: 0 },
      { requestId: 'req-B', index: 2 },
    ];

    // Act
    await windows().addLate(T0 - 50, items);

    // Assert
    expect(updateInputs()).toStrictEqual([lateUpdate(WINDOW_TABLE, items60s, T0 - 50, items, RETENTION)]);
  });

  it('sends nothing for no items (DynamoDB refuses an empty set)', async () => {
    // Act
    await windows().addLate(T0 - 50, []);

    // Assert
    expect(ddbMock.calls()).toHaveLength(0);
  });
});

describe('closedUntil', () => {
  it.each([
    { name: 'the watermark', Item: { closedUntil: { N: String(T0) } }, expected: T0 },
    { name: 'undefined before the first close', Item: undefined, expected: undefined },
  ])('reads $name, strongly consistent', async ({ Item, expected }) => {
    // Prepare
    ddbMock.on(GetItemCommand).resolves({ Item });

    // Act
    const closedUntil = await windows().closedUntil();

    // Assert
    expect(closedUntil).toBe(expected);
    expect(ddbMock.commandCalls(GetItemCommand).map((call) => call.args[0].input)).toStrictEqual([
      watermarkRequest(WINDOW_TABLE, 'items-60s'),
    ]);
  });
});

describe('paneRows', () => {
  it("reads every request's row of the pane, page after page", async () => {
    // Prepare: three rows, two per page
    const table = fakeWindowsTable(ddbMock, { pageSize: 2 });
    for (const requestId of ['req-C', 'req-A', 'req-B']) {
      await windows().writePane({ ...paneWrite([1]), requestId });
    }
    await windows().writePane({ ...paneWrite([1]), paneStart: T0 + 10 });
    ddbMock.resetHistory();

    // Act
    const rows = await windows().paneRows(T0);

    // Assert
    expect(rows.map((row) => row.requestId)).toEqual(['req-A', 'req-B', 'req-C']);
    expect(rows[0]).toStrictEqual(paneRow(T0, 'req-A', [[1, 10, msAfterT0(12)]]));
    expect(queryInputs()).toStrictEqual([
      paneRowsQuery(WINDOW_TABLE, 'items-60s', T0),
      paneRowsQuery(WINDOW_TABLE, 'items-60s', T0, { pk: { S: `pane#items-60s#${T0}` }, sk: { S: 'req-B' } }),
    ]);
    expect(table.calls.filter((call) => call.startsWith('Query'))).toHaveLength(2);
  });

  it('reads a page without items as no rows', async () => {
    // Prepare
    ddbMock.on(QueryCommand).resolves({});

    // Act
    const rows = await windows().paneRows(T0);

    // Assert
    expect(rows).toEqual([]);
  });
});

describe('windowRows', () => {
  it('reads the rows with starts in [fromMs, toMs), page after page', async () => {
    // Prepare: late items on four windows, one of them closed
    fakeWindowsTable(ddbMock, { pageSize: 1 });
    const item = [{ requestId: 'req-A', index: 0 }];
    for (const start of [T0 - 10, T0, T0 + 10, T0 + 20]) await windows().addLate(start, item);
    const closed = computeWindow(T0 + 10, items60s, [paneRow(T0 + 10, 'req-A', [[0, 4, msAfterT0(11)]])], 1);
    await windows().writeFinal(closed, CLOSED_AT);
    ddbMock.resetHistory();

    // Act
    const rows = await windows().windowRows(T0 * 1_000, (T0 + 20) * 1_000);

    // Assert
    expect(rows).toStrictEqual([
      { analysis: 'items-60s', windowStart: T0, late: 1 },
      {
        analysis: 'items-60s',
        windowStart: T0 + 10,
        late: 1,
        aggregates: { count: 1, sum: 4, min: 4, max: 4, mean: 4 },
        closedAt: CLOSED_AT.toISOString(),
      },
    ]);
    expect(queryInputs()).toStrictEqual([
      windowRowsQuery(WINDOW_TABLE, 'items-60s', T0 * 1_000, (T0 + 20) * 1_000),
      windowRowsQuery(WINDOW_TABLE, 'items-60s', T0 * 1_000, (T0 + 20) * 1_000, {
        pk: { S: 'window#items-60s' },
        sk: { S: '2026-11-23T10:42:00.000Z' },
      }),
    ]);
  });

  it.each([
    { name: 'an empty range', toMs: T0 * 1_000 },
    { name: 'a range ending before it starts', toMs: T0 * 1_000 - 1 },
  ])('answers no rows for $name without a query', async ({ toMs }) => {
    // Act
    const rows = await windows().windowRows(T0 * 1_000, toMs);

    // Assert
    expect(rows).toEqual([]);
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it('queries a range one millisecond long', async () => {
    // Prepare
    ddbMock.on(QueryCommand).resolves({ Items: [] });

    // Act
    await windows().windowRows(T0 * 1_000, T0 * 1_000 + 1);

    // Assert
    expect(queryInputs()).toStrictEqual([
      windowRowsQuery(WINDOW_TABLE, 'items-60s', T0 * 1_000, T0 * 1_000 + 1),
    ]);
  });
});

describe('writeFinal and advance', () => {
  it('writes the final window once', async () => {
    // Prepare
    ddbMock.on(UpdateItemCommand).resolves({});
    const window = computeWindow(T0, items60s, [paneRow(T0, 'req-A', [[0, 4, msAfterT0(11)]])], 2);

    // Act
    await windows().writeFinal(window, CLOSED_AT);

    // Assert
    expect(updateInputs()).toStrictEqual([
      finalWindowUpdate(WINDOW_TABLE, items60s, window, CLOSED_AT, RETENTION),
    ]);
  });

  it('moves the watermark forward', async () => {
    // Prepare
    ddbMock.on(UpdateItemCommand).resolves({});

    // Act
    await windows().advance(T0 + 10);

    // Assert
    expect(updateInputs()).toStrictEqual([watermarkUpdate(WINDOW_TABLE, 'items-60s', T0 + 10)]);
  });

  it('takes a watermark another run moved as far or further as moved', async () => {
    // Prepare
    const table = fakeWindowsTable(ddbMock);
    await windows().advance(T0 + 20);

    // Act
    await windows().advance(T0 + 10);
    await windows().advance(T0 + 20);

    // Assert
    expect(table.row('closer#items-60s', 'state')?.closedUntil).toEqual({ N: String(T0 + 20) });
    expect(await windows().closedUntil()).toBe(T0 + 20);
  });

  it('lets any other failure of the watermark update reach the caller', async () => {
    // Prepare
    ddbMock.on(UpdateItemCommand).rejects(new Error('ProvisionedThroughputExceeded'));

    // Act
    const error = await rejectionOf(windows().advance(T0 + 10));

    // Assert
    expect(error).toMatchObject({ message: 'ProvisionedThroughputExceeded' });
  });

  it('recognises the SDK error of a failed condition', async () => {
    // Prepare
    ddbMock
      .on(UpdateItemCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );

    // Act / Assert
    await expect(windows().advance(T0 + 10)).resolves.toBeUndefined();
  });
});
