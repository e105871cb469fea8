import { ANALYSIS_BATCH_SIZE, ANALYSIS_LIMITS, DEFAULT_ANALYSES } from '../../lambdas/domain/analyses';
import { type ApiType, FUNCTION_LIMITS, SETTINGS } from '../../lambdas/domain/settings';
import { CLOSER_INTERVAL_MINUTES } from '../../lambdas/domain/windows';
import { CHUNK_SIZE } from '../../lambdas/ingest/accept-items';
import { type AnalysisWork, analysisCostPerMillionItems } from './analysis-cost';
import {
  billedApiRequests,
  type CostPerMillionItems,
  costPerMillionItems,
  dispatcherUsagePerItem,
  ENVELOPE_BYTES,
  expectedObjectsPerRequest,
  ledgerUnitsPerItem,
  postBodyBytes,
  type RequestStorage,
  SQS_REQUESTS_PER_BATCH_INVOCATION,
  SQS_REQUESTS_PER_DELIVERY,
  type UsagePerItem,
} from './cost-model';

/**
 * How many items/s the pipeline sustains on AWS, from its settings, the batch function's time per
 * invocation and the documented quotas; which limit binds, and what to raise for more. Pure: no AWS.
 * The local cloud cannot show this (MiniStack runs a FIFO mapping one batch at a time, BENCHMARKS.md).
 */

/** AWS's documented defaults the model is bounded by, each with where it was read and how far it is verified. */
export const AWS_QUOTAS = {
  checked: '2026-11-25',
  sqsFifoHighThroughputTps: {
    value: 70_000,
    unit: 'calls/s per API action and queue',
    source:
      'SQS Developer Guide, Amazon SQS message quotas, high throughput for FIFO queues, non-batched calls: ' +
      '"US East (N. Virginia), US West (Oregon), and Europe (Ireland): Up to 70,000 transactions per second"; ' +
      '19,000 in US East (Ohio) and Europe (Frankfurt), less elsewhere. A batch call is one transaction ' +
      '("FIFO limits are based on the number of API requests, not message limits"). ' +
      'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html',
    verified:
      'figures read 2026-11-25 in a third-party rendering of that page (mdsite.deno.dev); the AWS page itself ' +
      '(zh_cn copy) confirms the request-based limit and the Region list but its excerpt stopped before the numbers',
  },
  lambdaConcurrentExecutions: {
    value: 1_000,
    unit: 'concurrent executions per account and Region',
    source:
      'Lambda Developer Guide, Lambda quotas: "Concurrent executions 1,000" (new accounts start lower). ' +
      'https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html',
    verified: 'AWS page, read 2026-11-25',
  },
  apiGatewayAccountRps: {
    value: 10_000,
    unit: 'requests/s per account and Region, all APIs (burst 5,000)',
    source:
      'API Gateway Developer Guide, Amazon API Gateway quotas: 10,000 RPS, 2,500 in some newer Regions. ' +
      'https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html',
    verified: 'AWS page, read 2026-11-25',
  },
  s3PutsPerPrefix: {
    value: 3_500,
    unit: 'PUTs/s per partitioned prefix',
    source:
      'AWS Knowledge Center, http-5xx-errors-s3: "3,500 PUT/COPY/POST/DELETE ... per second per partitioned ' +
      'Amazon S3 prefix"; S3 partitions a busy prefix on its own, with 503 SlowDown meanwhile. ' +
      'https://repost.aws/knowledge-center/http-5xx-errors-s3',
    verified: 'AWS Knowledge Center, read 2026-11-25',
  },
  snsFifoMessageGroupScopeMessagesPerSecond: {
    value: 30_000,
    unit: 'messages/s published per account (us-east-1), FIFO topics with FifoThroughputScope MessageGroup',
    source:
      'Amazon SNS high-throughput FIFO topics, launched 2025-01-21: "up to 30,000 messages per second per ' +
      'account in US East (N. Virginia)", 9,000 in US West (Oregon) and Europe (Ireland), fewer elsewhere; ' +
      'PublishBatch counts its messages, not its calls. Without message-group scope a FIFO topic takes ' +
      '3,000 messages/s and 20 MB/s (AWS CDK, FifoThroughputScope: ' +
      'https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_sns.FifoThroughputScope.html). ' +
      'https://docs.aws.amazon.com/sns/latest/dg/fifo-high-throughput.html, https://docs.aws.amazon.com/general/latest/gr/sns.html',
    verified:
      'the figures read 2026-12 in third-party renderings of the launch note; AWS pages confirm the mode ' +
      '("Maximum regional limits", CDK) and point to the quotas page, whose figures were not in the excerpts read',
  },
  snsFifoMessagesPerSecondPerGroup: {
    value: 300,
    unit: 'messages/s per message group',
    source:
      'The launch note above: FIFO topics took "300 messages per second per message group ID and 3,000 ' +
      'messages per second per topic" before high throughput; high throughput spreads a topic over ' +
      'partitions by message group, so one group stays on one partition (fifo-high-throughput.html: ' +
      '"increasing the number of message groups is recommended")',
    verified:
      'third-party renderings of the launch note, read 2026-12; taken to hold per group in high throughput',
  },
  snsPublishBatch: {
    value: 262_144,
    unit: 'bytes per PublishBatch (at most 10 entries)',
    source:
      'Amazon SNS message batching: "up to 10 messages in a single API request"; the messages of one ' +
      'request cannot exceed 262,144 bytes (256 KiB). https://docs.aws.amazon.com/sns/latest/dg/sns-batch-api-actions.html',
    verified: 'AWS page, read 2026-12',
  },
  snsFifoSubscriptionsPerTopic: {
    value: 100,
    unit: 'subscriptions per FIFO topic (1,000 FIFO topics per account)',
    source:
      'Amazon SNS features, FIFO topics: "Each account can support 1,000 FIFO topics and each topic supports ' +
      'up to 100 subscriptions". https://aws.amazon.com/sns/features/',
    verified: 'AWS page, read 2026-12',
  },
  fifoMappingConcurrency: {
    unit: 'concurrent batches: at most min(maxConcurrency, active message groups)',
    source:
      'Lambda Developer Guide, services-sqs-scaling: "For FIFO queues, concurrent invocations are capped ' +
      'either by the number of message group IDs or the maximum concurrency setting, whichever is lower"; ' +
      'MaximumConcurrency 2-1,000. https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html',
    verified: 'AWS page, read 2026-11-25',
  },
} as const;

