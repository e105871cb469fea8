import type { AttributeValue, UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closedWindow, computeWindow } from '../../lambdas/domain/windows';
import {
  closedUntilFrom,
  finalWindowUpdate,
  lateUpdate,
  MAX_INDEXES_PER_PANE_UPDATE,
  MalformedRowError,
  type PaneWrite,
  paneExpiresAt,
  paneKey,
  paneRowFrom,
  paneRowsQuery,
  paneUpdates,
  watermarkKey,
  watermarkRequest,
  watermarkUpdate,
  windowExpiresAt,
  windowPartitionKey,
  windowRowFrom,
  windowRowsQuery,
  windowSortKey,
} from '../../lambdas/windows/window-inputs';
import { thrownBy } from './factories.ingest';
import {
  analysis,
  analysisArbitrary,
  applyUpdate,
  itemSpec,
  msAfterT0,
  paneRow,
  paneRowsOf,
  SETTLE_MS,
  T0,
  WINDOW_TABLE,
} from './factories.windows';

type Row = Record<string, AttributeValue>;

const items60s = analysis();
const RETENTION = { settleMs: SETTLE_MS, retentionDays: 7 };
const SEVEN_DAYS = 7 * 86_400;
/** Pane T0's last window, [T0, T0 + 60), is final at T0 + 60 + 30 (lateness) + 31 (settle) s. */
const PANE_T0_EXPIRES_AT = String(T0 + 121 + SEVEN_DAYS);
const START_ISO = '2026-11-23T10:42:00.000Z';
const CLOSED_AT = new Date('2026-11-23T10:44:02.500Z');

const paneWrite = (overrides: Partial<PaneWrite> = {}): PaneWrite => ({
  paneStart: T0,
  requestId: 'req-A',
  items: [
    { index: 3, value: 30 },
    { index: 0, value: -7 },
  ],
  receivedAtMs: msAfterT0(12),
  ...overrides,
});

/** The one update of a write that needs only one. */
function single(inputs: UpdateItemCommandInput[]): UpdateItemCommandInput {
  expect(inputs).toHaveLength(1);
  return inputs[0] as UpdateItemCommandInput;
}

/** The malformed-row error a parse throws, as its message (checking its class and code). */
function malformedRowMessage(parse: () => unknown): string {
  const error = thrownBy(parse);
  expect(error).toBeInstanceOf(MalformedRowError);
  expect((error as MalformedRowError).code).toBe('MALFORMED_ROW');
  return (error as MalformedRowError).message;
}

describe('keys and expiry', () => {
  it('keys each kind of row apart, by analysis', () => {
    expect(paneKey('items-60s', T0)).toBe('pane#items-60s#1795430520');
    expect(windowPartitionKey('items-60s')).toBe('window#items-60s');
    expect(windowSortKey(T0 + 10)).toBe('2026-11-23T10:42:10.000Z');
    expect(watermarkKey('items-60s')).toBe('closer#items-60s');
  });

  it.each([
    { name: 'a settle time of whole seconds', settleMs: 31_000, expiresAt: T0 + 121 + SEVEN_DAYS },
    { name: 'a settle time rounded up to the second', settleMs: 31_001, expiresAt: T0 + 122 + SEVEN_DAYS },
  ])(
    'expires a pane row the retention after its last window is final, with $name',
    ({ settleMs, expiresAt }) => {
      expect(paneExpiresAt(T0, items60s, { settleMs, retentionDays: 7 })).toBe(expiresAt);
    },
  );

  it('expires a window row the retention after the window is final', () => {
    expect(windowExpiresAt(T0 + 10, items60s, { settleMs: SETTLE_MS, retentionDays: 1 })).toBe(
      T0 + 131 + 86_400,
    );
  });
});

