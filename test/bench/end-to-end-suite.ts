import type { Deployment } from '../../cdk/ops/deployment';
import { median } from '../../cdk/ops/stats';
import type { ItemMix } from '../harness/load-run';
import { setFunctionVariable } from '../support/function-variables';
import { costPerMillionItems, type FunctionCounts, ledgerUnitsPerItem, usagePerItem } from './cost-model';
import { DIRECT_QUEUE_VARIABLE } from './direct-ingest/sns-to-sqs';
import {
  type ConsumerRun,
  consumerFunctionName,
  drained,
  invocationsSince,
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
  addFreshSubscriber,
  createFreshQueue,
  deleteFreshQueue,
  deleteMappedQueue,
  type FreshQueue,
  pointIngestAt,
  readStackAnalysis,
  readStackConsumer,
  restoreIngest,
  setMappingEnabled,
} from './fresh-queues';
import { deployIngestCode, type IngestVia, ingestPackages } from './ingest-code';
import { createReferenceConsumers, deleteReferenceConsumers } from './reference-consumers';
import { type RatesAroundSends, type RatioSummary, ratioToBaseline, rotated } from './round-summary';

/**
 * The end-to-end benchmark on a deployed stack: the batch path and the full path side by side with
 * reference consumers on the same emulator, alternated in rounds, every run on a fresh queue; the full
 * path before the dispatcher (ingest sending straight to the item queue), after it (through a FIFO
 * topic), and after it with the default analysis subscribed too; two runs that isolate the producer's
 * pace; latency at a sustainable rate before and after, alternated; the runs the cost table needs.
 */

export interface EndToEndOptions {
  readonly items: number;
  readonly mix: ItemMix;
  readonly rounds: number;
}

const MAIN = { itemsPerRequest: 4, streams: 4 };
const COST_ITEMS_PER_REQUEST = [1, 100];
/** The paced latency run offers this share of the full path's measured throughput. */
const SUSTAINABLE_SHARE = 0.5;

type QueueVariant = 'oneLine' | 'onePut' | 'onePutLedger' | 'batchPath';
type FullVariant = 'fullPathBefore' | 'fullPath' | 'fullPathAnalysis';
type Variant = QueueVariant | FullVariant | 'raw';
const VARIANTS: readonly Variant[] = [
  'oneLine',
  'onePut',
  'onePutLedger',
  'batchPath',
  'fullPathBefore',
  'fullPath',
  'fullPathAnalysis',
  'raw',
];
const FULL_PATHS: Record<
  FullVariant,
  { readonly via: IngestVia; readonly analysis: boolean; readonly label: string }
> = {
  fullPathBefore: { via: 'queue', analysis: false, label: 'before: ingest -> SQS (SendMessageBatch)' },
  fullPath: { via: 'topic', analysis: false, label: 'after: ingest -> SNS FIFO -> SQS' },
  fullPathAnalysis: {
    via: 'topic',
    analysis: true,
    label: 'after, the default analysis subscribed too',
  },
};
/** The paced latency runs, before and after the dispatcher, alternated round by round. */
type PacedVariant = Extract<FullVariant, 'fullPathBefore' | 'fullPath'>;
const PACED_VARIANTS: readonly PacedVariant[] = ['fullPathBefore', 'fullPath'];
const isFullPath = (variant: Variant): variant is FullVariant => variant in FULL_PATHS;

/** What the default analysis did beside a full-path run (its queue drained after the run, untimed). */
interface AnalysisSide {
  readonly counts: FunctionCounts;
  readonly itemsPerInvocation: number;
  readonly drainSeconds: number;
}
type FullPathRun = PipelineRun & { readonly analysis?: AnalysisSide };
const CONSUMER_OF: Record<QueueVariant, QueueConsumer> = {
  oneLine: 'oneLine',
  onePut: 'onePut',
  onePutLedger: 'onePutLedger',
  batchPath: 'batchFunction',
};

interface Round {
  readonly round: number;
  readonly order: Variant[];
  readonly runs: Partial<Record<QueueVariant, ConsumerRun>> &
    Partial<Record<FullVariant, FullPathRun>> & { raw?: RawFifoRun };
}

const rateOf = (runs: Round['runs'], variant: Variant): number => {
  if (variant === 'raw') return runs.raw?.messagesPerSecond ?? Number.NaN;
  return runs[variant]?.itemsPerSecond ?? Number.NaN;
};

const runLabel = (run: PipelineRunOptions): string =>
  `${run.itemsPerRequest} item${run.itemsPerRequest === 1 ? '' : 's'}/POST, ${run.streams} stream${run.streams === 1 ? '' : 's'}`;