/**
 * Times on AWS that this machine cannot measure: assumptions, each labelled, to be replaced by
 * measured values (the input takes them).
 */
export const ASSUMED_AWS_TIMES = {
  /**
   * One batch invocation, warm, arm64 Node.js, 256 MB: 1.17 segments of 5 records, each a ~25 ms S3
   * PUT, one after another, with the ledger updates overlapping them; p50.
   */
  batchInvocationMs: 60,
  /**
   * Between two batches of one poller: the DeleteMessageBatch and the next ReceiveMessage, ~10 ms each
   * in Region. AWS does not document the mapping's per-batch overhead.
   */
  mappingOverheadMs: 20,
  /** One POST of up to 10 items: the ledger write and one PublishBatch (at once without an Idempotency-Key); warm, p50. */
  ingestInvocationMs: 40,
  /**
   * One invocation of an analysis's consumer, a batch of 10 records: its pane rows' UpdateItems (3 to 4
   * at 4 items per POST) all at once, ~20 ms in Region, and the handler's own few ms; warm, p50.
   */
  analysisInvocationMs: 30,
  /** One run of the window closer: a watermark read, ~11 pane queries and ~6 window writes and PUTs, partly at once. */
  closerInvocationMs: 300,
} as const;

/** The pipeline's S3 PUTs per item measured end to end with uniform items (BENCHMARKS.md, 2026-11-23). */
export const MEASURED_OBJECTS_PER_ITEM = 0.23;

/**
 * One analysis's work per item and per window, measured in process on its code (analysis-units.ts,
 * BENCHMARKS.md: the default analysis, 4 items per POST, 400 items/s). The closer's reads per window
 * grow with the items in a window's panes; they are a small share of the cost at any rate.
 */
export const MEASURED_ANALYSIS_WORK: AnalysisWork = {
  invocationsPerItem: 1 / ANALYSIS_BATCH_SIZE,
  consumerWriteUnitsPerItem: 0.3,
  consumerReadUnitsPerItem: 0,
  closerWriteUnitsPerWindow: 7 / 6,
  closerReadUnitsPerWindow: 61,
  objectsPerWindow: 1,
};