describe('the pane row', () => {
  it('sets each index value and first arrival only if the row has none, and answers the whole row', () => {
    // Act
    const inputs = paneUpdates(WINDOW_TABLE, items60s, paneWrite(), RETENTION);

    // Assert
    expect(inputs).toStrictEqual([
      {
        TableName: WINDOW_TABLE,
        Key: { pk: { S: 'pane#items-60s#1795430520' }, sk: { S: 'req-A' } },
        UpdateExpression:
          'SET v3 = if_not_exists(v3, :v3), t3 = if_not_exists(t3, :t3), ' +
          'v0 = if_not_exists(v0, :v0), t0 = if_not_exists(t0, :t0), ' +
          '#expiresAt = if_not_exists(#expiresAt, :expiresAt)',
        ExpressionAttributeNames: { '#expiresAt': 'expiresAt' },
        ExpressionAttributeValues: {
          ':v3': { N: '30' },
          ':t3': { N: String(msAfterT0(12)) },
          ':v0': { N: '-7' },
          ':t0': { N: String(msAfterT0(12)) },
          ':expiresAt': { N: PANE_T0_EXPIRES_AT },
        },
        ReturnValues: 'ALL_NEW',
      },
    ]);
  });

  it('names an index given twice once, with its first value (DynamoDB refuses a path twice)', () => {
    // Act
    const [input] = paneUpdates(
      WINDOW_TABLE,
      items60s,
      paneWrite({
        items: [
          { index: 1, value: 5 },
          { index: 1, value: 6 },
        ],
      }),
      RETENTION,
    );

    // Assert
    expect(input?.UpdateExpression).toBe(
      'SET v1 = if_not_exists(v1, :v1), t1 = if_not_exists(t1, :t1), #expiresAt = if_not_exists(#expiresAt, :expiresAt)',
    );
    expect(input?.ExpressionAttributeValues?.[':v1']).toEqual({ N: '5' });
  });

  it('writes nothing for no items', () => {
    expect(paneUpdates(WINDOW_TABLE, items60s, paneWrite({ items: [] }), RETENTION)).toEqual([]);
  });

  it('splits many indexes into updates whose expressions stay within 4 KB, each index once', () => {
    // Prepare: 6-digit indexes, longer than any request's
    const items = Array.from({ length: 85 }, (_, i) => ({ index: 999_000 + i, value: i }));

    // Act
    const inputs = paneUpdates(WINDOW_TABLE, items60s, paneWrite({ items }), RETENTION);

    // Assert
    expect(MAX_INDEXES_PER_PANE_UPDATE).toBe(40);
    expect(inputs.map((input) => Object.keys(input.ExpressionAttributeValues ?? {}).length)).toEqual([
      81, 81, 11,
    ]);
    for (const input of inputs)
      expect(Buffer.byteLength(input.UpdateExpression ?? '')).toBeLessThanOrEqual(4_096);
    const written = inputs.flatMap((input) =>
      Object.keys(input.ExpressionAttributeValues ?? {}).filter((name) => name.startsWith(':v')),
    );
    expect(written).toEqual(items.map(({ index }) => `:v${index}`));
  });

  it('keeps the first arrival and value through a redelivery, which learns them from the answer', () => {
    // Prepare
    const first = single(paneUpdates(WINDOW_TABLE, items60s, paneWrite(), RETENTION));
    const redelivery = single(
      paneUpdates(
        WINDOW_TABLE,
        items60s,
        paneWrite({
          items: [
            { index: 3, value: 30 },
            { index: 4, value: 40 },
          ],
          receivedAtMs: msAfterT0(200),
        }),
        RETENTION,
      ),
    );

    // Act
    const row = paneRowFrom(applyUpdate(applyUpdate(undefined, first), redelivery));

    // Assert
    expect(row).toStrictEqual(
      paneRow(T0, 'req-A', [
        [3, 30, msAfterT0(12)],
        [0, -7, msAfterT0(12)],
        [4, 40, msAfterT0(200)],
      ]),
    );
  });

  it('reads a row as a query returns it, leaving other attributes aside', () => {
    // Prepare
    const item: Record<string, AttributeValue> = {
      pk: { S: 'pane#other-1#-20' },
      sk: { S: 'req-B' },
      v12: { N: '9007199254740991' },
      t12: { N: '1795430530000' },
      expiresAt: { N: '1796000000' },
      value: { N: '1' },
      av1: { N: '1' },
      v1a: { N: '1' },
    };

    // Act
    const row = paneRowFrom(item);

    // Assert
    expect(row).toStrictEqual({
      analysis: 'other-1',
      paneStart: -20,
      requestId: 'req-B',
      items: new Map([[12, { value: 9007199254740991, arrivedAtMs: 1795430530000 }]]),
    });
  });

  it.each([
    { name: 'no key', item: {}, message: 'The row has no text attribute pk' },
    {
      name: 'a window row',
      item: { pk: { S: 'window#items-60s' } },
      message: "window#items-60s is not a pane row's key",
    },
    {
      name: 'a key without its start',
      item: { pk: { S: 'pane#items-60s#' } },
      message: "pane#items-60s# is not a pane row's key",
    },
    {
      name: 'a key with more after it',
      item: { pk: { S: 'pane#items-60s#10#x' } },
      message: "pane#items-60s#10#x is not a pane row's key",
    },
    {
      name: 'a key with text before it',
      item: { pk: { S: 'xpane#items-60s#10' } },
      message: "xpane#items-60s#10 is not a pane row's key",
    },
    { name: 'no sort key', item: { pk: { S: 'pane#a#10' } }, message: 'The row has no text attribute sk' },
    {
      name: 'a value without its arrival',
      item: { pk: { S: 'pane#a#10' }, sk: { S: 'r' }, v3: { N: '1' } },
      message: 'The row has no number attribute t3',
    },
    {
      name: 'a value that is not a number',
      item: { pk: { S: 'pane#a#10' }, sk: { S: 'r' }, v3: { S: '1' }, t3: { N: '1' } },
      message: 'The row has no number attribute v3',
    },
  ] as { name: string; item: Row; message: string }[])(
    'refuses a pane row with $name',
    ({ item, message }) => {
      expect(malformedRowMessage(() => paneRowFrom(item))).toBe(message);
    },
  );
});

