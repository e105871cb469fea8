import type { Deployment } from '../../cdk/ops/deployment';
import { median } from '../../cdk/ops/stats';
import type { ItemMix } from '../harness/load-run';
import { costPerMillionItems, type FunctionCounts, ledgerUnitsPerItem, usagePerItem } from './cost-model';
import {
  type ConsumerRun,
  consumerFunctionName,
  type PipelineRun,
  type PipelineRunOptions,
  type QueueConsumer,
  type QueueFeedOptions,
  type RawFifoRun,
  rawFifoThroughput,
  runConsumer,
  runPipeline,
  warmConsumer,
  warmPipeline,
} from './end-to-end';
import { dollars, fixed, increase, listed, msText, type Row } from './format';
import {
  createFreshQueue,
  deleteFreshQueue,
  type FreshQueue,
  pointIngestAt,
  readStackConsumer,
  restoreIngest,
  setMappingEnabled,
} from './fresh-queues';
import { createReferenceConsumers, deleteReferenceConsumers } from './reference-consumers';
import { type RatesAroundSends, ratioToBaseline, rotated } from './round-summary';

/**
 * The end-to-end benchmark on a deployed stack: the batch path and the full path side by side with
 * reference consumers on the same emulator, alternated in rounds, every run on a fresh queue; two
 * runs that isolate the producer's pace; latency at a sustainable rate; the runs the cost table needs.
 */

export interface EndToEndOptions {
  readonly items: number;
  readonly mix: ItemMix;
  readonly rounds: number;
}

const MAIN = { itemsPerRequest: 4, streams: 4 };
const COST_ITEMS_PER_REQUEST = [1, 100];
// The 1-stream run of earlier benches is left out: the bench must stay under 5 minutes on 2 cores.
const SCALING_STREAMS: number[] = [];
/** The paced latency run offers this share of the full path's measured throughput. */
const SUSTAINABLE_SHARE = 0.5;

type QueueVariant = 'oneLine' | 'onePut' | 'onePutLedger' | 'batchPath';
type Variant = QueueVariant | 'fullPath' | 'raw';
const VARIANTS: readonly Variant[] = ['oneLine', 'onePut', 'onePutLedger', 'batchPath', 'fullPath', 'raw'];
const CONSUMER_OF: Record<QueueVariant, QueueConsumer> = {
  oneLine: 'oneLine',
  onePut: 'onePut',
  onePutLedger: 'onePutLedger',
  batchPath: 'batchFunction',
};

interface Round {
  readonly round: number;
  readonly order: Variant[];
  readonly runs: Partial<Record<QueueVariant, ConsumerRun>> & { fullPath?: PipelineRun; raw?: RawFifoRun };
}

const rateOf = (runs: Round['runs'], variant: Variant): number => {
  if (variant === 'fullPath') return runs.fullPath?.itemsPerSecond ?? Number.NaN;
  if (variant === 'raw') return runs.raw?.messagesPerSecond ?? Number.NaN;
  return runs[variant]?.itemsPerSecond ?? Number.NaN;
};

const runLabel = (run: PipelineRunOptions): string =>
  `${run.itemsPerRequest} item${run.itemsPerRequest === 1 ? '' : 's'}/POST, ${run.streams} stream${run.streams === 1 ? '' : 's'}`;

const percentilesText = (p: { p50?: number; p95?: number; p99?: number }): string =>
  `${msText(p.p50)}/${msText(p.p95)}/${msText(p.p99)}`;

const medianOf = (values: readonly (number | undefined)[]): number | undefined =>
  median(values.filter((value): value is number => value !== undefined));

/** The consumer's pace while the producer sends and after (medians over runs). */
const paceText = (rates: readonly RatesAroundSends[]): string =>
  `consumer ${fixed(medianOf(rates.map((rate) => rate.duringSends)))} items/s while sends go on, ${fixed(medianOf(rates.map((rate) => rate.afterSends)))} after`;

const perInvocationText = (counts: readonly FunctionCounts[]): string =>
  `${fixed(medianOf(counts.map((count) => count.billedMs / count.invocations)), 1)} ms/invocation`;