export interface CapacityInput {
  /** One batch-function invocation, ms: the bench's measured value, or ASSUMED_AWS_TIMES's. */
  readonly batchInvocationMs: number;
  /** What a poller spends per batch outside the function, ms. */
  readonly mappingOverheadMs: number;
  readonly ingestInvocationMs: number;
  /** One invocation of an analysis's consumer (a batch of ANALYSIS_BATCH_SIZE records), ms. */
  readonly analysisInvocationMs: number;
  /** One run of the window closer, ms (priced only). */
  readonly closerInvocationMs: number;
  /** Registered analyses: each one subscribes a queue to the dispatcher and has its own consumer. */
  readonly analyses: number;
  /** Upper bound on each analysis's concurrent consumers (`analysisMaxConcurrency`). */
  readonly analysisMaxConcurrency: number;
  readonly analysisWork: AnalysisWork;
  readonly itemsPerPost: number;
  /** The API type in front of ingest (`apiType`): it sets the price of each POST. */
  readonly apiType: ApiType;
  readonly batchSize: number;
  readonly maxConcurrency: number;
  /** Message groups with messages waiting (`perRequest`: requests in the queue; `global`: 1); Infinity for a backlog. */
  readonly activeMessageGroups: number;
  /** The usage plan and stage throttle, requests/s. */
  readonly throttleRateLimit: number;
  readonly objectsPerItem: number;
  readonly memoryMb: number;
  /** The POSTs carry an Idempotency-Key (priced: two more ledger writes per POST). */
  readonly idempotencyKeys: boolean;
  /** Account quotas AWS raises on request. */
  readonly lambdaConcurrentExecutions: number;
  readonly apiGatewayAccountRps: number;
}

/** The stack's defaults (settings.ts), the assumed AWS times, 4 items per POST, a backlog of requests. */
export const DEFAULT_CAPACITY_INPUT: CapacityInput = {
  ...ASSUMED_AWS_TIMES,
  itemsPerPost: 4,
  apiType: SETTINGS.apiType.default,
  batchSize: SETTINGS.batchSize.default,
  maxConcurrency: SETTINGS.maxConcurrency.default,
  analyses: DEFAULT_ANALYSES.length,
  analysisMaxConcurrency: SETTINGS.analysisMaxConcurrency.default,
  analysisWork: MEASURED_ANALYSIS_WORK,
  activeMessageGroups: Number.POSITIVE_INFINITY,
  throttleRateLimit: SETTINGS.throttleRateLimit.default,
  objectsPerItem: MEASURED_OBJECTS_PER_ITEM,
  memoryMb: FUNCTION_LIMITS.memorySizeMb.default,
  idempotencyKeys: false,
  lambdaConcurrentExecutions: AWS_QUOTAS.lambdaConcurrentExecutions.value,
  apiGatewayAccountRps: AWS_QUOTAS.apiGatewayAccountRps.value,
};

export type LimitName =
  | 'batch consumer'
  | 'analysis consumer'
  | 'API throttle'
  | 'API Gateway account'
  | 'Lambda concurrency'
  | 'SNS FIFO publish, message-group scope'
  | 'SNS FIFO publish per message group'
  | 'SQS SendMessage (SNS deliveries)'
  | 'SQS ReceiveMessage, DeleteMessageBatch'
  | 'S3 PUTs per prefix';

/** A quota in its own unit and how many items/s one unit carries: every limit here is linear in items/s. */
interface Limit {
  readonly name: LimitName;
  readonly quota: number;
  readonly unit: string;
  readonly itemsPerSecondPerUnit: number;
  /** The input field that raises it, or undefined when no setting or quota does (a design change). */
  readonly raisedBy?: RaisableField;
  /** What raises it, in words. */
  readonly remedy: string;
}

type RaisableField =
  | 'maxConcurrency'
  | 'analysisMaxConcurrency'
  | 'throttleRateLimit'
  | 'apiGatewayAccountRps'
  | 'lambdaConcurrentExecutions';

