import type {
  AttributeValue,
  BatchGetItemCommandInput,
  GetItemCommandInput,
  UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { entryKey, expiresAtEpoch, type LedgerEntry, REQUEST_KEY_PREFIX } from '../domain/ledger';

/**
 * The ledger's DynamoDB requests, built without sending them (pure, so the unit tests read them).
 * Every write is an idempotent upsert: sets grow with ADD (a redelivery adds nothing new), scalars
 * that must keep their first value use if_not_exists, and every write sets `expiresAt` if the entry
 * has none, so even an entry only the batch writer could write expires.
 */

/** Ingest's part of an entry. */
export interface AcceptedEntry {
  readonly requestId: string;
  /** The caller's API key id: only this caller may read the entry. */
  readonly apiKeyId: string;
  readonly itemCount: number;
  readonly itemsHash: string;
  readonly acceptedAt: Date;
  /** A repeat is answered only for a first request accepted at or after this time (ISO 8601). */
  readonly windowStart: string;
  /**
   * The request id can come again (it is derived from an Idempotency-Key), and the entry is written
   * before the items are published. Otherwise the id is new, and the entry is written while they are.
   */
  readonly repeatable: boolean;
}

/** What every write needs besides its own values. */
export interface WriteContext {
  readonly tableName: string;
  readonly now: Date;
  /** Days an entry is kept after it was first written. */
  readonly retentionDays: number;
}

const ATTRIBUTES = [
  'pk',
  'apiKeyId',
  'itemCount',
  'itemsHash',
  'acceptedAt',
  'updatedAt',
  'expiresAt',
  'stored',
  'failed',
  'enqueued',
  'objects',
] as const;
type Attribute = (typeof ATTRIBUTES)[number];

/** `#name` for every attribute an expression uses: some of ours are DynamoDB reserved words. */
const names = (...attributes: Attribute[]): Record<string, string> =>
  Object.fromEntries(attributes.map((attribute) => [`#${attribute}`, attribute]));

const keyOf = (requestId: string): Record<string, AttributeValue> => ({ pk: { S: entryKey(requestId) } });
/** DynamoDB refuses a set with a member twice ("Input collection contains duplicates"): each once. */
const numberSet = (values: readonly number[]): AttributeValue => ({ NS: [...new Set(values)].map(String) });

/** SET clauses every upsert carries: the time of the change, and an expiry for a new entry. */
function upsertBase(context: WriteContext) {
  return {
    set: '#updatedAt = :now, #expiresAt = if_not_exists(#expiresAt, :expiresAt)',
    names: names('updatedAt', 'expiresAt'),
    values: {
      ':now': { S: context.now.toISOString() },
      ':expiresAt': { N: String(expiresAtEpoch(context.now, context.retentionDays)) },
    },
  };
}

/**
 * Ingest's entry. A first request creates it; a repeat of the same request id (an Idempotency-Key
 * after a 503) finds it and keeps its acceptance time, and the old entry comes back (ALL_OLD) so the
 * repeat can skip what is already in SQS. The condition refuses other items under the same id, and a
 * repeat after the idempotency window: DynamoDB answers ConditionalCheckFailed with the entry.
 *
 * The batch writer's updates may reach a new id's entry first (ingest writes it while it publishes),
 * and the entry commutes with them: they only ADD to sets and never write the attributes set here,
 * save two. `updatedAt` keeps their time, which is later than the acceptance (a completed request's
 * `completedAt`), and `expiresAt` is set from the acceptance, over the one their upsert gave. A
 * repeatable id's entry is written before anything is published, so it refreshes `updatedAt` (a
 * repeat after a 503 is news) and keeps the first attempt's expiry.
 */
export function acceptedUpdate(request: AcceptedEntry, context: WriteContext): UpdateItemCommandInput {
  const acceptedAt = request.acceptedAt.toISOString();
  const times = request.repeatable
    ? '#updatedAt = :now, #expiresAt = if_not_exists(#expiresAt, :expiresAt)'
    : '#updatedAt = if_not_exists(#updatedAt, :now), #expiresAt = :expiresAt';
  return {
    TableName: context.tableName,
    Key: keyOf(request.requestId),
    UpdateExpression:
      'SET #apiKeyId = :apiKeyId, #itemCount = :itemCount, #itemsHash = :itemsHash, ' +
      `#acceptedAt = if_not_exists(#acceptedAt, :acceptedAt), ${times}`,
    ConditionExpression:
      'attribute_not_exists(#itemsHash) OR (#itemsHash = :itemsHash AND #acceptedAt >= :windowStart)',
    ExpressionAttributeNames: names(
      'apiKeyId',
      'itemCount',
      'itemsHash',
      'acceptedAt',
      'updatedAt',
      'expiresAt',
    ),
    ExpressionAttributeValues: {
      ':apiKeyId': { S: request.apiKeyId },
      ':itemCount': { N: String(request.itemCount) },
      ':itemsHash': { S: request.itemsHash },
      ':acceptedAt': { S: acceptedAt },
      ':now': { S: context.now.toISOString() },
      ':expiresAt': { N: String(expiresAtEpoch(request.acceptedAt, context.retentionDays)) },
      ':windowStart': { S: request.windowStart },
    },
    ReturnValues: 'ALL_OLD',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/** Adds indexes to one of the entry's number sets (and, after a segment write, the object's key). */
function addIndexes(
  set: 'stored' | 'failed' | 'enqueued',
  requestId: string,
  indexes: readonly number[],
  context: WriteContext,
  extra: { objectKey?: string } = {},
): UpdateItemCommandInput {
  const base = upsertBase(context);
  const withObject = extra.objectKey !== undefined;
  return {
    TableName: context.tableName,
    Key: keyOf(requestId),
    UpdateExpression: `ADD #${set} :indexes${withObject ? ', #objects :objects' : ''} SET ${base.set}`,
    ExpressionAttributeNames: { ...names(set, ...(withObject ? (['objects'] as const) : [])), ...base.names },
    ExpressionAttributeValues: {
      ':indexes': numberSet(indexes),
      ...(extra.objectKey !== undefined ? { ':objects': { SS: [extra.objectKey] } } : {}),
      ...base.values,
    },
  };
}

/** After a segment write: its indexes of one request and the object's key. */
export const storedUpdate = (
  requestId: string,
  indexes: readonly number[],
  objectKey: string,
  context: WriteContext,
): UpdateItemCommandInput => addIndexes('stored', requestId, indexes, context, { objectKey });

/** On the final attempt: the indexes that go to the dead-letter queue. */
export const failedUpdate = (
  requestId: string,
  indexes: readonly number[],
  context: WriteContext,
): UpdateItemCommandInput => addIndexes('failed', requestId, indexes, context);

/** After a 503: the indexes SQS took, so a repeat sends only the others. */
export const enqueuedUpdate = (
  requestId: string,
  indexes: readonly number[],
  context: WriteContext,
): UpdateItemCommandInput => addIndexes('enqueued', requestId, indexes, context);

/**
 * Redriven indexes leave `failed` (they are pending again: the status goes back to `storing`, or
 * `queued` if nothing is stored). Only an existing entry is changed: a redrive never creates one.
 */
export const redrivenUpdate = (
  requestId: string,
  indexes: readonly number[],
  context: Omit<WriteContext, 'retentionDays'>,
): UpdateItemCommandInput => ({
  TableName: context.tableName,
  Key: keyOf(requestId),
  UpdateExpression: 'DELETE #failed :indexes SET #updatedAt = :now',
  ConditionExpression: 'attribute_exists(#pk)',
  ExpressionAttributeNames: names('pk', 'failed', 'updatedAt'),
  ExpressionAttributeValues: { ':indexes': numberSet(indexes), ':now': { S: context.now.toISOString() } },
});

/**
 * The stored indexes of up to 100 requests (BatchGetItem's limit; a batch holds at most 10 records),
 * strongly consistent: the redelivery filter must see a write made just before a crash.
 */
export const storedIndexesRequest = (
  tableName: string,
  requestIds: readonly string[],
): BatchGetItemCommandInput => ({
  RequestItems: {
    [tableName]: {
      // DynamoDB refuses a key named twice.
      Keys: [...new Set(requestIds)].map(keyOf),
      ProjectionExpression: '#pk, #stored',
      ExpressionAttributeNames: names('pk', 'stored'),
      ConsistentRead: true,
    },
  },
});

/** One entry, strongly consistent: a status read right after the POST sees its entry. */
export const entryRequest = (tableName: string, requestId: string): GetItemCommandInput => ({
  TableName: tableName,
  Key: keyOf(requestId),
  ConsistentRead: true,
});

const text = (value: AttributeValue | undefined): string | undefined => value?.S;
const numberOf = (value: AttributeValue | undefined): number | undefined =>
  value?.N === undefined ? undefined : Number(value.N);
const numbers = (value: AttributeValue | undefined): number[] =>
  (value?.NS ?? []).map(Number).sort((a, b) => a - b);

/** The request id of an entry's key, `request#<id>`. */
export const requestIdOfKey = (item: Record<string, AttributeValue>): string =>
  // Stryker disable next-line StringLiteral: every item DynamoDB returns has its key; the fallback is for the type only
  (text(item.pk) ?? '').slice(REQUEST_KEY_PREFIX.length);

/** An entry as DynamoDB returns it; absent sets read as empty (DynamoDB has no empty sets). */
export function entryFrom(item: Record<string, AttributeValue>): LedgerEntry {
  const optional = <T>(name: string, value: T | undefined) => (value === undefined ? {} : { [name]: value });
  return {
    requestId: requestIdOfKey(item),
    ...optional('apiKeyId', text(item.apiKeyId)),
    ...optional('itemCount', numberOf(item.itemCount)),
    ...optional('itemsHash', text(item.itemsHash)),
    ...optional('acceptedAt', text(item.acceptedAt)),
    ...optional('updatedAt', text(item.updatedAt)),
    stored: numbers(item.stored),
    failed: numbers(item.failed),
    enqueued: numbers(item.enqueued),
    objects: [...(item.objects?.SS ?? [])].sort(),
  };
}
