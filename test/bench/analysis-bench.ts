import { DEFAULT_ANALYSES } from '../../lambdas/domain/analyses';
import { CLOSER_INTERVAL_MINUTES } from '../../lambdas/domain/windows';
import { analysisCostPerMillionItems, COST_TARGETS, topicCostPerMillionItems } from './analysis-cost';
import { type AnalysisUnits, measureAnalysisUnits } from './analysis-units';
import { ASSUMED_AWS_TIMES, DEFAULT_CAPACITY_INPUT, subscriptionsOf } from './capacity-model';
import { type CostPerMillionItems, dispatcherUsagePerItem, snsCostPerMillionItems } from './cost-model';
import { dollars, fixed, type Row } from './format';
import type { Progress } from './measure';

/**
 * The dispatcher's and one analysis's cost per million items at 1, 4 and 100 items per POST, and the
 * analysis's DynamoDB units per item and per window, measured in process (analysis-units.ts), against
 * the targets (analysis-cost.ts).
 */

const ITEMS_PER_POST = [1, 4, 100];

export interface DispatcherCost {
  readonly itemsPerPost: number;
  readonly subscriptions: number;
  readonly total: number;
  readonly publish: number;
  readonly deliveries: number;
  /** Were every message of a PublishBatch billed as a request of its own (AWS: a batch is one request). */
  readonly ifBilledPerMessage: number;
}

export interface AnalysisCostRun {
  readonly units: AnalysisUnits;
  readonly topic: DispatcherCost;
  readonly analysis: CostPerMillionItems;
}

function dispatcherCost(itemsPerPost: number, subscriptions: number): DispatcherCost {
  const usage = dispatcherUsagePerItem([itemsPerPost], subscriptions);
  const publish = snsCostPerMillionItems({ ...usage, deliveries: 0, deliveredGb: 0 });
  const total = topicCostPerMillionItems(itemsPerPost, subscriptions);
  return {
    itemsPerPost,
    subscriptions,
    total,
    publish,
    deliveries: total - publish,
    ifBilledPerMessage: snsCostPerMillionItems({ ...usage, publishRequests: 1 }),
  };
}

const callsText = (calls: Record<string, number>): string =>
  Object.entries(calls)
    .map(([name, n]) => `${name.replace(/Command$/, '')} ${fixed(n, 2)}`)
    .join(', ');

const verdict = (itemsPerPost: number, cost: number, target: number): string =>
  itemsPerPost === COST_TARGETS.itemsPerPost
    ? `target <= ${dollars(target)}: ${cost <= target ? 'met' : 'NOT met'}`
    : `(the target is for ${COST_TARGETS.itemsPerPost} items/POST)`;

export async function benchAnalysisCosts(
  onProgress: Progress,
): Promise<{ runs: AnalysisCostRun[]; rows: Row[] }> {
  const input = DEFAULT_CAPACITY_INPUT;
  // What the default throttle admits at 4 items per POST: windows and closer runs are per second.
  const itemsPerSecond = input.throttleRateLimit * COST_TARGETS.itemsPerPost;
  const subscriptions = subscriptionsOf(input);
  const analysis = DEFAULT_ANALYSES[0];
  if (analysis === undefined) throw new Error('No default analysis to measure');
  const runs: AnalysisCostRun[] = [];
  for (const itemsPerPost of ITEMS_PER_POST) {
    onProgress(
      `analysis: ${analysis.name}'s DynamoDB units at ${itemsPerPost} items/POST, ${itemsPerSecond} items/s`,
    );
    const units = await measureAnalysisUnits(itemsPerPost, itemsPerSecond, analysis);
    runs.push({
      units,
      topic: dispatcherCost(itemsPerPost, subscriptions),
      analysis: analysisCostPerMillionItems({
        ...units,
        itemsPerSecond,
        advanceSeconds: analysis.advanceSeconds,
        closerIntervalSeconds: CLOSER_INTERVAL_MINUTES * 60,
        invocationMs: ASSUMED_AWS_TIMES.analysisInvocationMs,
        closerInvocationMs: ASSUMED_AWS_TIMES.closerInvocationMs,
        memoryMb: input.memoryMb,
      }),
    });
  }
  const rows = runs.flatMap(({ units, topic, analysis: cost }): Row[] => [
    [
      'analysis, in process',
      `${units.analysis}, ${units.itemsPerRequest} item${units.itemsPerRequest === 1 ? '' : 's'}/POST, ${fixed(units.itemsPerSecond)} items/s`,
      'write units per item; per window (write, read)',
      `${fixed(units.consumerWriteUnitsPerItem, 3)}; ${fixed(units.closerWriteUnitsPerWindow, 2)}, ${fixed(units.closerReadUnitsPerWindow, 1)}`,
      `consumer per item: ${callsText(units.consumerCallsPerItem)}, ${fixed(units.invocationsPerItem, 2)} invocations; ` +
        `closer per window: ${callsText(units.closerCallsPerWindow)}, ${fixed(units.objectsPerWindow, 2)} PUTs ` +
        `(${units.steadyWindows} full windows); largest row ${fixed(units.largestRowBytes)} B; ${fixed(units.items)} items`,
    ],
    [
      'cost per 1M items',
      `dispatcher (SNS FIFO), ${topic.itemsPerPost} item${topic.itemsPerPost === 1 ? '' : 's'}/POST, ${topic.subscriptions} subscriptions`,
      'publish + deliveries',
      `${dollars(topic.total)} = ${dollars(topic.publish)} + ${dollars(topic.deliveries)}`,
      `${verdict(topic.itemsPerPost, topic.total, COST_TARGETS.topicPerMillionItems)}; ` +
        `each more analysis +${dollars(topic.deliveries / topic.subscriptions)}; ` +
        `${dollars(topic.ifBilledPerMessage)} were each message of a PublishBatch billed as a request`,
    ],
    [
      'cost per 1M items',
      `one analysis, ${units.itemsPerRequest} item${units.itemsPerRequest === 1 ? '' : 's'}/POST, ${fixed(units.itemsPerSecond)} items/s`,
      'SQS + Lambda + DynamoDB + S3',
      `${dollars(cost.total)} = ${dollars(cost.sqs)} + ${dollars(cost.lambda)} + ${dollars(cost.dynamoDb)} + ${dollars(cost.s3)}`,
      `${verdict(units.itemsPerRequest, cost.total, COST_TARGETS.analysisPerMillionItems)}; ` +
        `SQS: SNS's delivery and the mapping's receive and delete; Lambda at ${ASSUMED_AWS_TIMES.analysisInvocationMs} ms per batch (assumed)`,
    ],
  ]);
  return { runs, rows };
}
