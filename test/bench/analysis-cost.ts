import {
  type CostPerMillionItems,
  costPerMillionItems,
  dispatcherUsagePerItem,
  SQS_REQUESTS_PER_BATCH_INVOCATION,
  SQS_REQUESTS_PER_DELIVERY,
  snsCostPerMillionItems,
  type UsagePerItem,
} from './cost-model';

/**
 * What the dispatcher and one analysis cost per million items: the topic from the requests' sizes, an
 * analysis from its DynamoDB units, invocations and objects as measured in process (analysis-units.ts)
 * and the AWS times assumed (capacity-model.ts). Pure: the tests feed it round figures.
 */

/** The targets, per million items at 4 items per POST. */
export const COST_TARGETS = {
  itemsPerPost: 4,
  topicPerMillionItems: 0.1,
  analysisPerMillionItems: 1.0,
} as const;

/** What the dispatcher costs per million items with `subscriptions` subscribed queues (storage and analyses). */
export const topicCostPerMillionItems = (itemsPerPost: number, subscriptions: number): number =>
  snsCostPerMillionItems(dispatcherUsagePerItem([itemsPerPost], subscriptions));

/** An analysis's own work, as the in-process run measures it. */
export interface AnalysisWork {
  /** Consumer invocations per item (batches of ANALYSIS_BATCH_SIZE records). */
  readonly invocationsPerItem: number;
  /** The consumer's pane-row writes, and its reads (none in the design: its updates answer with the row). */
  readonly consumerWriteUnitsPerItem: number;
  readonly consumerReadUnitsPerItem: number;
  /** The closer's reads (watermark, panes, window rows) and writes (final row, watermark) per window it writes. */
  readonly closerWriteUnitsPerWindow: number;
  readonly closerReadUnitsPerWindow: number;
  /** S3 PUTs per window written: one for a window holding items. */
  readonly objectsPerWindow: number;
}

export interface AnalysisCostInput extends AnalysisWork {
  /** The stream's rate: windows and closer runs are per unit of time, so per item they depend on it. */
  readonly itemsPerSecond: number;
  /** One window starts every advanceSeconds. */
  readonly advanceSeconds: number;
  readonly closerIntervalSeconds: number;
  readonly invocationMs: number;
  readonly closerInvocationMs: number;
  readonly memoryMb: number;
}

/**
 * Requests per item of one analysis: its queue's SQS requests (SNS's delivery, the mapping's receive
 * and delete per batch), its consumer's and the closer's invocations (the closer's whole run charged to
 * it: one analysis is registered by default), the windows table's units and the final windows' PUTs.
 */
export function analysisUsagePerItem(input: AnalysisCostInput): UsagePerItem {
  const windowsPerItem = 1 / (input.itemsPerSecond * input.advanceSeconds);
  const closerRunsPerItem = 1 / (input.itemsPerSecond * input.closerIntervalSeconds);
  const gbSeconds = (ms: number): number => (ms / 1000) * (input.memoryMb / 1024);
  return {
    apiRequests: 0,
    lambdaInvocations: input.invocationsPerItem + closerRunsPerItem,
    lambdaGbSeconds:
      input.invocationsPerItem * gbSeconds(input.invocationMs) +
      closerRunsPerItem * gbSeconds(input.closerInvocationMs),
    sqsRequests: SQS_REQUESTS_PER_DELIVERY + SQS_REQUESTS_PER_BATCH_INVOCATION * input.invocationsPerItem,
    s3Puts: input.objectsPerWindow * windowsPerItem,
    dynamoDbWriteUnits: input.consumerWriteUnitsPerItem + input.closerWriteUnitsPerWindow * windowsPerItem,
    dynamoDbReadUnits: input.consumerReadUnitsPerItem + input.closerReadUnitsPerWindow * windowsPerItem,
  };
}

export const analysisCostPerMillionItems = (input: AnalysisCostInput): CostPerMillionItems =>
  costPerMillionItems(analysisUsagePerItem(input));
