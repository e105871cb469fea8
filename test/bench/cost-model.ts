import type { AttributeValue, UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { encodeEnvelope } from '../../lambdas/domain/envelope';
import { resultKey } from '../../lambdas/domain/keys';
import { itemsHash } from '../../lambdas/domain/ledger';
import { type ApiType, SETTINGS } from '../../lambdas/domain/settings';
import { CHUNK_SIZE } from '../../lambdas/ingest/accept-items';
import { acceptedUpdate, storedUpdate } from '../../lambdas/ledger/ledger-inputs';

/**
 * The cost of storing items, from requests counted per item and documented prices. Pure: the
 * benchmark feeds it what it counted, the tests feed it tables.
 */

/** us-east-1 list prices as of 2026-11 (from third-party copies of the AWS price pages). */
export const US_EAST_1_PRICES = {
  checked: '2026-11',
  source: 'AWS list prices, us-east-1, 2026-11 (third-party copies of the AWS price pages)',
  /**
   * API Gateway (https://aws.amazon.com/api-gateway/pricing/): REST APIs $3.50 per million requests for
   * the first 333 million a month; HTTP APIs $1.00 per million for the first 300 million, each request
   * metered in 512 KB increments (HTTP_API_METERING_BYTES). Both cheaper per request beyond those tiers.
   */
  apiGatewayRestPerMillionRequests: 3.5,
  apiGatewayHttpPerMillionRequests: 1.0,
  lambdaPerMillionRequests: 0.2,
  lambdaArmPerGbSecond: 0.0000133334,
  sqsFifoPerMillionRequests: 0.5,
  s3PutPerThousand: 0.005,
  /** On demand, since the November 2024 price cut. */
  dynamoDbPerMillionWriteUnits: 0.625,
  dynamoDbPerMillionReadUnits: 0.125,
  /**
   * SNS FIFO topics (https://aws.amazon.com/sns/pricing/, read 2026-12 in third-party copies): Publish and
   * PublishBatch requests $0.30 per million plus $0.017 per GB of payload; subscription messages $0.01 per
   * million plus $0.001 per GB of payload. A request is billed per 64 KB chunk of its payload.
   */
  snsFifoPublishPerMillionRequests: 0.3,
  snsFifoPublishPerGb: 0.017,
  snsFifoDeliveryPerMillionMessages: 0.01,
  snsFifoDeliveryPerGb: 0.001,
} as const;

export type Prices = Omit<typeof US_EAST_1_PRICES, 'checked' | 'source'>;

/** What the dispatcher (SNS FIFO topic) bills per item: its publish side and its deliveries. */
export interface DispatcherUsage {
  /** PublishBatch requests, each 64 KB chunk of a request's payload one. */
  readonly publishRequests: number;
  readonly publishedGb: number;
  /** Messages delivered: one per subscription. */
  readonly deliveries: number;
  readonly deliveredGb: number;
}

/** What one item costs in requests and compute, as counted in a run or measured in process. */
export interface UsagePerItem {
  /** API Gateway's billed requests: one per POST, or per started 512 KB of one on an HTTP API. */
  readonly apiRequests: number;
  /** The API type that bills them; a REST API when left out (the stack's default). */
  readonly apiType?: ApiType;
  readonly lambdaInvocations: number;
  readonly lambdaGbSeconds: number;
  readonly sqsRequests: number;
  readonly s3Puts: number;
  /** DynamoDB write request units (the ledger's, `ledgerUnitsPerItem`, or a windows table's); left out, not priced. */
  readonly dynamoDbWriteUnits?: number;
  /** DynamoDB read request units, likewise. */
  readonly dynamoDbReadUnits?: number;
  /** The dispatcher's charges; left out when the items do not go through it. */
  readonly dispatcher?: DispatcherUsage;
}

export interface CostPerMillionItems {
  readonly apiGateway: number;
  readonly lambda: number;
  readonly sns: number;
  readonly sqs: number;
  readonly s3: number;
  readonly dynamoDb: number;
  readonly total: number;
}

const MILLION = 1_000_000;

/** The dispatcher's charges per million items. */
export function snsCostPerMillionItems(usage: DispatcherUsage, prices: Prices = US_EAST_1_PRICES): number {
  return (
    usage.publishRequests * prices.snsFifoPublishPerMillionRequests +
    usage.publishedGb * MILLION * prices.snsFifoPublishPerGb +
    usage.deliveries * prices.snsFifoDeliveryPerMillionMessages +
    usage.deliveredGb * MILLION * prices.snsFifoDeliveryPerGb
  );
}

export function costPerMillionItems(
  usage: UsagePerItem,
  prices: Prices = US_EAST_1_PRICES,
): CostPerMillionItems {
  const apiGateway =
    usage.apiRequests *
    (usage.apiType === 'http'
      ? prices.apiGatewayHttpPerMillionRequests
      : prices.apiGatewayRestPerMillionRequests);
  const lambda =
    usage.lambdaInvocations * prices.lambdaPerMillionRequests +
    usage.lambdaGbSeconds * MILLION * prices.lambdaArmPerGbSecond;
  const sns = usage.dispatcher === undefined ? 0 : snsCostPerMillionItems(usage.dispatcher, prices);
  const sqs = usage.sqsRequests * prices.sqsFifoPerMillionRequests;
  const s3 = usage.s3Puts * MILLION * (prices.s3PutPerThousand / 1000);
  const dynamoDb =
    (usage.dynamoDbWriteUnits ?? 0) * prices.dynamoDbPerMillionWriteUnits +
    (usage.dynamoDbReadUnits ?? 0) * prices.dynamoDbPerMillionReadUnits;
  return {
    apiGateway,
    lambda,
    sns,
    sqs,
    s3,
    dynamoDb,
    total: apiGateway + lambda + sns + sqs + s3 + dynamoDb,
  };
}

// The front door ------------------------------------------------------------------------------------

/** An HTTP API bills a request per started 512 KB of it; a REST API bills each request once. */
export const HTTP_API_METERING_BYTES = 512 * 1024;

/** API Gateway's billed requests for one request of `bytes`. */
export const billedApiRequests = (apiType: ApiType, bytes: number): number =>
  apiType === 'http' ? Math.max(1, Math.ceil(bytes / HTTP_API_METERING_BYTES)) : 1;

/** The body of a POST of `items` one-digit items (the bench's uniform items): `[5,5,...]`. */
export const postBodyBytes = (items: number): number =>
  Buffer.byteLength(JSON.stringify(Array.from({ length: items }, () => 5)));

/**
 * Batch calls for requests of these sizes: SNS's PublishBatch and SQS's SendMessageBatch both take at
 * most 10 entries, and the ingest function sends a request's items in chunks of that many.
 */
export const sendBatchesFor = (itemsPerRequest: readonly number[]): number =>
  itemsPerRequest.reduce((sum, items) => sum + Math.ceil(items / CHUNK_SIZE), 0);

// The dispatcher ------------------------------------------------------------------------------------

/** SNS bills each 64 KB (65,536 bytes) chunk of a request's payload as one request. */
export const SNS_BILLING_CHUNK_BYTES = 64 * 1024;
/** AWS bills data by the GB of 2^30 bytes. */
const BYTES_PER_GB = 1024 ** 3;

/**
 * A message as the ingest function publishes it: the envelope of a one-digit item (the bench's uniform
 * items), a UUID request id, a two-digit index and an ISO time (the sizes the contract's envelope takes).
 */
export const ENVELOPE_BYTES = Buffer.byteLength(
  encodeEnvelope({
    v: 1,
    item: 5,
    requestId: '00000000-0000-4000-8000-000000000000',
    index: 10,
    acceptedAt: '2026-11-23T10:42:07.123Z',
  }),
);

/**
 * SQS requests per message SNS delivers to a subscribed queue: taken as one SendMessage each, billed
 * to the queue's owner like any send. An assumption: the pricing pages read do not say whether SQS
 * bills the sends SNS makes (a delivery of one message is never batched with others).
 */
export const SQS_REQUESTS_PER_DELIVERY = 1;

/**
 * What the dispatcher bills per item for requests of these sizes: one PublishBatch per 10 items of a
 * request (more when a chunk's payload passes 64 KB), every message delivered to each subscription.
 */
export function dispatcherUsagePerItem(
  itemsPerRequest: readonly number[],
  subscriptions: number,
  messageBytes: number = ENVELOPE_BYTES,
): DispatcherUsage {
  const items = itemsPerRequest.reduce((sum, size) => sum + size, 0);
  if (items === 0) return { publishRequests: 0, publishedGb: 0, deliveries: 0, deliveredGb: 0 };
  const requestsFor = (messages: number): number =>
    Math.max(1, Math.ceil((messages * messageBytes) / SNS_BILLING_CHUNK_BYTES));
  const publishRequests = itemsPerRequest.reduce((sum, size) => {
    const full = Math.floor(size / CHUNK_SIZE);
    const rest = size % CHUNK_SIZE;
    return sum + full * requestsFor(CHUNK_SIZE) + (rest > 0 ? requestsFor(rest) : 0);
  }, 0);
  const gbPerItem = messageBytes / BYTES_PER_GB;
  return {
    publishRequests: publishRequests / items,
    publishedGb: gbPerItem,
    deliveries: subscriptions * Math.ceil(messageBytes / SNS_BILLING_CHUNK_BYTES),
    deliveredGb: subscriptions * gbPerItem,
  };
}

/**
 * SQS requests the event source mapping makes per invocation: one ReceiveMessage that returned the
 * batch and one DeleteMessageBatch for the records that succeeded. Empty long polls come on top on
 * AWS; they depend on idle time, not on items, so they are left out of a per-item figure.
 */
export const SQS_REQUESTS_PER_BATCH_INVOCATION = 2;

export interface RunCounts {
  readonly items: number;
  /**
   * How ingest handed the items on: `topic`, published to the dispatcher (subscribed by the item queue
   * alone); `queue`, sent straight to the item queue with SendMessageBatch, as before the dispatcher.
   */
  readonly via: 'topic' | 'queue';
  /** Items of each accepted POST. */
  readonly requestSizes: readonly number[];
  readonly ingest: FunctionCounts;
  readonly batch: FunctionCounts;
  /** Objects written under results/ and failed/ holding this run's items. */
  readonly objectsWritten: number;
}

export interface FunctionCounts {
  readonly invocations: number;
  readonly billedMs: number;
  readonly memoryMb: number;
}

const gbSeconds = ({ billedMs, memoryMb }: FunctionCounts): number => (billedMs / 1000) * (memoryMb / 1024);

export function usagePerItem(run: RunCounts): UsagePerItem {
  const perItem = (value: number): number => (run.items === 0 ? 0 : value / run.items);
  const sends =
    run.via === 'topic' ? SQS_REQUESTS_PER_DELIVERY * run.items : sendBatchesFor(run.requestSizes);
  return {
    apiRequests: perItem(run.requestSizes.length),
    lambdaInvocations: perItem(run.ingest.invocations + run.batch.invocations),
    lambdaGbSeconds: perItem(gbSeconds(run.ingest) + gbSeconds(run.batch)),
    sqsRequests: perItem(sends + SQS_REQUESTS_PER_BATCH_INVOCATION * run.batch.invocations),
    s3Puts: perItem(run.objectsWritten),
    ...(run.via === 'topic' && run.items > 0
      ? { dispatcher: dispatcherUsagePerItem(run.requestSizes, 1) }
      : {}),
  };
}

// DynamoDB request units -------------------------------------------------------------------------

export type DynamoItem = Record<string, AttributeValue>;

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/** About 1 byte per two significant digits plus 1; leading and trailing zeros are not stored. */
function numberBytes(value: string): number {
  const mantissa = value.replace(/^[-+]/, '').replace(/e.*$/i, '').replace('.', '');
  const significant = mantissa.replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(significant.length / 2) + 1;
}

function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return utf8Bytes(value.S);
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  // Sets: the sum of their elements, as AWS's item-size guidance and calculators count them.
  if (value.SS !== undefined) return value.SS.reduce((sum, text) => sum + utf8Bytes(text), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, n) => sum + numberBytes(n), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, bytes) => sum + bytes.byteLength, 0);
  // Lists and maps: 3 bytes, plus 1 per element.
  if (value.L !== undefined) return value.L.reduce((sum, element) => sum + 1 + valueBytes(element), 3);
  if (value.M !== undefined) return 3 + dynamoDbItemBytes(value.M) + Object.keys(value.M).length;
  throw new Error(`No size rule for attribute value ${JSON.stringify(value)}`);
}