export interface LimitCapacity {
  readonly name: LimitName;
  /** Items/s this limit allows on its own. */
  readonly itemsPerSecond: number;
  readonly quota: number;
  readonly unit: string;
  /** What the sustained rate uses of the quota, in its unit. */
  readonly used: number;
  /** Quota over use: how many times the sustained rate this limit allows. */
  readonly headroom: number;
  readonly remedy: string;
}

export interface CapacityResult {
  readonly sustainedItemsPerSecond: number;
  readonly binding: LimitName;
  /** Lowest capacity first: the order in which the limits bind as load grows. */
  readonly limits: readonly LimitCapacity[];
  /** The storage path and the dispatcher (its publish and its deliveries to every subscription). */
  readonly costPerMillionItems: CostPerMillionItems;
  /** Each analysis's own work at the sustained rate, on top. */
  readonly analysisCostPerMillionItems: CostPerMillionItems;
}

/** Concurrent batches the mapping runs: FIFO caps them at the active message groups. */
export const batchConcurrency = (input: CapacityInput): number =>
  Math.min(input.maxConcurrency, input.activeMessageGroups);

/** A poller takes its batches one after another: the function's time plus the mapping's own. */
const secondsPerBatch = (input: CapacityInput): number =>
  (input.batchInvocationMs + input.mappingOverheadMs) / 1000;

/** Subscriptions of the dispatcher: the item queue and one queue per analysis. */
export const subscriptionsOf = (input: CapacityInput): number => 1 + input.analyses;

function limitsOf(input: CapacityInput): Limit[] {
  const { itemsPerPost, batchSize } = input;
  // Concurrency is executions in flight: items/s x seconds per item of each function.
  const lambdaSecondsPerItem =
    input.ingestInvocationMs / 1000 / itemsPerPost +
    input.batchInvocationMs / 1000 / batchSize +
    (input.analyses * input.analysisInvocationMs) / 1000 / ANALYSIS_BATCH_SIZE;
  const sqsTps = AWS_QUOTAS.sqsFifoHighThroughputTps;
  const analysisConsumer: Limit[] =
    input.analyses === 0
      ? []
      : [
          {
            name: 'analysis consumer',
            quota: Math.min(input.analysisMaxConcurrency, input.activeMessageGroups),
            unit: `concurrent batches of each analysis (${AWS_QUOTAS.fifoMappingConcurrency.unit})`,
            itemsPerSecondPerUnit:
              ANALYSIS_BATCH_SIZE / ((input.analysisInvocationMs + input.mappingOverheadMs) / 1000),
            raisedBy: 'analysisMaxConcurrency',
            remedy:
              'analysisMaxConcurrency (behind, an analysis counts items late: its windows, not storage)',
          },
        ];
  return [
    {
      name: 'batch consumer',
      quota: batchConcurrency(input),
      unit: AWS_QUOTAS.fifoMappingConcurrency.unit,
      itemsPerSecondPerUnit: batchSize / secondsPerBatch(input),
      raisedBy: 'maxConcurrency',
      remedy: 'maxConcurrency, with as many active message groups',
    },
    ...analysisConsumer,
    {
      name: 'API throttle',
      quota: input.throttleRateLimit,
      unit: 'requests/s (usage plan and stage)',
      itemsPerSecondPerUnit: itemsPerPost,
      raisedBy: 'throttleRateLimit',
      remedy: 'throttleRateLimit (and throttleBurstLimit)',
    },
    {
      name: 'API Gateway account',
      quota: input.apiGatewayAccountRps,
      unit: 'requests/s per account and Region',
      itemsPerSecondPerUnit: itemsPerPost,
      raisedBy: 'apiGatewayAccountRps',
      remedy: 'a Service Quotas request (L-8A5B8E43)',
    },
    {
      name: 'Lambda concurrency',
      quota: input.lambdaConcurrentExecutions,
      unit: 'concurrent executions (ingest, batch and analyses) per account and Region',
      itemsPerSecondPerUnit: 1 / lambdaSecondsPerItem,
      raisedBy: 'lambdaConcurrentExecutions',
      remedy: 'a Service Quotas request',
    },
    {
      // One message per item, whatever the PublishBatch: the quota counts messages.
      name: 'SNS FIFO publish, message-group scope',
      quota: AWS_QUOTAS.snsFifoMessageGroupScopeMessagesPerSecond.value,
      unit: AWS_QUOTAS.snsFifoMessageGroupScopeMessagesPerSecond.unit,
      itemsPerSecondPerUnit: 1,
      remedy: "the Region's maximum for the account (AWS support); 9,000 in us-west-2 and eu-west-1",
    },
    {
      name: 'SNS FIFO publish per message group',
      quota: AWS_QUOTAS.snsFifoMessagesPerSecondPerGroup.value * input.activeMessageGroups,
      unit: `messages/s: ${AWS_QUOTAS.snsFifoMessagesPerSecondPerGroup.value} per message group x the groups publishing`,
      itemsPerSecondPerUnit: 1,
      remedy: 'more message groups: ordering "perRequest" (one per request), not "global"',
    },
    {
      name: 'SQS SendMessage (SNS deliveries)',
      quota: sqsTps.value,
      unit: `${sqsTps.unit}, SNS's sends to each subscribed queue`,
      itemsPerSecondPerUnit: 1 / SQS_REQUESTS_PER_DELIVERY,
      remedy: 'not adjustable per queue: a second dispatcher and item queue',
    },
    {
      // The mapping's calls count against the queue's quota too, empty long polls on top.
      name: 'SQS ReceiveMessage, DeleteMessageBatch',
      quota: sqsTps.value,
      unit: `${sqsTps.unit}, one of each per batch`,
      itemsPerSecondPerUnit: batchSize,
      remedy: 'not adjustable per queue: a larger batchSize, or a second queue',
    },
    {
      name: 'S3 PUTs per prefix',
      quota: AWS_QUOTAS.s3PutsPerPrefix.value,
      unit: `${AWS_QUOTAS.s3PutsPerPrefix.unit} (one prefix per minute)`,
      itemsPerSecondPerUnit: 1 / input.objectsPerItem,
      remedy: 'S3 partitions a busy prefix itself (503 SlowDown meanwhile); or a shard in the results key',
    },
  ];
}