export async function benchEndToEnd(
  deployment: Deployment,
  options: EndToEndOptions,
  log: (message: string) => void,
) {
  const { items, mix } = options;
  // Runs beside the rounds send half as many items: they need the rate or the counts per item, and
  // the whole benchmark has to stay within a few minutes.
  const sideItems = Math.round(items / 2);
  const consumer = await readStackConsumer(deployment);

  const onFreshQueue = async <T>(
    name: string,
    functionName: string,
    body: (queue: FreshQueue) => Promise<T>,
  ): Promise<T> => {
    const queue = await createFreshQueue(deployment, consumer, `bench-${name}-${Date.now()}`, functionName);
    try {
      return await body(queue);
    } finally {
      await deleteFreshQueue(deployment, queue);
    }
  };
  const consumerRun = (variant: QueueVariant, feed: Omit<QueueFeedOptions, 'itemsPerRequest' | 'mix'>) => {
    const target = CONSUMER_OF[variant];
    return onFreshQueue(variant, consumerFunctionName(deployment, target), async (queue) => {
      await warmConsumer(deployment, consumer, queue, target);
      return runConsumer(deployment, consumer, queue, target, {
        ...feed,
        itemsPerRequest: MAIN.itemsPerRequest,
        mix,
      });
    });
  };
  // The ingest function sends to the fresh queue; a configuration change restarts its workers.
  const fullPath = (name: string, run: PipelineRunOptions) =>
    onFreshQueue(name, deployment.batchFunctionName, async (queue) => {
      await pointIngestAt(deployment, queue.topicArn);
      await warmPipeline(deployment, run.streams, queue.url);
      return runPipeline(deployment, run, queue.url);
    });

  try {
    log('reference consumers: bundling and creating them beside the batch function');
    await createReferenceConsumers(deployment, consumer.batchFunction);
    // Every run uses a fresh queue: the stack's own mapping rests until the end.
    await setMappingEnabled(deployment, consumer.stackMappingId, false);
    const rounds: Round[] = [];
    for (let round = 0; round < options.rounds; round += 1) {
      const order = rotated(VARIANTS, round);
      const runs: Round['runs'] = {};
      const seed = round + 1;
      const label = `round ${round + 1}/${options.rounds}`;
      for (const variant of order) {
        log(`${label}: ${variant}, ${items} items on a fresh queue`);
        if (variant === 'fullPath') {
          runs.fullPath = await fullPath(`full-${round}`, { items, ...MAIN, mix, seed });
        } else if (variant === 'raw') {
          runs.raw = await rawFifoThroughput(deployment, items, MAIN.streams, consumer.queueAttributes);
        } else {
          runs[variant] = await consumerRun(variant, { items, seed });
        }
        log(`${label}: ${variant}: ${fixed(rateOf(runs, variant))} items/s`);
      }
      rounds.push({ round: round + 1, order, runs });
    }
    const ratesOf = (variant: Variant) => rounds.map((round) => rateOf(round.runs, variant));
    const medianRate = (variant: Variant) => median(ratesOf(variant)) ?? Number.NaN;
    const consumerRuns = (variant: QueueVariant) => rounds.flatMap(({ runs }) => runs[variant] ?? []);
    const fullRuns = rounds.flatMap(({ runs }) => runs.fullPath ?? []);
    const batchRatio = ratioToBaseline(ratesOf('batchPath'), ratesOf('onePut'));
    const batchToLedgerFloor = ratioToBaseline(ratesOf('batchPath'), ratesOf('onePutLedger'));
    const fullRatio = ratioToBaseline(ratesOf('fullPath'), ratesOf('onePut'));
    // The round with the median full-path throughput stands for it in the latency and cost rows.
    const main = fullRuns.find((run) => run.itemsPerSecond === medianRate('fullPath'));
    if (!main) throw new Error('No full-path round ran');

    // The full path's producer (POSTs) sends for longer than one SQS sender, one call per request,
    // and the emulator's poller slows while sends go on: the same consumers fed like that, by one
    // SQS sender, separate the producer's pace from what the ingest side costs.
    const fullSendSeconds = medianOf(fullRuns.map((run) => run.sendSeconds)) ?? 0;
    const fullPostsPerSecond = items / MAIN.itemsPerRequest / fullSendSeconds;
    const likeFullPath = {
      items: sideItems,
      sendOverSeconds: sideItems / MAIN.itemsPerRequest / fullPostsPerSecond,
      sendPerRequest: true,
      seed: 5,
    };
    log(
      `isolating: one-PUT reference and batch path, ${sideItems} items fed one send per request at ${fixed(fullPostsPerSecond)} requests/s`,
    );
    const pacedOnePut = await consumerRun('onePut', likeFullPath);
    const pacedBatch = await consumerRun('batchPath', likeFullPath);

    const offeredItemsPerSecond = SUSTAINABLE_SHARE * medianRate('fullPath');
    log(
      `latency: ${sideItems} items paced at ${fixed(offeredItemsPerSecond)} items/s (half the full path's)`,
    );
    const paced = await fullPath('paced', {
      items: sideItems,
      ...MAIN,
      mix,
      seed: 4,
      rate: offeredItemsPerSecond / MAIN.itemsPerRequest,
    });

    const runs: PipelineRun[] = [main];
    for (const itemsPerRequest of COST_ITEMS_PER_REQUEST) {
      log(`run: ${sideItems} items, ${itemsPerRequest} items/POST, ${MAIN.streams} streams`);
      runs.push(
        await fullPath(`cost-${itemsPerRequest}`, {
          items: sideItems,
          itemsPerRequest,
          streams: MAIN.streams,
          mix,
          seed: 2,
        }),
      );
    }
    for (const streams of SCALING_STREAMS) {
      log(`run: ${sideItems} items, ${MAIN.itemsPerRequest} items/POST, ${streams} stream(s)`);
      runs.push(
        await fullPath(`streams-${streams}`, {
          items: sideItems,
          itemsPerRequest: MAIN.itemsPerRequest,
          streams,
          mix,
          seed: 3,
        }),
      );
    }
    const costed = runs.map((run) => {
      const base = usagePerItem({ ...run, via: 'topic', items: run.storedItems });
      // The ledger's writes follow from the run: an entry per request, an update per object holding it.
      const requests = run.requestSizes.map((items, index) => ({
        items,
        objects: run.objectsPerRequest[index] ?? 0,
      }));
      const usage = { ...base, ...ledgerUnitsPerItem({ requests, idempotencyKeys: false }) };
      const keyed = { ...base, ...ledgerUnitsPerItem({ requests, idempotencyKeys: true }) };
      return {
        run,
        usage,
        cost: costPerMillionItems(usage),
        withoutLedger: costPerMillionItems(base),
        withKeys: costPerMillionItems(keyed),
      };
    });

    const fresh = `median of ${options.rounds}, fresh queue each round`;
    const roundsText = (variant: Variant) => `rounds ${listed(ratesOf(variant))}`;
    const consumerText = (variant: QueueVariant) => {
      const runsOf = consumerRuns(variant);
      return `${paceText(runsOf.map((run) => run.consumption))}; ${perInvocationText(runsOf.map((run) => run.counts))}`;
    };
    const rows: Row[] = [
      [
        'end to end',
        'reference consumer: one log line',
        `items/s, ${fresh}`,
        fixed(medianRate('oneLine')),
        `${roundsText('oneLine')}; ${consumerText('oneLine')}`,
      ],
      [
        'end to end',
        'reference consumer: one line + one S3 PUT',
        `items/s, ${fresh}`,
        fixed(medianRate('onePut')),
        `${roundsText('onePut')}; ${consumerText('onePut')}; the ratios' baseline`,
      ],
      [
        'end to end',
        "reference consumer: one line + one S3 PUT + the ledger's updates",
        `items/s, ${fresh}`,
        fixed(medianRate('onePutLedger')),
        `${roundsText('onePutLedger')}; ${consumerText('onePutLedger')}; ` +
          `batch path ${fixed(batchToLedgerFloor.median, 2)}x this (ratios ${listed(batchToLedgerFloor.perRound, 2)})`,
      ],
      [
        'end to end',
        'batch path: SQS -> batch function -> S3',
        `items/s; x one-PUT reference, ${fresh}`,
        `${fixed(medianRate('batchPath'))}; ${fixed(batchRatio.median, 2)}x`,
        `${roundsText('batchPath')}; ratios ${listed(batchRatio.perRound, 2)}; ${consumerText('batchPath')}`,
      ],
      [
        'end to end',
        `full path: ${runLabel(main)}`,
        `items/s; x one-PUT reference, ${fresh}`,
        `${fixed(medianRate('fullPath'))}; ${fixed(fullRatio.median, 2)}x`,
        `${roundsText('fullPath')}; ratios ${listed(fullRatio.perRound, 2)}; ${fixed(fullSendSeconds, 1)} s of POSTs; ${paceText(fullRuns.map((run) => run.consumption))}; ${perInvocationText(fullRuns.map((run) => run.batch))}`,
      ],
      [
        'isolating',
        `one-PUT reference, fed like the full path: one send per request, ${fixed(fullPostsPerSecond)}/s`,
        'items/s; full path x this',
        `${fixed(pacedOnePut.itemsPerSecond)}; ${fixed(medianRate('fullPath') / pacedOnePut.itemsPerSecond, 2)}x`,
        `one run; ${fixed(pacedOnePut.itemsPerSecond / medianRate('onePut'), 2)}x the one-PUT reference fed by one fast sender; ${paceText([pacedOnePut.consumption])}`,
      ],
      [
        'isolating',
        'batch path, fed likewise (no API Gateway, no ingest function)',
        'items/s; full path x this',
        `${fixed(pacedBatch.itemsPerSecond)}; ${fixed(medianRate('fullPath') / pacedBatch.itemsPerSecond, 2)}x`,
        `one run; ${fixed(pacedBatch.itemsPerSecond / pacedOnePut.itemsPerSecond, 2)}x the one-PUT reference fed likewise; ${paceText([pacedBatch.consumption])}`,
      ],
      [
        'raw SQS FIFO',
        `${items} messages, batches of 10, no Lambda`,
        `messages/s (send, receive, delete), ${fresh}`,
        fixed(medianRate('raw')),
        `${roundsText('raw')}; a reference row, not a baseline`,
      ],
      [
        'latency',
        `full path, ${runLabel(main)}, saturated (median round)`,
        'POST to S3 p50/p95/p99',
        percentilesText(main.postToS3Ms),
        `request p50/p95 ${msText(main.requestMs.p50)}/${msText(main.requestMs.p95)}`,
      ],
      [
        'latency',
        `full path paced at ${fixed(offeredItemsPerSecond)} items/s (50%)`,
        'POST to S3 p50/p95/p99',
        percentilesText(paced.postToS3Ms),
        `${fixed(paced.storedItems)} items, ${fixed(paced.itemsPerSecond)} items/s stored; request p50/p95 ${msText(paced.requestMs.p50)}/${msText(paced.requestMs.p95)}`,
      ],
      ...costed
        .filter(({ run }) => run.streams === MAIN.streams)
        .sort((a, b) => a.run.itemsPerRequest - b.run.itemsPerRequest)
        .map(
          ({ run, usage, cost, withoutLedger, withKeys }): Row => [
            'cost per 1M items',
            `${runLabel(run)}, ${fixed(run.items)} items`,
            'API, Lambda, SQS, S3 requests; ledger write units, per item',
            `${fixed(usage.apiRequests, 2)}, ${fixed(usage.lambdaInvocations, 2)}, ${fixed(usage.sqsRequests, 2)}, ${fixed(usage.s3Puts, 2)}; ${fixed(usage.dynamoDbWriteUnits, 2)}`,
            `${dollars(cost.total)} = API ${dollars(cost.apiGateway)} + Lambda ${dollars(cost.lambda)} + SQS ${dollars(cost.sqs)} + S3 ${dollars(cost.s3)} + DynamoDB ${dollars(cost.dynamoDb)}; ` +
              `without the ledger ${dollars(withoutLedger.total)} (ledger ${increase(cost.total, withoutLedger.total)}); ` +
              `with Idempotency-Keys ${dollars(withKeys.total)} (${increase(withKeys.total, withoutLedger.total)})`,
          ],
        ),
      ...costed
        .filter(({ run }) => run.itemsPerRequest === MAIN.itemsPerRequest)
        .sort((a, b) => a.run.streams - b.run.streams)
        .map(
          ({ run, cost, usage }): Row => [
            'scaling',
            `${runLabel(run)}, ${fixed(run.items)} items`,
            'items/s; POST to S3 p50/p95',
            `${fixed(run.itemsPerSecond)}; ${msText(run.postToS3Ms.p50)}/${msText(run.postToS3Ms.p95)}`,
            `${dollars(cost.total)} per 1M items; ${fixed(usage.s3Puts, 2)} PUTs/item; ${fixed(run.batch.invocations)} batch invocations`,
          ],
        ),
    ];
    return {
      results: {
        endpoint: deployment.endpoint,
        copiedFromStack: { queueAttributes: consumer.queueAttributes, mapping: consumer.mapping },
        rounds,
        medians: Object.fromEntries(VARIANTS.map((variant) => [variant, medianRate(variant)])),
        ratiosToOnePutReference: { batchPath: batchRatio, fullPath: fullRatio },
        batchPathToLedgerReference: batchToLedgerFloor,
        isolating: { fullPostsPerSecond, onePut: pacedOnePut, batchPath: pacedBatch },
        paced: { offeredItemsPerSecond, run: paced },
        runs: costed,
      },
      rows,
    };
  } finally {
    // The stack as deployed: the ingest function on its own queue, its mapping enabled.
    await restoreIngest(deployment, consumer);
    await setMappingEnabled(deployment, consumer.stackMappingId, true);
    await deleteReferenceConsumers(deployment);
  }
}