/**
 * An item's size as DynamoDB bills it: the UTF-8 lengths of its attribute names plus the sizes of
 * their values (Developer Guide, "DynamoDB item sizes and formats",
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html,
 * read 2026-11-25).
 */
export const dynamoDbItemBytes = (item: DynamoItem): number =>
  Object.entries(item).reduce((sum, [name, value]) => sum + utf8Bytes(name) + valueBytes(value), 0);

const KB = 1024;

/** On demand: one write request unit per started KB; an update pays for the larger of before and after. */
export const writeUnits = (...itemBytes: readonly number[]): number =>
  Math.max(1, Math.ceil(Math.max(...itemBytes) / KB));

/** A strongly consistent read: one read request unit per started 4 KB (the ledger reads consistently). */
export const consistentReadUnits = (itemBytes: number): number =>
  Math.max(1, Math.ceil(itemBytes / (4 * KB)));

// Attribute names as `#placeholders` (the ledger's, the closer's) or as themselves (the pane rows' v3, t3).
const SET_CLAUSE = /(#?\w+)\s*=\s*(?:if_not_exists\(\s*(#?\w+)\s*,\s*(:\w+)\s*\)|(:\w+))/g;
const ADD_CLAUSE = /(#?\w+)\s+(:\w+)/g;

function addToSet(existing: AttributeValue | undefined, added: AttributeValue): AttributeValue {
  if (added.NS !== undefined) return { NS: [...new Set([...(existing?.NS ?? []), ...added.NS])] };
  if (added.SS !== undefined) return { SS: [...new Set([...(existing?.SS ?? []), ...added.SS])] };
  throw new Error(`ADD of ${JSON.stringify(added)} is not modelled`);
}

/**
 * The item after an UpdateItem, to price it by the larger of before and after: the SET (a value or
 * if_not_exists) and ADD (to a set) clauses the ledger, Powertools and the analyses send, conditions
 * taken as met.
 * Any other clause throws, so a new kind of update is never priced silently wrong.
 */
export function itemAfterUpdate(before: DynamoItem | undefined, input: UpdateItemCommandInput): DynamoItem {
  const nameOf = (token: string): string => {
    if (!token.startsWith('#')) return token;
    const name = input.ExpressionAttributeNames?.[token];
    if (name === undefined) throw new Error(`Unknown attribute name ${token}`);
    return name;
  };
  const valueFor = (token: string): AttributeValue => {
    const value = input.ExpressionAttributeValues?.[token];
    if (value === undefined) throw new Error(`Unknown attribute value ${token}`);
    return value;
  };
  const after: DynamoItem = { ...before, ...input.Key };
  const [lead, ...clauses] = (input.UpdateExpression ?? '').split(/\b(SET|ADD|REMOVE|DELETE)\b/);
  if (lead?.trim()) throw new Error(`Unparsed update expression: ${input.UpdateExpression}`);
  for (let i = 0; i < clauses.length; i += 2) {
    const [keyword, body = ''] = [clauses[i], clauses[i + 1]];
    const pattern = keyword === 'SET' ? SET_CLAUSE : keyword === 'ADD' ? ADD_CLAUSE : undefined;
    if (pattern === undefined || body.replace(pattern, '').replace(/[\s,]/g, '') !== '') {
      throw new Error(`Update clause not modelled: ${keyword}${body}`);
    }
    for (const [, target = '', ...operands] of body.matchAll(pattern)) {
      const name = nameOf(target);
      if (keyword === 'ADD') {
        after[name] = addToSet(after[name], valueFor(operands[0] ?? ''));
        continue;
      }
      const [ifNotExists, fallback = '', plain] = operands;
      after[name] =
        plain !== undefined ? valueFor(plain) : (before?.[nameOf(ifNotExists ?? '')] ?? valueFor(fallback));
    }
  }
  return after;
}

// The request ledger's write units ---------------------------------------------------------------

/** One request as the end-to-end run can count it after reading every object back. */
export interface RequestStorage {
  readonly items: number;
  /** Results objects holding its items: the batch writer updates the entry once per object and request. */
  readonly objects: number;
}

/** What a run needs to price its ledger (DEPLOYING.md's Costs names the same calls). */
export interface LedgerRunCounts {
  readonly requests: readonly RequestStorage[];
  /** The POSTs carried an Idempotency-Key: Powertools writes its record twice (put INPROGRESS, update COMPLETED). */
  readonly idempotencyKeys: boolean;
  /** Entries the batch writer read to filter redelivered records (BatchGetItem); none without redeliveries. */
  readonly entriesReadForRedeliveries?: number;
}

/**
 * Write units of the idempotency record per keyed POST: its put and its update, each one unit as the
 * record (key hash, status, expiry, the 202's fields) stays far under 1 KB (the handler bench
 * measures it: test/bench/handlers.ts).
 */
export const IDEMPOTENCY_WRITE_UNITS_PER_KEYED_REQUEST = 2;

/** Values of the length AWS gives them: a UUID request id, a 10-character API key id, ISO times. */
const SAMPLE = {
  requestId: '00000000-0000-4000-8000-000000000000',
  apiKeyId: 'a1b2c3d4e5',
  now: new Date('2026-11-23T10:42:07.123Z'),
  tableName: 'RequestLedger',
} as const;

/** The indexes of the request the k-th of `objects` objects holds (1-based): an even split, in order. */
function indexesOfObject(k: number, items: number, objects: number): number[] {
  const start = Math.floor(((k - 1) * items) / objects);
  const end = Math.max(start + 1, Math.floor((k * items) / objects));
  return Array.from({ length: Math.min(end, items) - start }, (_, i) => start + i);
}

/**
 * Write units of one request's entry: ingest's write, one update per object holding its items (the
 * entry grows by the object key and the indexes each time, so a large request's later updates cost
 * 2 units and more). Built with the ledger's own commands, so the sizes follow them.
 */
export function requestWriteUnits({ items, objects }: RequestStorage): number {
  const context = {
    tableName: SAMPLE.tableName,
    now: SAMPLE.now,
    retentionDays: SETTINGS.ledgerRetentionDays.default,
  };
  let entry: DynamoItem | undefined;
  let units = 0;
  const write = (input: UpdateItemCommandInput): void => {
    const after = itemAfterUpdate(entry, input);
    units += writeUnits(entry === undefined ? 0 : dynamoDbItemBytes(entry), dynamoDbItemBytes(after));
    entry = after;
  };
  write(
    acceptedUpdate(
      {
        requestId: SAMPLE.requestId,
        apiKeyId: SAMPLE.apiKeyId,
        itemCount: items,
        itemsHash: itemsHash([]),
        acceptedAt: SAMPLE.now,
        windowStart: SAMPLE.now.toISOString(),
        // Sized alike either way: the two forms differ in their expressions only.
        repeatable: false,
      },
      context,
    ),
  );
  for (let k = 1; k <= objects; k += 1) {
    const objectKey = resultKey(SAMPLE.now, [`object-${k}`]);
    write(storedUpdate(SAMPLE.requestId, indexesOfObject(k, items, objects), objectKey, context));
  }
  return units;
}

/** The ledger's write and read units per stored item of a run, for UsagePerItem. */
export function ledgerUnitsPerItem(
  run: LedgerRunCounts,
): Required<Pick<UsagePerItem, 'dynamoDbWriteUnits' | 'dynamoDbReadUnits'>> {
  const items = run.requests.reduce((sum, request) => sum + request.items, 0);
  const perItem = (value: number): number => (items === 0 ? 0 : value / items);
  const idempotency = run.idempotencyKeys ? IDEMPOTENCY_WRITE_UNITS_PER_KEYED_REQUEST : 0;
  const writes = run.requests.reduce((sum, request) => sum + requestWriteUnits(request) + idempotency, 0);
  // An entry read is one unit while it is under 4 KB (requests of up to about 55 objects).
  return {
    dynamoDbWriteUnits: perItem(writes),
    dynamoDbReadUnits: perItem(run.entriesReadForRedeliveries ?? 0),
  };
}

/**
 * Objects holding a request of `items` items when the run did not count them: SQS FIFO hands out a
 * group's messages together, so a request's items are contiguous in the batches and a cut (batch end
 * or exclusion split, `objectsPerItem` of them per item) falls between two of its items that often.
 */
export const expectedObjectsPerRequest = (items: number, objectsPerItem: number): number =>
  Math.min(items, 1 + (items - 1) * objectsPerItem);