/** Requests of `itemsPerPost` items, each held by as many objects as expected on average (a floor and ceiling mix). */
function typicalRequests(input: CapacityInput): RequestStorage[] {
  const objects = expectedObjectsPerRequest(input.itemsPerPost, input.objectsPerItem);
  const requests = 100;
  const withOneMore = Math.round((objects - Math.floor(objects)) * requests);
  return Array.from({ length: requests }, (_, i) => ({
    items: input.itemsPerPost,
    objects: Math.floor(objects) + (i < withOneMore ? 1 : 0),
  }));
}

/**
 * Requests per item of the storage path on AWS with full batches (what the end-to-end bench counts
 * locally), with the dispatcher's publish and its deliveries to every subscription.
 */
export function steadyUsagePerItem(input: CapacityInput): UsagePerItem {
  const { itemsPerPost, batchSize } = input;
  const gbSecondsPerMs = input.memoryMb / 1024 / 1000;
  return {
    apiRequests: billedApiRequests(input.apiType, postBodyBytes(itemsPerPost)) / itemsPerPost,
    apiType: input.apiType,
    lambdaInvocations: 1 / itemsPerPost + 1 / batchSize,
    lambdaGbSeconds:
      (input.ingestInvocationMs / itemsPerPost + input.batchInvocationMs / batchSize) * gbSecondsPerMs,
    sqsRequests: SQS_REQUESTS_PER_DELIVERY + SQS_REQUESTS_PER_BATCH_INVOCATION / batchSize,
    s3Puts: input.objectsPerItem,
    ...ledgerUnitsPerItem({ requests: typicalRequests(input), idempotencyKeys: input.idempotencyKeys }),
    dispatcher: dispatcherUsagePerItem([itemsPerPost], subscriptionsOf(input)),
  };
}

/** One analysis's own cost per million items at `itemsPerSecond`. */
export const analysisCostAt = (input: CapacityInput, itemsPerSecond: number): CostPerMillionItems =>
  analysisCostPerMillionItems({
    ...input.analysisWork,
    itemsPerSecond,
    advanceSeconds: DEFAULT_ANALYSES[0]?.advanceSeconds ?? 0,
    closerIntervalSeconds: CLOSER_INTERVAL_MINUTES * 60,
    invocationMs: input.analysisInvocationMs,
    closerInvocationMs: input.closerInvocationMs,
    memoryMb: input.memoryMb,
  });