describe('late items', () => {
  it('adds each item id once to the window row late set, and nothing else', () => {
    // Act
    const input = lateUpdate(
      WINDOW_TABLE,
      items60s,
      T0,
      [
        { requestId: 'req-A', index: 0 },
        { requestId: 'req-A', index: 0 },
        { requestId: 'req-B', index: 10 },
      ],
      RETENTION,
    );

    // Assert
    expect(input).toStrictEqual({
      TableName: WINDOW_TABLE,
      Key: { pk: { S: 'window#items-60s' }, sk: { S: START_ISO } },
      UpdateExpression: 'ADD #late :late SET #expiresAt = if_not_exists(#expiresAt, :expiresAt)',
      ExpressionAttributeNames: { '#late': 'late', '#expiresAt': 'expiresAt' },
      ExpressionAttributeValues: {
        ':late': { SS: ['req-A:0', 'req-B:10'] },
        ':expiresAt': { N: PANE_T0_EXPIRES_AT },
      },
    });
  });
});

describe('the closed window row', () => {
  const window = computeWindow(
    T0,
    items60s,
    [
      paneRow(T0, 'req-A', [
        [0, 9007199254740991, msAfterT0(1)],
        [1, 3, msAfterT0(1)],
      ]),
    ],
    0,
  );

  it('sets count, the aggregates, final and the close time, each only if the row has none', () => {
    // Act
    const input = finalWindowUpdate(WINDOW_TABLE, items60s, window, CLOSED_AT, RETENTION);

    // Assert
    const names = ['count', 'sum', 'min', 'max', 'mean', 'final', 'closedAt', 'expiresAt'];
    expect(input).toStrictEqual({
      TableName: WINDOW_TABLE,
      Key: { pk: { S: 'window#items-60s' }, sk: { S: START_ISO } },
      UpdateExpression: `SET ${names.map((name) => `#${name} = if_not_exists(#${name}, :${name})`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(names.map((name) => [`#${name}`, name])),
      ExpressionAttributeValues: {
        ':count': { N: '2' },
        ':sum': { N: '9007199254740994' },
        ':min': { N: '3' },
        ':max': { N: '9007199254740991' },
        ':mean': { N: '4503599627370497' },
        ':final': { BOOL: true },
        ':closedAt': { S: '2026-11-23T10:44:02.500Z' },
        ':expiresAt': { N: PANE_T0_EXPIRES_AT },
      },
    });
  });

  it('writes no aggregate an empty window does not have', () => {
    // Act
    const input = finalWindowUpdate(
      WINDOW_TABLE,
      items60s,
      computeWindow(T0, items60s, []),
      CLOSED_AT,
      RETENTION,
    );

    // Assert
    expect(input.UpdateExpression).toBe(
      'SET #count = if_not_exists(#count, :count), #sum = if_not_exists(#sum, :sum), ' +
        '#final = if_not_exists(#final, :final), #closedAt = if_not_exists(#closedAt, :closedAt), ' +
        '#expiresAt = if_not_exists(#expiresAt, :expiresAt)',
    );
    expect(input.ExpressionAttributeValues?.[':count']).toEqual({ N: '0' });
  });

  it('keeps the first close and the late items, in whichever order they land', () => {
    // Prepare
    const late = lateUpdate(WINDOW_TABLE, items60s, T0, [{ requestId: 'req-Z', index: 1 }], RETENTION);
    const close = finalWindowUpdate(WINDOW_TABLE, items60s, window, CLOSED_AT, RETENTION);
    const secondClose = finalWindowUpdate(
      WINDOW_TABLE,
      items60s,
      computeWindow(T0, items60s, []),
      new Date('2026-11-23T10:50:00.000Z'),
      RETENTION,
    );

    // Act
    const lateFirst = windowRowFrom(applyUpdate(applyUpdate(undefined, late), close));
    const closeFirst = windowRowFrom(
      applyUpdate(applyUpdate(applyUpdate(undefined, close), late), secondClose),
    );

    // Assert
    const expected = {
      analysis: 'items-60s',
      windowStart: T0,
      late: 1,
      aggregates: {
        count: 2,
        sum: '9007199254740994',
        min: 3,
        max: 9007199254740991,
        mean: 4503599627370497,
      },
      closedAt: '2026-11-23T10:44:02.500Z',
    };
    expect(lateFirst).toStrictEqual(expected);
    expect(closeFirst).toStrictEqual(expected);
  });

  it('counts no late items when the late attribute is not a string set', () => {
    // Prepare
    const item = { pk: { S: 'window#items-60s' }, sk: { S: START_ISO }, late: { NS: ['1'] } };

    // Act / Assert
    expect(windowRowFrom(item).late).toBe(0);
  });

  it('reads a row of late items only as not closed', () => {
    // Prepare
    const item = { pk: { S: 'window#items-60s' }, sk: { S: START_ISO }, late: { SS: ['a:1', 'b:2'] } };

    // Act / Assert
    expect(windowRowFrom(item)).toStrictEqual({ analysis: 'items-60s', windowStart: T0, late: 2 });
  });

  it.each([
    { text: '42', result: 42 },
    { text: '-1.5', result: -1.5 },
    { text: '1E-7', result: 1e-7 },
    { text: '9007199254740991', result: 9007199254740991 },
    { text: '9007199254740992', result: '9007199254740992' },
    { text: '-9007199254740993', result: '-9007199254740993' },
  ])('reads a stored sum of $text as $result', ({ text, result }) => {
    // Prepare
    const item = {
      pk: { S: 'window#a' },
      sk: { S: START_ISO },
      final: { BOOL: true },
      closedAt: { S: CLOSED_AT.toISOString() },
      count: { N: '3' },
      sum: { N: text },
    };

    // Act
    const row = windowRowFrom(item);

    // Assert
    expect(row.aggregates).toStrictEqual({ count: 3, sum: result });
  });

  it.each([
    {
      name: 'a pane row',
      item: { pk: { S: 'pane#a#10' }, sk: { S: 'r' } },
      message: "pane#a#10 is not a window row's key",
    },
    {
      name: 'a sort key that is not a time',
      item: { pk: { S: 'window#a' }, sk: { S: 'state' } },
      message: 'state is not a window start',
    },
    {
      name: 'a closed row without its count',
      item: {
        pk: { S: 'window#a' },
        sk: { S: START_ISO },
        final: { BOOL: true },
        closedAt: { S: START_ISO },
      },
      message: 'The row has no number attribute count',
    },
    {
      name: 'a closed row without its close time',
      item: { pk: { S: 'window#a' }, sk: { S: START_ISO }, final: { BOOL: true }, count: { N: '0' } },
      message: 'The row has no text attribute closedAt',
    },
  ] as { name: string; item: Row; message: string }[])(
    'refuses a window row with $name',
    ({ item, message }) => {
      expect(malformedRowMessage(() => windowRowFrom(item))).toBe(message);
    },
  );

  it('reads back every closed window as it was computed', () => {
    fc.assert(
      fc.property(
        analysisArbitrary,
        fc.array(itemSpec, { maxLength: 20 }),
        fc.nat({ max: 12 }),
        (generated, items, pane) => {
          const start = T0 + pane * generated.advanceSeconds;
          const window = computeWindow(start, generated, paneRowsOf(generated, items));

          const row = windowRowFrom(
            applyUpdate(undefined, finalWindowUpdate(WINDOW_TABLE, generated, window, CLOSED_AT, RETENTION)),
          );

          expect(closedWindow(start, generated, row)).toStrictEqual(window);
        },
      ),
    );
  });
});

