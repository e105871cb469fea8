import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  type GetItemCommandInput,
  QueryCommand,
  type QueryCommandInput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import type { Aggregate, AggregateResult } from '../../lambdas/domain/aggregates/aggregate';
import { AGGREGATE_NAMES, AGGREGATES, type AggregateName } from '../../lambdas/domain/aggregates/registry';
import type { Analysis } from '../../lambdas/domain/analyses';
import type { PaneItem, PaneRow } from '../../lambdas/domain/windows';
import type { ConsumerWindows } from '../../lambdas/windows/window-interfaces';

export const WINDOW_TABLE = 'analysis-windows';
/** 2026-11-23T10:42:00Z in epoch seconds: a multiple of every advance the tests use. */
export const T0 = Date.parse('2026-11-23T10:42:00.000Z') / 1_000;
/** Epoch ms of `seconds` after T0. */
export const msAfterT0 = (seconds: number): number => (T0 + seconds) * 1_000;
/** The settle time of a consumer with a 30 s timeout. */
export const SETTLE_MS = 31_000;

/** The default analysis (W 60, A 10, L 30, every aggregate), unless overridden. */
export const analysis = (overrides: Partial<Analysis> = {}): Analysis => ({
  name: 'items-60s',
  windowSeconds: 60,
  advanceSeconds: 10,
  aggregates: ['count', 'sum', 'min', 'max', 'mean'],
  latenessSeconds: 30,
  ...overrides,
});

/** A pane row of `items-60s` from `[index, value, arrivedAtMs]` triples. */
export const paneRow = (
  paneStart: number,
  requestId: string,
  items: readonly (readonly [index: number, value: number, arrivedAtMs: number])[],
  analysisName = 'items-60s',
): PaneRow => ({
  analysis: analysisName,
  paneStart,
  requestId,
  items: new Map(items.map(([index, value, arrivedAtMs]) => [index, { value, arrivedAtMs }])),
});

/** Folds values into a state of one aggregate, as a pane does. */
export function stateOf<State>(
  aggregate: Aggregate<State, AggregateResult>,
  values: readonly number[],
): State {
  return values.reduce((state, value) => aggregate.add(state, value), aggregate.init());
}

/** Every aggregate of the registry, for tables over all of them. */
export const EVERY_AGGREGATE = AGGREGATE_NAMES.map((name) => ({
  name,
  aggregate: AGGREGATES[name] as Aggregate<unknown, AggregateResult>,
}));

/** Values from anywhere in the safe range, or small ones (so sums often stay safe). */
export const itemValue = fc.oneof(
  fc.integer({ min: -1_000, max: 1_000 }),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
);

/** Analyses with small windows (so generated items spread over several of them). */
export const analysisArbitrary: fc.Arbitrary<Analysis> = fc
  .record({
    advanceSeconds: fc.constantFrom(1, 2, 5, 10),
    panes: fc.integer({ min: 1, max: 6 }),
    latenessSeconds: fc.integer({ min: 0, max: 30 }),
    aggregates: fc.subarray([...AGGREGATE_NAMES] as AggregateName[], { minLength: 1 }),
  })
  .map(({ advanceSeconds, panes, latenessSeconds, aggregates }) => ({
    name: 'prop',
    windowSeconds: advanceSeconds * panes,
    advanceSeconds,
    aggregates,
    latenessSeconds,
  }));

/** One generated item of a pane row: which pane (after T0), request and index, and when it arrived. */
export interface ItemSpec {
  readonly pane: number;
  readonly requestId: string;
  readonly index: number;
  readonly value: number;
  /** After its pane's start: from on time for every window of the pane to late for all of them. */
  readonly arrivalAfterPaneMs: number;
}

export const itemSpec: fc.Arbitrary<ItemSpec> = fc.record({
  pane: fc.integer({ min: 0, max: 12 }),
  requestId: fc.constantFrom('req-A', 'req-B', 'req-C'),
  index: fc.integer({ min: 0, max: 20 }),
  value: itemValue,
  arrivalAfterPaneMs: fc.integer({ min: 0, max: 150_000 }),
});

/** The pane rows that hold the items, one per (pane, request) as DynamoDB keeps them; an index's first spec wins. */
export function paneRowsOf(analysis: Analysis, specs: readonly ItemSpec[]): PaneRow[] {
  const rows = new Map<string, { paneStart: number; requestId: string; items: Map<number, PaneItem> }>();
  for (const { pane, requestId, index, value, arrivalAfterPaneMs } of specs) {
    const paneStart = T0 + pane * analysis.advanceSeconds;
    const rowKey = `${paneStart}#${requestId}`;
    const row = rows.get(rowKey) ?? { paneStart, requestId, items: new Map<number, PaneItem>() };
    if (!row.items.has(index))
      row.items.set(index, { value, arrivedAtMs: paneStart * 1_000 + arrivalAfterPaneMs });
    rows.set(rowKey, row);
  }
  return [...rows.values()].map((row) => ({ analysis: analysis.name, ...row }));
}