/** The sustained items/s: the lowest of what each limit allows. */
export function capacityModel(input: CapacityInput): CapacityResult {
  const capacities = limitsOf(input)
    .map((limit) => ({ ...limit, itemsPerSecond: limit.quota * limit.itemsPerSecondPerUnit }))
    .sort((a, b) => a.itemsPerSecond - b.itemsPerSecond);
  const [binding] = capacities;
  if (binding === undefined) throw new Error('The model has no limits');
  const sustained = binding.itemsPerSecond;
  return {
    sustainedItemsPerSecond: sustained,
    binding: binding.name,
    limits: capacities.map(({ name, itemsPerSecond, quota, unit, itemsPerSecondPerUnit, remedy }) => ({
      name,
      itemsPerSecond,
      quota,
      unit,
      used: sustained / itemsPerSecondPerUnit,
      headroom: itemsPerSecond / sustained,
      remedy,
    })),
    costPerMillionItems: costPerMillionItems(steadyUsagePerItem(input)),
    analysisCostPerMillionItems: analysisCostAt(input, sustained),
  };
}

/** The sizes of POST the bench prices each API type at. */
export const PRICED_ITEMS_PER_POST = [1, 4, 100] as const;
const API_TYPES: readonly ApiType[] = ['rest', 'http'];

export interface ApiTypeCost {
  readonly itemsPerPost: number;
  readonly apiType: ApiType;
  /** The storage path and the dispatcher, as `capacityModel` prices them, behind this API type. */
  readonly cost: CostPerMillionItems;
  /** Its total over the REST API's at the same size of POST. */
  readonly ofRest: number;
}

/** Each API type's cost per million items at 1, 4 and 100 items per POST, all else as `input`. */
export function apiTypeCosts(input: CapacityInput): ApiTypeCost[] {
  return PRICED_ITEMS_PER_POST.flatMap((itemsPerPost) => {
    const costOf = (apiType: ApiType) =>
      costPerMillionItems(steadyUsagePerItem({ ...input, itemsPerPost, apiType }));
    const rest = costOf('rest');
    return API_TYPES.map((apiType) => {
      const cost = costOf(apiType);
      return { itemsPerPost, apiType, cost, ofRest: cost.total / rest.total };
    });
  });
}

export interface ScalingStep {
  readonly limit: LimitName;
  /** The input field raised; undefined when only a design change helps. */
  readonly field?: RaisableField;
  readonly from: number;
  /** The quota the target needs, in the limit's unit. */
  readonly to: number;
  readonly remedy: string;
  /** Where settings.ts or AWS bounds the new value. */
  readonly caveat?: string;
}

export interface ScalingPlan {
  readonly factor: number;
  readonly targetItemsPerSecond: number;
  /** In the order the limits bind as load grows: the first is the one to raise first. */
  readonly steps: readonly ScalingStep[];
  /** FIFO runs at most one batch per group at a time: the consumer needs this many groups with messages waiting. */
  readonly activeMessageGroupsNeeded: number;
  /** The model once every raisable step is taken. */
  readonly after: CapacityResult;
}

/** What else a raised setting needs, and where settings.ts bounds it (the burst, at most 5,000, is at least the rate). */
function caveatOf(field: RaisableField | undefined, to: number, input: CapacityInput): string | undefined {
  if (field === 'maxConcurrency' && to > SETTINGS.maxConcurrency.max)
    return `above the mapping's maximum (${SETTINGS.maxConcurrency.max}): fewer ms per batch or a larger batchSize`;
  if (field === 'maxConcurrency' && to > input.activeMessageGroups)
    return `and at least ${to} active message groups (now ${input.activeMessageGroups})`;
  if (field === 'analysisMaxConcurrency' && to > SETTINGS.analysisMaxConcurrency.max)
    return `above the mapping's maximum (${SETTINGS.analysisMaxConcurrency.max}): fewer ms per batch`;
  if (field === 'throttleRateLimit' && to > SETTINGS.throttleBurstLimit.max)
    return `throttleBurstLimit must be at least the rate and is at most ${SETTINGS.throttleBurstLimit.max.toLocaleString('en-US')}`;
  if (field === 'throttleRateLimit') return `throttleBurstLimit at least ${to.toLocaleString('en-US')}`;
  return undefined;
}

