import type {
  AttributeValue,
  GetItemCommandInput,
  QueryCommandInput,
  UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { AGGREGATE_NAMES } from '../domain/aggregates/registry';
import type { Analysis } from '../domain/analyses';
import { deduplicationId } from '../domain/envelope';
import { PipelineError } from '../domain/errors';
import type { ItemRef } from '../domain/ledger';
import {
  finalAtMs,
  isoOf,
  type PaneItem,
  type PaneRow,
  type Window,
  type WindowAggregates,
} from '../domain/windows';

/**
 * The analyses' DynamoDB requests, built without sending them (pure, so the unit tests read them). One
 * table, partition key `pk` and sort key `sk` (both strings), TTL attribute `expiresAt`:
 *
 * | row | pk | sk | holds |
 * | --- | --- | --- | --- |
 * | pane row | `pane#<analysis>#<paneStart>` | request id | `v<index>` value, `t<index>` first arrival (ms) |
 * | window row | `window#<analysis>` | window start, ISO | `late` ids; once closed: count, aggregates, `final`, `closedAt` |
 * | watermark | `closer#<analysis>` | `state` | `closedUntil` (epoch s): every window starting before it is closed |
 *
 * Every write is idempotent: values are written with if_not_exists (a redelivery changes nothing, and
 * an item's first arrival is kept), late items are added to a set, and the watermark only grows.
 */

/** A row that is not what this module writes: its key or attributes cannot be read. */
export class MalformedRowError extends PipelineError {
  readonly code = 'MALFORMED_ROW';
}

const PANE_PREFIX = 'pane#';
const WINDOW_PREFIX = 'window#';
const CLOSER_PREFIX = 'closer#';
const CLOSER_SORT_KEY = 'state';
const SECONDS_PER_DAY = 86_400;

/**
 * Indexes per pane-row update. DynamoDB allows 4 KB per expression; an index costs about 70
 * characters (`v499 = if_not_exists(v499, :v499), t499 = ...`), so 40 leave room for 6-digit indexes.
 */
export const MAX_INDEXES_PER_PANE_UPDATE = 40;

export const paneKey = (analysisName: string, paneStart: number): string =>
  `${PANE_PREFIX}${analysisName}#${paneStart}`;
export const windowPartitionKey = (analysisName: string): string => `${WINDOW_PREFIX}${analysisName}`;
/** ISO strings of one length sort as the instants they name, so a key range is a time range. */
export const windowSortKey = (windowStart: number): string => isoOf(windowStart);
export const watermarkKey = (analysisName: string): string => `${CLOSER_PREFIX}${analysisName}`;

/** The partition keys of one analysis's rows, as IAM's `dynamodb:LeadingKeys` patterns (`*` any). */
export const partitionKeyPatterns = (analysisName: string) => ({
  panes: `${PANE_PREFIX}${analysisName}#*`,
  windows: windowPartitionKey(analysisName),
  watermark: watermarkKey(analysisName),
});

/** How long rows are kept: days after they can no longer change a window. */
export interface Retention {
  /** The consumer's settle time (windows.ts, settleMsFor): when a window becomes final. */
  readonly settleMs: number;
  readonly retentionDays: number;
}

/** Epoch seconds `retentionDays` after the window becomes final. */
const expiresAfterFinal = (windowStart: number, analysis: Analysis, retention: Retention): number =>
  Math.ceil(finalAtMs(windowStart, analysis, retention.settleMs) / 1_000) +
  retention.retentionDays * SECONDS_PER_DAY;

/** A pane row is needed until the last window holding it, the one that starts with it, is final. */
export const paneExpiresAt = (paneStart: number, analysis: Analysis, retention: Retention): number =>
  expiresAfterFinal(paneStart, analysis, retention);

/** A window row: the same instant for the late items and the closer's write, whichever comes first. */
export const windowExpiresAt = (windowStart: number, analysis: Analysis, retention: Retention): number =>
  expiresAfterFinal(windowStart, analysis, retention);

const key = (pk: string, sk: string): Record<string, AttributeValue> => ({ pk: { S: pk }, sk: { S: sk } });
const numberValue = (value: number | string): AttributeValue => ({ N: String(value) });

/** One request's items of one pane, as the consumer received them. */
export interface PaneWrite {
  readonly paneStart: number;
  readonly requestId: string;
  readonly items: readonly { readonly index: number; readonly value: number }[];
  /** When the consumer received them (epoch ms): kept only for indexes the row does not hold yet. */
  readonly receivedAtMs: number;
}

/**
 * The pane row's upserts: `SET v3 = if_not_exists(v3, :v3), t3 = if_not_exists(t3, :t3), ...`, one
 * request per MAX_INDEXES_PER_PANE_UPDATE indexes. An index given twice is written once (DynamoDB
 * refuses an expression naming a path twice). Each answer (ALL_NEW) is the whole row, so paneRowFrom
 * tells every index's first arrival, this one's or an earlier delivery's.
 */
export function paneUpdates(
  tableName: string,
  analysis: Analysis,
  write: PaneWrite,
  retention: Retention,
): UpdateItemCommandInput[] {
  const values = new Map<number, number>();
  for (const { index, value } of write.items) if (!values.has(index)) values.set(index, value);
  const entries = [...values];
  const chunks = Array.from({ length: Math.ceil(entries.length / MAX_INDEXES_PER_PANE_UPDATE) }, (_, chunk) =>
    entries.slice(chunk * MAX_INDEXES_PER_PANE_UPDATE, (chunk + 1) * MAX_INDEXES_PER_PANE_UPDATE),
  );
  return chunks.map((chunk) => ({
    TableName: tableName,
    Key: key(paneKey(analysis.name, write.paneStart), write.requestId),
    UpdateExpression: `SET ${chunk
      .flatMap(([index]) => [
        `v${index} = if_not_exists(v${index}, :v${index})`,
        `t${index} = if_not_exists(t${index}, :t${index})`,
      ])
      .join(', ')}, #expiresAt = if_not_exists(#expiresAt, :expiresAt)`,
    ExpressionAttributeNames: { '#expiresAt': 'expiresAt' },
    ExpressionAttributeValues: {
      ...Object.fromEntries(
        chunk.flatMap(([index, value]) => [
          [`:v${index}`, numberValue(value)],
          [`:t${index}`, numberValue(write.receivedAtMs)],
        ]),
      ),
      ':expiresAt': numberValue(paneExpiresAt(write.paneStart, analysis, retention)),
    },
    ReturnValues: 'ALL_NEW',
  }));
}

const textOf = (item: Record<string, AttributeValue>, name: string): string => {
  const value = item[name]?.S;
  if (value === undefined) throw new MalformedRowError(`The row has no text attribute ${name}`);
  return value;
};

const numberOf = (item: Record<string, AttributeValue>, name: string): number => {
  const value = Number(item[name]?.N);
  if (!Number.isFinite(value)) throw new MalformedRowError(`The row has no number attribute ${name}`);
  return value;
};

const PANE_KEY = /^pane#([a-z0-9-]+)#(-?\d+)$/;
const ITEM_VALUE = /^v(\d+)$/;

/** A pane row as DynamoDB returns it (an update's ALL_NEW answer, or a query's item). */
export function paneRowFrom(item: Record<string, AttributeValue>): PaneRow {
  const pk = textOf(item, 'pk');
  const match = PANE_KEY.exec(pk);
  if (match === null) throw new MalformedRowError(`${pk} is not a pane row's key`);
  // Stryker disable next-line StringLiteral: both groups of a match are strings; the defaults are for the type only
  const [, analysis = '', paneStart = ''] = match;
  const items = new Map<number, PaneItem>();
  for (const name of Object.keys(item)) {
    const index = ITEM_VALUE.exec(name)?.[1];
    if (index === undefined) continue;
    items.set(Number(index), { value: numberOf(item, name), arrivedAtMs: numberOf(item, `t${index}`) });
  }
  return { analysis, paneStart: Number(paneStart), requestId: textOf(item, 'sk'), items };
}

/**
 * Records items as late for one window: their `<requestId>:<index>` ids join the row's `late` set (an
 * id given twice is sent once: DynamoDB refuses a set with duplicates). Give at least one item.
 * Leaves every other attribute alone, so it commutes with the closer's write.
 */
export function lateUpdate(
  tableName: string,
  analysis: Analysis,
  windowStart: number,
  items: readonly ItemRef[],
  retention: Retention,
): UpdateItemCommandInput {
  const ids = [...new Set(items.map(({ requestId, index }) => deduplicationId(requestId, index)))];
  return {
    TableName: tableName,
    Key: key(windowPartitionKey(analysis.name), windowSortKey(windowStart)),
    UpdateExpression: 'ADD #late :late SET #expiresAt = if_not_exists(#expiresAt, :expiresAt)',
    ExpressionAttributeNames: { '#late': 'late', '#expiresAt': 'expiresAt' },
    ExpressionAttributeValues: {
      ':late': { SS: ids },
      ':expiresAt': numberValue(windowExpiresAt(windowStart, analysis, retention)),
    },
  };
}

/**
 * The closer's write of a final window: count, the aggregates it has, `final` and `closedAt`, each
 * if_not_exists, so a second close (a crash before the watermark moved) changes nothing; `late` is
 * not touched. Attribute names go through `#` placeholders: `count`, `min`, `max`... are DynamoDB
 * reserved words.
 */
export function finalWindowUpdate(
  tableName: string,
  analysis: Analysis,
  window: Window,
  closedAt: Date,
  retention: Retention,
): UpdateItemCommandInput {
  const windowStart = Date.parse(window.start) / 1_000;
  const results = AGGREGATE_NAMES.flatMap((name) => {
    const result = window[name];
    return result === undefined ? [] : [[name, numberValue(result)] as [string, AttributeValue]];
  });
  const values: [string, AttributeValue][] = [
    ...results,
    ['final', { BOOL: true }],
    ['closedAt', { S: closedAt.toISOString() }],
    ['expiresAt', numberValue(windowExpiresAt(windowStart, analysis, retention))],
  ];
  return {
    TableName: tableName,
    Key: key(windowPartitionKey(analysis.name), window.start),
    UpdateExpression: `SET ${values.map(([name]) => `#${name} = if_not_exists(#${name}, :${name})`).join(', ')}`,
    ExpressionAttributeNames: Object.fromEntries(values.map(([name]) => [`#${name}`, name])),
    ExpressionAttributeValues: Object.fromEntries(values.map(([name, value]) => [`:${name}`, value])),
  };
}

/** A window row as read back. */
export interface WindowRow {
  readonly analysis: string;
  /** Epoch seconds. */
  readonly windowStart: number;
  /** How many items arrived too late for the window. */
  readonly late: number;
  /** Written by the closer; absent while only late items were recorded. */
  readonly aggregates?: WindowAggregates;
  readonly closedAt?: string;
}

/** A number as DynamoDB holds it; an integer beyond the safe range stays a decimal string (a sum). */
function resultOf(text: string): number | string {
  const value = Number(text);
  return /^-?\d+$/.test(text) && !Number.isSafeInteger(value) ? text : value;
}

/** A window row as a query returns it. */
export function windowRowFrom(item: Record<string, AttributeValue>): WindowRow {
  const pk = textOf(item, 'pk');
  if (!pk.startsWith(WINDOW_PREFIX)) throw new MalformedRowError(`${pk} is not a window row's key`);
  const sk = textOf(item, 'sk');
  const startMs = Date.parse(sk);
  if (Number.isNaN(startMs)) throw new MalformedRowError(`${sk} is not a window start`);
  const closed = item.final?.BOOL === true;
  const aggregates = Object.fromEntries(
    AGGREGATE_NAMES.flatMap((name) => {
      const text = item[name]?.N;
      return text === undefined ? [] : [[name, resultOf(text)]];
    }),
  );
  return {
    analysis: pk.slice(WINDOW_PREFIX.length),
    windowStart: startMs / 1_000,
    late: item.late?.SS?.length ?? 0,
    ...(closed ? { aggregates: { count: numberOf(item, 'count'), ...aggregates } as WindowAggregates } : {}),
    ...(closed ? { closedAt: textOf(item, 'closedAt') } : {}),
  };
}

/** The closer's watermark, strongly consistent: it must see its own last advance. */
export const watermarkRequest = (tableName: string, analysisName: string): GetItemCommandInput => ({
  TableName: tableName,
  Key: key(watermarkKey(analysisName), CLOSER_SORT_KEY),
  ConsistentRead: true,
});

/** `closedUntil` (epoch s) of the watermark row; undefined when nothing was closed yet. */
export const closedUntilFrom = (item: Record<string, AttributeValue> | undefined): number | undefined =>
  item?.closedUntil === undefined ? undefined : numberOf(item, 'closedUntil');

/**
 * Moves the watermark forward, never back: a closer that runs late or twice (two schedules overlapping)
 * cannot undo a newer close. DynamoDB refuses an older value with ConditionalCheckFailed.
 */
export const watermarkUpdate = (
  tableName: string,
  analysisName: string,
  closedUntil: number,
): UpdateItemCommandInput => ({
  TableName: tableName,
  Key: key(watermarkKey(analysisName), CLOSER_SORT_KEY),
  UpdateExpression: 'SET #closedUntil = :closedUntil',
  ConditionExpression: 'attribute_not_exists(#closedUntil) OR #closedUntil < :closedUntil',
  ExpressionAttributeNames: { '#closedUntil': 'closedUntil' },
  ExpressionAttributeValues: { ':closedUntil': numberValue(closedUntil) },
});

const page = (exclusiveStartKey: Record<string, AttributeValue> | undefined) =>
  exclusiveStartKey === undefined ? {} : { ExclusiveStartKey: exclusiveStartKey };

/**
 * Every row of one pane (one per request), strongly consistent: the closer must see every write that
 * landed before the window became final. Pass the previous answer's LastEvaluatedKey for the next page.
 */
export const paneRowsQuery = (
  tableName: string,
  analysisName: string,
  paneStart: number,
  exclusiveStartKey?: Record<string, AttributeValue>,
): QueryCommandInput => ({
  TableName: tableName,
  KeyConditionExpression: '#pk = :pk',
  ExpressionAttributeNames: { '#pk': 'pk' },
  ExpressionAttributeValues: { ':pk': { S: paneKey(analysisName, paneStart) } },
  ConsistentRead: true,
  ...page(exclusiveStartKey),
});

/**
 * The window rows with starts in `[fromMs, toMs)` (toMs > fromMs), oldest first: BETWEEN is
 * inclusive, and ISO keys have millisecond precision, so the range ends 1 ms before toMs.
 */
export const windowRowsQuery = (
  tableName: string,
  analysisName: string,
  fromMs: number,
  toMs: number,
  exclusiveStartKey?: Record<string, AttributeValue>,
): QueryCommandInput => ({
  TableName: tableName,
  KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :last',
  ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
  ExpressionAttributeValues: {
    ':pk': { S: windowPartitionKey(analysisName) },
    ':from': { S: new Date(fromMs).toISOString() },
    ':last': { S: new Date(toMs - 1).toISOString() },
  },
  ConsistentRead: true,
  ...page(exclusiveStartKey),
});