/** Rows grouped by pane start, as slideWindows takes them. */
export function byPane(rows: readonly PaneRow[]): Map<number, PaneRow[]> {
  const grouped = new Map<number, PaneRow[]>();
  for (const row of rows) grouped.set(row.paneStart, [...(grouped.get(row.paneStart) ?? []), row]);
  return grouped;
}

type Row = Record<string, AttributeValue>;

/**
 * DynamoDB's answer to one of window-inputs' updates on a row, for the forms they write: `SET a =
 * if_not_exists(a, :a)`, `SET a = :a` and `ADD s :set` (a string set's union). Enough to show what a
 * redelivery or a second close leaves behind.
 */
export function applyUpdate(row: Row | undefined, input: UpdateItemCommandInput): Row {
  const names = input.ExpressionAttributeNames ?? {};
  const values = input.ExpressionAttributeValues ?? {};
  const nameOf = (path: string): string => names[path] ?? path;
  const placeholderValue = (placeholder: string): AttributeValue => {
    const value = values[placeholder];
    if (value === undefined) throw new Error(`no value for ${placeholder}`);
    return value;
  };
  const updated: Row = { ...input.Key, ...row };
  const expression = input.UpdateExpression ?? '';
  for (const [, path = '', keptPath, keptValue, value] of expression.matchAll(
    /([#\w]+) = (?:if_not_exists\(([#\w]+), (:\w+)\)|(:\w+))/g,
  )) {
    const attribute = nameOf(path);
    if (value !== undefined) updated[attribute] = placeholderValue(value);
    else if (updated[nameOf(keptPath ?? '')] === undefined)
      updated[attribute] = placeholderValue(keptValue ?? '');
  }
  for (const [, path = '', value = ''] of expression.matchAll(/ADD ([#\w]+) (:\w+)/g)) {
    const attribute = nameOf(path);
    updated[attribute] = {
      SS: [...new Set([...(updated[attribute]?.SS ?? []), ...(placeholderValue(value).SS ?? [])])],
    };
  }
  return updated;
}

/** Which request reached the fake windows table: its operation and the key (or partition) it names. */
export interface TableRequest {
  readonly operation: 'UpdateItem' | 'GetItem' | 'Query';
  readonly pk: string;
  /** The sort key of an UpdateItem or GetItem; none for a Query. */
  readonly sk?: string;
}

/**
 * How a request fails: `refused` before it changes anything (throttled, unreachable), `lost` after
 * DynamoDB applied it (the connection dropped on the way back).
 */
export type TableFault = 'refused' | 'lost';

export interface FakeWindowsTable {
  /** The rows by `pk` and `sk`. */
  readonly rows: Map<string, Row>;
  /** Every request that reached the table, in order, e.g. `UpdateItem window#items-60s 2026-...`. */
  readonly calls: string[];
  /** Picks the requests that fail and how; none fail while it is undefined. */
  failWhen: ((request: TableRequest) => TableFault | undefined) | undefined;
  /** Items per Query page (DynamoDB pages by size; a small page shows the paging). */
  pageSize: number;
  /** One row, as DynamoDB holds it. */
  row(pk: string, sk: string): Row | undefined;
}

const rowKey = (pk: string, sk: string): string => `${pk}\n${sk}`;
const WATERMARK_CONDITION = 'attribute_not_exists(#closedUntil) OR #closedUntil < :closedUntil';

const stringOf = (value: AttributeValue | undefined, what: string): string => {
  if (value?.S === undefined) throw new Error(`the fake windows table needs a string ${what}`);
  return value.S;
};

/** The one condition window-inputs writes: the watermark only moves forward. */
function conditionHolds(row: Row | undefined, input: UpdateItemCommandInput): boolean {
  if (input.ConditionExpression === undefined) return true;
  if (input.ConditionExpression !== WATERMARK_CONDITION)
    throw new Error(`the fake windows table does not know the condition ${input.ConditionExpression}`);
  const current = row?.closedUntil?.N;
  return (
    current === undefined || Number(current) < Number(input.ExpressionAttributeValues?.[':closedUntil']?.N)
  );
}

/**
 * The windows table in memory behind a mocked DynamoDBClient, answering the requests window-inputs
 * builds as DynamoDB would: updates through applyUpdate (ALL_NEW answers, the watermark's condition),
 * consistent reads, and queries by partition (and sort key range) in sort key order, page by page.
 */
export function fakeWindowsTable(
  ddbMock: AwsClientStub<DynamoDBClient>,
  { pageSize = Number.POSITIVE_INFINITY }: { pageSize?: number } = {},
): FakeWindowsTable {
  const rows = new Map<string, Row>();
  const table: FakeWindowsTable = {
    rows,
    calls: [],
    failWhen: undefined,
    pageSize,
    row: (pk, sk) => rows.get(rowKey(pk, sk)),
  };
  /** Logs the request, and fails it before (`refused`) or after (`lost`) `apply` as failWhen says. */
  const reach = <T>(request: TableRequest, apply: () => T): T => {
    table.calls.push(
      [request.operation, request.pk, ...(request.sk === undefined ? [] : [request.sk])].join(' '),
    );
    const fault = table.failWhen?.(request);
    if (fault === 'refused') throw new Error(`DynamoDB refused ${request.operation} ${request.pk}`);
    const answer = apply();
    if (fault === 'lost') throw new Error(`The answer to ${request.operation} ${request.pk} was lost`);
    return answer;
  };

  ddbMock.on(UpdateItemCommand).callsFake(async (input: UpdateItemCommandInput) => {
    const pk = stringOf(input.Key?.pk, 'pk');
    const sk = stringOf(input.Key?.sk, 'sk');
    return reach({ operation: 'UpdateItem', pk, sk }, () => {
      const old = rows.get(rowKey(pk, sk));
      if (!conditionHolds(old, input)) {
        throw new ConditionalCheckFailedException({
          message: 'The conditional request failed',
          $metadata: {},
        });
      }
      const updated = applyUpdate(old, input);
      rows.set(rowKey(pk, sk), updated);
      return input.ReturnValues === 'ALL_NEW' ? { Attributes: structuredClone(updated) } : {};
    });
  });

  ddbMock.on(GetItemCommand).callsFake(async (input: GetItemCommandInput) => {
    const pk = stringOf(input.Key?.pk, 'pk');
    const sk = stringOf(input.Key?.sk, 'sk');
    return reach({ operation: 'GetItem', pk, sk }, () => {
      const item = rows.get(rowKey(pk, sk));
      return item === undefined ? {} : { Item: structuredClone(item) };
    });
  });

  ddbMock.on(QueryCommand).callsFake(async (input: QueryCommandInput) => {
    const values = input.ExpressionAttributeValues ?? {};
    const pk = stringOf(values[':pk'], ':pk');
    return reach({ operation: 'Query', pk }, () => {
      const from = values[':from']?.S;
      const last = values[':last']?.S;
      const after = input.ExclusiveStartKey?.sk?.S;
      const matching = [...rows.values()]
        .filter((row) => row.pk?.S === pk)
        .map((row) => ({ row, sk: row.sk?.S ?? '' }))
        .filter(({ sk }) => from === undefined || (from <= sk && sk <= (last ?? '')))
        .filter(({ sk }) => after === undefined || sk > after)
        .sort((a, b) => (a.sk < b.sk ? -1 : 1));
      const page = matching.slice(0, table.pageSize);
      const lastOfPage = page.at(-1);
      return {
        Items: page.map(({ row }) => structuredClone(row)),
        ...(page.length < matching.length && lastOfPage !== undefined
          ? { LastEvaluatedKey: { pk: { S: pk }, sk: { S: lastOfPage.sk } } }
          : {}),
      };
    });
  });
  return table;
}

/**
 * req-A's items 5 and 9 in pane T0, received at T0 + 6 s; req-B's item -2 in pane T0 + 10, first
 * received at T0 + 50 s: late for window T0 - 40 (on time before T0 + 50 s), on time for the others.
 */
export async function seedTwoRequests(windows: ConsumerWindows): Promise<void> {
  await windows.writePane({
    paneStart: T0,
    requestId: 'req-A',
    items: [
      { index: 0, value: 5 },
      { index: 1, value: 9 },
    ],
    receivedAtMs: msAfterT0(6),
  });
  await windows.writePane({
    paneStart: T0 + 10,
    requestId: 'req-B',
    items: [{ index: 0, value: -2 }],
    receivedAtMs: msAfterT0(50),
  });
  await windows.addLate(T0 - 40, [{ requestId: 'req-B', index: 0 }]);
}