/**
 * What to raise, in order, for `factor` times what `input` sustains: every limit below the target,
 * the one that binds first first, with the value the target needs.
 */
export function scalingPlan(input: CapacityInput, factor: number): ScalingPlan {
  const targetItemsPerSecond = factor * capacityModel(input).sustainedItemsPerSecond;
  const steps = limitsOf(input)
    .filter((limit) => limit.quota * limit.itemsPerSecondPerUnit < targetItemsPerSecond)
    .sort((a, b) => a.quota * a.itemsPerSecondPerUnit - b.quota * b.itemsPerSecondPerUnit)
    .map((limit): ScalingStep => {
      const to = Math.ceil(targetItemsPerSecond / limit.itemsPerSecondPerUnit - 1e-9);
      const caveat = caveatOf(limit.raisedBy, to, input);
      return {
        limit: limit.name,
        ...(limit.raisedBy === undefined ? {} : { field: limit.raisedBy }),
        from: limit.quota,
        to,
        remedy: limit.remedy,
        ...(caveat === undefined ? {} : { caveat }),
      };
    });
  const raised = Object.fromEntries(steps.flatMap((step) => (step.field ? [[step.field, step.to]] : [])));
  const activeMessageGroupsNeeded = Math.ceil(
    (targetItemsPerSecond * secondsPerBatch(input)) / input.batchSize - 1e-9,
  );
  // The plan takes the groups as there: with `perRequest` ordering they are the requests waiting.
  const activeMessageGroups = Math.max(input.activeMessageGroups, activeMessageGroupsNeeded);
  return {
    factor,
    targetItemsPerSecond,
    steps,
    activeMessageGroupsNeeded,
    after: capacityModel({ ...input, ...raised, activeMessageGroups }),
  };
}

const formatted = (value: number, digits = 0): string =>
  value === Number.POSITIVE_INFINITY
    ? 'unbounded'
    : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const dollars = (value: number): string => `$${formatted(value, 2)}`;
const times = (value: number): string =>
  value === Number.POSITIVE_INFINITY ? 'unbounded' : `${formatted(value, 1)}x`;

function costText(cost: CostPerMillionItems): string {
  const parts = [
    ['API', cost.apiGateway],
    ['Lambda', cost.lambda],
    ['SNS', cost.sns],
    ['SQS', cost.sqs],
    ['S3', cost.s3],
    ['DynamoDB', cost.dynamoDb],
  ] as const;
  return `${dollars(cost.total)} = ${parts.map(([name, value]) => `${name} ${dollars(value)}`).join(' + ')}`;
}

const API_TYPE_NAMES: Record<ApiType, string> = { rest: 'REST API', http: 'HTTP API' };

/** The cost of each API type as rows of the bench's table: a REST row and an HTTP API row per size of POST. */
export function apiTypeCostRows(input: CapacityInput): string[][] {
  return apiTypeCosts(input).map(({ itemsPerPost, apiType, cost, ofRest }) => [
    'AWS model',
    `cost per 1M items, ${itemsPerPost} item${itemsPerPost === 1 ? '' : 's'}/POST, ${API_TYPE_NAMES[apiType]}`,
    `storage path and the dispatcher, ${subscriptionsOf(input)} subscriptions`,
    dollars(cost.total),
    `${costText(cost)}${apiType === 'rest' ? '' : `; ${formatted(ofRest, 3)}x the REST API's`}`,
  ]);
}

/**
 * The model as rows of the bench's table (benchmark, case, measure, value, side by side): the inputs,
 * the sustained rate and its binding limit, each limit's capacity and headroom, the dispatcher's size
 * quotas, the default consumers against the API throttle, and the plan for each factor.
 */