describe('the closer watermark', () => {
  it('is read strongly consistent', () => {
    expect(watermarkRequest(WINDOW_TABLE, 'items-60s')).toStrictEqual({
      TableName: WINDOW_TABLE,
      Key: { pk: { S: 'closer#items-60s' }, sk: { S: 'state' } },
      ConsistentRead: true,
    });
  });

  it.each([
    { name: 'no row', item: undefined, closedUntil: undefined },
    { name: 'a row without a watermark', item: { pk: { S: 'closer#a' } }, closedUntil: undefined },
    { name: 'a watermark', item: { closedUntil: { N: String(T0) } }, closedUntil: T0 },
  ] as { name: string; item: Row | undefined; closedUntil: number | undefined }[])(
    'reads $name as $closedUntil',
    ({ item, closedUntil }) => {
      expect(closedUntilFrom(item)).toBe(closedUntil);
    },
  );

  it('refuses a watermark that is not a number', () => {
    expect(malformedRowMessage(() => closedUntilFrom({ closedUntil: { S: '1' } }))).toBe(
      'The row has no number attribute closedUntil',
    );
  });

  it('only ever moves forward', () => {
    expect(watermarkUpdate(WINDOW_TABLE, 'items-60s', T0 + 10)).toStrictEqual({
      TableName: WINDOW_TABLE,
      Key: { pk: { S: 'closer#items-60s' }, sk: { S: 'state' } },
      UpdateExpression: 'SET #closedUntil = :closedUntil',
      ConditionExpression: 'attribute_not_exists(#closedUntil) OR #closedUntil < :closedUntil',
      ExpressionAttributeNames: { '#closedUntil': 'closedUntil' },
      ExpressionAttributeValues: { ':closedUntil': { N: String(T0 + 10) } },
    });
  });
});