const percentilesText = (p: { p50?: number; p95?: number; p99?: number }): string =>
  `${msText(p.p50)}/${msText(p.p95)}/${msText(p.p99)}`;

const medianOf = (values: readonly (number | undefined)[]): number | undefined =>
  median(values.filter((value): value is number => value !== undefined));

/** Each percentile's median over runs. */
const medianPercentiles = (runs: readonly PipelineRun[]) => ({
  p50: medianOf(runs.map((run) => run.postToS3Ms.p50)),
  p95: medianOf(runs.map((run) => run.postToS3Ms.p95)),
  p99: medianOf(runs.map((run) => run.postToS3Ms.p99)),
});

/** Round by round, one run's POST-to-S3 p50 over another's. */
const p50Ratio = (subject: readonly PipelineRun[], baseline: readonly PipelineRun[]): RatioSummary =>
  ratioToBaseline(
    subject.map((run) => run.postToS3Ms.p50 ?? Number.NaN),
    baseline.map((run) => run.postToS3Ms.p50 ?? Number.NaN),
  );

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
  const stackAnalysis = await readStackAnalysis(deployment);
  const ingestCode = await ingestPackages();
  let deployedVia: IngestVia = 'topic';
  // The ingest function sends to the fresh queue, through its topic or straight; a configuration or
  // code change restarts its workers.
  const useIngest = async (via: IngestVia, queue: FreshQueue): Promise<void> => {
    if (deployedVia !== via) {
      await deployIngestCode(deployment, ingestCode[via]);
      deployedVia = via;
    }
    await pointIngestAt(deployment, queue.topicArn);
    if (via === 'queue') {
      await setFunctionVariable(deployment, deployment.ingestFunctionName, DIRECT_QUEUE_VARIABLE, queue.url);
    }
  };
  const fullPath = (name: string, variant: FullVariant, run: Omit<PipelineRunOptions, 'via'>) =>
    onFreshQueue(name, deployment.batchFunctionName, async (queue): Promise<FullPathRun> => {
      const { via, analysis } = FULL_PATHS[variant];
      await useIngest(via, queue);
      const analysisQueue = analysis
        ? await addFreshSubscriber(
            deployment,
            queue,
            stackAnalysis,
            `bench-${name}-analysis-${Date.now()}`,
            stackAnalysis.functionName,
          )
        : undefined;
      try {
        await warmPipeline(deployment, run.streams, [
          queue.url,
          ...(analysisQueue ? [analysisQueue.url] : []),
        ]);
        const since = Date.now();
        const result = await runPipeline(deployment, { ...run, via }, queue.url);
        if (analysisQueue === undefined) return result;
        // Drained before the next run starts, so that its work stays within this one.
        const drainSeconds = await drained(deployment, analysisQueue.url);
        const counts = await invocationsSince(deployment, stackAnalysis.functionName, since, 1);
        return {
          ...result,
          analysis: { counts, itemsPerInvocation: result.acceptedItems / counts.invocations, drainSeconds },
        };
      } finally {
        if (analysisQueue) await deleteMappedQueue(deployment, analysisQueue);
      }
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
        if (isFullPath(variant)) {
          runs[variant] = await fullPath(`${variant}-${round}`, variant, { items, ...MAIN, mix, seed });
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
    const fullRunsOf = (variant: FullVariant) => rounds.flatMap(({ runs }) => runs[variant] ?? []);
    const fullRuns = fullRunsOf('fullPath');
    const batchRatio = ratioToBaseline(ratesOf('batchPath'), ratesOf('onePut'));
    const batchToLedgerFloor = ratioToBaseline(ratesOf('batchPath'), ratesOf('onePutLedger'));
    const fullRatios = {
      fullPathBefore: ratioToBaseline(ratesOf('fullPathBefore'), ratesOf('onePut')),
      fullPath: ratioToBaseline(ratesOf('fullPath'), ratesOf('onePut')),
      fullPathAnalysis: ratioToBaseline(ratesOf('fullPathAnalysis'), ratesOf('onePut')),
    } satisfies Record<FullVariant, RatioSummary>;
    const afterToBefore = ratioToBaseline(ratesOf('fullPath'), ratesOf('fullPathBefore'));
    const analysisToAfter = ratioToBaseline(ratesOf('fullPathAnalysis'), ratesOf('fullPath'));
    // The round with the median throughput stands for each full path in the latency and cost rows.
    const medianRun = (variant: FullVariant): FullPathRun => {
      const run = fullRunsOf(variant).find((candidate) => candidate.itemsPerSecond === medianRate(variant));
      if (!run) throw new Error(`No ${variant} round ran`);
      return run;
    };
    const main = medianRun('fullPath');
    const before = medianRun('fullPathBefore');

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
    const pacedItems = Math.round(items / 4);
    const paced: Record<PacedVariant, PipelineRun[]> = { fullPathBefore: [], fullPath: [] };
    for (let round = 0; round < options.rounds; round += 1) {
      for (const variant of rotated(PACED_VARIANTS, round)) {
        log(
          `latency, round ${round + 1}/${options.rounds}: ${variant}, ${pacedItems} items paced at ${fixed(offeredItemsPerSecond)} items/s (half the full path's)`,
        );
        paced[variant].push(
          await fullPath(`paced-${variant}-${round}`, variant, {
            items: pacedItems,
            ...MAIN,
            mix,
            seed: 4,
            rate: offeredItemsPerSecond / MAIN.itemsPerRequest,
          }),
        );
      }
    }
    const pacedRatio = p50Ratio(paced.fullPath, paced.fullPathBefore);

    const runs: PipelineRun[] = [before, main];
    for (const itemsPerRequest of COST_ITEMS_PER_REQUEST) {
      log(`run: ${sideItems} items, ${itemsPerRequest} items/POST, ${MAIN.streams} streams`);
      runs.push(
        await fullPath(`cost-${itemsPerRequest}`, 'fullPath', {
          items: sideItems,
          itemsPerRequest,
          streams: MAIN.streams,
          mix,
          seed: 2,
        }),
      );
    }
    const costed = runs.map((run) => {
      const base = usagePerItem({ ...run, items: run.storedItems });
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
        // The bench's bodies are far below an HTTP API's 512 KB metering step: one billed request per POST.
        onHttpApi: costPerMillionItems({ ...usage, apiType: 'http' }),
      };
    });

    const fresh = `median of ${options.rounds}, fresh queue each round`;
    const roundsText = (variant: Variant) => `rounds ${listed(ratesOf(variant))}`;
    const consumerText = (variant: QueueVariant) => {
      const runsOf = consumerRuns(variant);
      return `${paceText(runsOf.map((run) => run.consumption))}; ${perInvocationText(runsOf.map((run) => run.counts))}`;
    };
    const analysisRuns = fullRunsOf('fullPathAnalysis').flatMap((run) => run.analysis ?? []);
    const fullPathText: Record<FullVariant, string> = {
      fullPathBefore: '',
      fullPath: `after/before ${fixed(afterToBefore.median, 2)}x (rounds ${listed(afterToBefore.perRound, 2)}); `,
      fullPathAnalysis:
        `x after ${fixed(analysisToAfter.median, 2)} (rounds ${listed(analysisToAfter.perRound, 2)}); analysis ` +
        `${perInvocationText(analysisRuns.map((side) => side.counts))}, ` +
        `${fixed(medianOf(analysisRuns.map((side) => side.itemsPerInvocation)), 1)} items/invocation, ` +
        `drained ${fixed(medianOf(analysisRuns.map((side) => side.drainSeconds)), 1)} s after the storage path; `,
    };
    const fullPathRow = (variant: FullVariant): Row => {
      const runsOf = fullRunsOf(variant);
      const ratio = fullRatios[variant];
      return [
        'end to end',
        `full path, ${FULL_PATHS[variant].label}: ${runLabel(main)}`,
        `items/s; x one-PUT reference, ${fresh}`,
        `${fixed(medianRate(variant))}; ${fixed(ratio.median, 2)}x`,
        `${roundsText(variant)}; ratios ${listed(ratio.perRound, 2)}; ${fullPathText[variant]}` +
          `${fixed(medianOf(runsOf.map((run) => run.sendSeconds)), 1)} s of POSTs; ${paceText(runsOf.map((run) => run.consumption))}; ` +
          `${perInvocationText(runsOf.map((run) => run.batch))}`,
      ];
    };
    const saturatedRow = (variant: FullVariant): Row => {
      const runsOf = fullRunsOf(variant);
      return [
        'latency',
        `full path, ${FULL_PATHS[variant].label}, saturated`,
        `POST to S3 p50/p95/p99, ${fresh}`,
        percentilesText(medianPercentiles(runsOf)),
        `request p50/p95 ${msText(medianOf(runsOf.map((run) => run.requestMs.p50)))}/${msText(medianOf(runsOf.map((run) => run.requestMs.p95)))}` +
          (variant === 'fullPathBefore'
            ? ''
            : `; p50 x before ${fixed(p50Ratio(runsOf, fullRunsOf('fullPathBefore')).median, 2)} (rounds ${listed(p50Ratio(runsOf, fullRunsOf('fullPathBefore')).perRound, 2)})`),
      ];
    };
    const pacedRow = (variant: PacedVariant): Row => {
      const runsOf = paced[variant];
      return [
        'latency',
        `full path, ${FULL_PATHS[variant].label}, paced at ${fixed(offeredItemsPerSecond)} items/s (50%)`,
        `POST to S3 p50/p95/p99, median of ${options.rounds}, alternated`,
        percentilesText(medianPercentiles(runsOf)),
        `p50 rounds ${listed(runsOf.map((run) => run.postToS3Ms.p50 ?? Number.NaN))} ms; ` +
          (variant === 'fullPath'
            ? `p50 x before ${fixed(pacedRatio.median, 2)} (rounds ${listed(pacedRatio.perRound, 2)}); `
            : '') +
          `${fixed(pacedItems)} items each; request p50/p95 ${msText(medianOf(runsOf.map((run) => run.requestMs.p50)))}/${msText(medianOf(runsOf.map((run) => run.requestMs.p95)))}`,
      ];
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
      fullPathRow('fullPathBefore'),
      fullPathRow('fullPath'),
      fullPathRow('fullPathAnalysis'),
      [
        'isolating',
        `one-PUT reference, fed like the full path: one send per request, ${fixed(fullPostsPerSecond)}/s`,
        'items/s; full path (after) x this',
        `${fixed(pacedOnePut.itemsPerSecond)}; ${fixed(medianRate('fullPath') / pacedOnePut.itemsPerSecond, 2)}x`,
        `one run; ${fixed(pacedOnePut.itemsPerSecond / medianRate('onePut'), 2)}x the one-PUT reference fed by one fast sender; ${paceText([pacedOnePut.consumption])}`,
      ],
      [
        'isolating',
        'batch path, fed likewise (no API Gateway, no ingest function)',
        'items/s; full path (after) x this',
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
      saturatedRow('fullPathBefore'),
      saturatedRow('fullPath'),
      saturatedRow('fullPathAnalysis'),
      pacedRow('fullPathBefore'),
      pacedRow('fullPath'),
      ...costed
        .sort((a, b) => a.run.itemsPerRequest - b.run.itemsPerRequest || a.run.via.localeCompare(b.run.via))
        .map(
          ({ run, usage, cost, withoutLedger, withKeys, onHttpApi }): Row => [
            'cost per 1M items',
            `${runLabel(run)}, ${fixed(run.items)} items, ${run.via === 'topic' ? 'through the dispatcher' : 'before the dispatcher'}`,
            'API, Lambda, SQS, S3 requests; ledger write units, per item',
            `${fixed(usage.apiRequests, 2)}, ${fixed(usage.lambdaInvocations, 2)}, ${fixed(usage.sqsRequests, 2)}, ${fixed(usage.s3Puts, 2)}; ${fixed(usage.dynamoDbWriteUnits, 2)}`,
            `${dollars(cost.total)} = API ${dollars(cost.apiGateway)} + Lambda ${dollars(cost.lambda)} + SNS ${dollars(cost.sns)} + SQS ${dollars(cost.sqs)} + S3 ${dollars(cost.s3)} + DynamoDB ${dollars(cost.dynamoDb)}; ` +
              `without the ledger ${dollars(withoutLedger.total)} (ledger ${increase(cost.total, withoutLedger.total)}); ` +
              `with Idempotency-Keys ${dollars(withKeys.total)} (${increase(withKeys.total, withoutLedger.total)}); ` +
              `on an HTTP API ${dollars(onHttpApi.total)} (${fixed(onHttpApi.total / cost.total, 2)}x)`,
          ],
        ),
    ];
    return {
      results: {
        endpoint: deployment.endpoint,
        copiedFromStack: { queueAttributes: consumer.queueAttributes, mapping: consumer.mapping },
        rounds,
        medians: Object.fromEntries(VARIANTS.map((variant) => [variant, medianRate(variant)])),
        ratiosToOnePutReference: { batchPath: batchRatio, ...fullRatios },
        fullPathAfterToBefore: afterToBefore,
        fullPathAnalysisToAfter: analysisToAfter,
        batchPathToLedgerReference: batchToLedgerFloor,
        isolating: { fullPostsPerSecond, onePut: pacedOnePut, batchPath: pacedBatch },
        paced: { offeredItemsPerSecond, runs: paced, p50AfterToBefore: pacedRatio },
        runs: costed,
      },
      rows,
    };
  } finally {
    // The stack as deployed: the ingest function's own code on its own dispatcher, its mapping enabled.
    if (deployedVia !== 'topic') await deployIngestCode(deployment, ingestCode.topic);
    await restoreIngest(deployment, consumer);
    await setMappingEnabled(deployment, consumer.stackMappingId, true);
    await deleteReferenceConsumers(deployment);
  }
}