export function capacityModelRows(input: CapacityInput, factors: readonly number[] = [10, 100]): string[][] {
  const model = capacityModel(input);
  const sustained = model.sustainedItemsPerSecond;
  const capacityOf = (name: LimitName): number =>
    model.limits.find((limit) => limit.name === name)?.itemsPerSecond ?? Number.NaN;
  const throttle = capacityOf('API throttle');
  const row = (...cells: string[]): string[] => ['AWS model', ...cells];
  const againstThrottle = (name: LimitName): string[] => {
    const consumer = capacityOf(name);
    return row(
      `${name} vs API throttle`,
      'items/s; ratio',
      `${formatted(consumer)} vs ${formatted(throttle)}; ${formatted(consumer / throttle, 2)}x`,
      consumer < throttle
        ? `at full throttle its backlog grows by ${formatted(throttle - consumer)} items/s`
        : consumer === throttle
          ? 'keeps up with the throttle with no headroom'
          : 'keeps up with the throttle',
    );
  };
  const publishBatchBytes = Math.min(input.itemsPerPost, CHUNK_SIZE) * ENVELOPE_BYTES;
  return [
    row(
      'inputs',
      'per batch; per POST',
      `${formatted(input.batchInvocationMs)} ms + ${formatted(input.mappingOverheadMs)} ms mapping; ` +
        `${formatted(input.ingestInvocationMs)} ms ingest, ${formatted(input.itemsPerPost)} items`,
      `batchSize ${input.batchSize}, maxConcurrency ${input.maxConcurrency}, ` +
        `${formatted(input.activeMessageGroups)} active groups, throttle ${formatted(input.throttleRateLimit)} requests/s, ` +
        `${formatted(input.objectsPerItem, 2)} objects/item`,
    ),
    row(
      'sustained',
      'items/s; binding limit',
      `${formatted(sustained)}; ${model.binding}`,
      `${costText(model.costPerMillionItems)} per 1M items (storage and the dispatcher, ${subscriptionsOf(input)} subscriptions), ` +
        `+ ${dollars(model.analysisCostPerMillionItems.total)} per analysis; ` +
        `${dollars((sustained * 3600 * (model.costPerMillionItems.total + input.analyses * model.analysisCostPerMillionItems.total)) / 1e6)}/hour at this rate`,
    ),
    ...model.limits.map((limit) =>
      row(
        limit.name,
        'items/s; headroom',
        `${formatted(limit.itemsPerSecond)}; ${times(limit.headroom)}`,
        `uses ${formatted(limit.used, 1)} of ${formatted(limit.quota)} ${limit.unit}; raise: ${limit.remedy}`,
      ),
    ),
    row(
      'SNS FIFO sizes',
      'PublishBatch bytes; subscriptions',
      `${formatted(publishBatchBytes)} of ${formatted(AWS_QUOTAS.snsPublishBatch.value)}; ${subscriptionsOf(input)} of ${AWS_QUOTAS.snsFifoSubscriptionsPerTopic.value}`,
      `PublishBatch of ${Math.min(input.itemsPerPost, CHUNK_SIZE)} messages of ${ENVELOPE_BYTES} B (at most ${CHUNK_SIZE}); ` +
        `the item queue and ${input.analyses} analysis queue${input.analyses === 1 ? '' : 's'} (the configuration allows ${ANALYSIS_LIMITS.analysesPerDeployment.max} analyses)`,
    ),
    againstThrottle('batch consumer'),
    ...(input.analyses > 0 ? [againstThrottle('analysis consumer')] : []),
    ...factors.map((factor) => {
      const plan = scalingPlan(input, factor);
      const steps = plan.steps.map(
        (step) =>
          `${step.field ?? step.limit} ${formatted(step.from)} -> ${formatted(step.to)}${step.caveat ? ` (${step.caveat})` : ''}`,
      );
      // The tightest limit the plan leaves as it is: where the next growth runs into.
      const raised = new Set(plan.steps.map((step) => step.limit));
      const next = plan.after.limits.find((limit) => !raised.has(limit.name));
      return row(
        `${factor}x (${formatted(plan.targetItemsPerSecond)} items/s)`,
        'raise, in order',
        steps.join('; ') || 'nothing',
        `${formatted(plan.activeMessageGroupsNeeded)} active message groups needed; then ${formatted(plan.after.sustainedItemsPerSecond)} items/s, ` +
          `bound by ${plan.after.binding}${next ? `, next ${next.name} at ${times(next.headroom)}` : ''}; ` +
          `${dollars(plan.after.costPerMillionItems.total)} per 1M items`,
      );
    }),
  ];
}