describe('queries', () => {
  const NEXT_PAGE = { pk: { S: 'pane#items-60s#1795430520' }, sk: { S: 'req-A' } };

  it.each([
    { name: 'first page', start: undefined, page: {} },
    { name: 'next page', start: NEXT_PAGE, page: { ExclusiveStartKey: NEXT_PAGE } },
  ])('reads every row of one pane, strongly consistent: $name', ({ start, page }) => {
    expect(paneRowsQuery(WINDOW_TABLE, 'items-60s', T0, start)).toStrictEqual({
      TableName: WINDOW_TABLE,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': 'pk' },
      ExpressionAttributeValues: { ':pk': { S: 'pane#items-60s#1795430520' } },
      ConsistentRead: true,
      ...page,
    });
  });

  it.each([
    { name: 'first page', start: undefined, page: {} },
    { name: 'next page', start: NEXT_PAGE, page: { ExclusiveStartKey: NEXT_PAGE } },
  ])('reads the window rows starting in [from, to), the end 1 ms before to: $name', ({ start, page }) => {
    expect(windowRowsQuery(WINDOW_TABLE, 'items-60s', msAfterT0(0), msAfterT0(60), start)).toStrictEqual({
      TableName: WINDOW_TABLE,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :last',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
      ExpressionAttributeValues: {
        ':pk': { S: 'window#items-60s' },
        ':from': { S: START_ISO },
        ':last': { S: '2026-11-23T10:42:59.999Z' },
      },
      ConsistentRead: true,
      ...page,
    });
  });
});
