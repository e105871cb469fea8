import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { LOCAL_DIR } from '../../cdk/local/local-cloud';
import { startOwnCloud } from '../../cdk/local/own-cloud';
import { runTool, toolArgs } from '../../cdk/ops/cli';
import { integerOption, mixOption } from '../../cdk/ops/cli-options';
import { median, table } from '../../cdk/ops/stats';
import type { ItemMix } from '../harness/load-run';
import { benchColdStart } from './cold-start';
import { costPerMillionItems, US_EAST_1_PRICES, usagePerItem } from './cost-model';
import { type PipelineRun, type RawFifoRun, rawFifoThroughput, runPipeline } from './end-to-end';
import { benchHandlers } from './handlers';
import { benchSegmenting } from './segmenting';

const USAGE = `usage: npm run bench -- [options]

Measures cold start, handler cost, the segmenting rule, and the deployed stack end to end on a
local cloud of its own (or AWS_ENDPOINT_URL), with the emulator's raw SQS FIFO side by side;
prints one table and writes every figure to .local/bench/.

  --items N      items per end-to-end run (default 2000)
  --mix MIX      uniform (0-9), exclusion (half 1s and 2s), pairs (only 1s and 2s) (default uniform)
  --runs N       runs of each in-process benchmark, medians reported (default 7)
  --no-cloud     in-process benchmarks only
  --out FILE     results as JSON (default .local/bench/<time>.json, copied to .local/bench/latest.json)`;

const STACK_NAME = 'FifoBatchPipelineBench';
/** The usage plan's default 100 requests/s would measure the throttle (429s), not the pipeline. */
const UNTHROTTLED = { throttleRateLimit: 5_000, throttleBurstLimit: 5_000 };
const E2E_ROUNDS = 3;
const MAIN = { itemsPerRequest: 4, streams: 4 };
const ITEMS_PER_REQUEST = [1, 4, 100];
const STREAMS = [1, 4, 16];

const log = (message: string): void => console.error(`[bench] ${message}`);
const fixed = (value: number | undefined, digits = 0): string =>
  value === undefined || !Number.isFinite(value)
    ? '-'
    : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const kB = (bytes: number): string => `${fixed(bytes / 1000, 1)} kB`;
const msText = (value: number | undefined, digits = 0): string => `${fixed(value, digits)} ms`;
const dollars = (value: number): string => `$${fixed(value, 2)}`;

type Row = [benchmark: string, subject: string, measure: string, value: string, sideBySide: string];

async function inProcess(runs: number) {
  const coldStart = await benchColdStart(runs, log);
  const handlers = await benchHandlers(runs, log);
  const segmenting = await benchSegmenting(runs, log);
  const hello = coldStart.bundles.find((bundle) => bundle.name === 'hello');
  const rows: Row[] = [
    ...coldStart.bundles.map(
      (bundle): Row => [
        'cold start',
        bundle.name === 'hello' ? 'hello world (floor)' : `${bundle.name} function`,
        `bundle; init (median of ${runs})`,
        `${kB(bundle.bytes)}; ${msText(bundle.initMs, 1)}`,
        bundle.name === 'hello'
          ? `${msText(bundle.initMsWithoutSourceMaps, 1)} without source maps`
          : `${fixed(bundle.initRatioToHello, 0)}x hello (${msText(hello?.initMs, 1)}); ${msText(bundle.initMsWithoutSourceMaps, 1)} without source maps`,
      ],
    ),
    ...handlers.map(
      (result): Row => [
        'handler, AWS stubbed',
        result.name,
        `${result.name.startsWith('ingest') ? 'requests' : 'invocations'}/s; items/s`,
        `${fixed(result.callsPerSecond)}; ${fixed(result.itemsPerSecond)}`,
        `${fixed(result.microsPerCall, 1)} us/call, of which stub ${fixed(result.stubMicrosPerCall, 1)} us (${fixed(result.awsCallsPerCall, 1)} AWS calls)`,
      ],
    ),
    ...segmenting.map(
      (result): Row => [
        'segmenting',
        result.name,
        'items/s',
        fixed(result.itemsPerSecond),
        `${fixed(result.nanosPerBatch)} ns/batch, ${fixed(result.segmentsPerBatch, 2)} segments/batch`,
      ],
    ),
  ];
  return { results: { coldStart, handlers, segmenting }, rows };
}

const runLabel = (run: PipelineRun): string =>
  `${run.itemsPerRequest} item${run.itemsPerRequest === 1 ? '' : 's'}/POST, ${run.streams} stream${run.streams === 1 ? '' : 's'}`;

async function endToEnd(items: number, mix: ItemMix) {
  const cloud = await startOwnCloud({ name: 'bench', stackName: STACK_NAME, pipeline: UNTHROTTLED, log });
  try {
    const { deployment } = cloud;
    log('warm-up: 64 items in 16 streams (function workers start; not counted)');
    await runPipeline(deployment, { items: 64, itemsPerRequest: 4, streams: 16, mix, seed: 99 });

    // The main case and the raw queue alternate, so their ratio compares like with like; medians
    // of the rounds, since one run on this machine can be 25% off the next.
    const rounds: { main: PipelineRun; raw: RawFifoRun }[] = [];
    for (let round = 1; round <= E2E_ROUNDS; round += 1) {
      log(
        `round ${round}/${E2E_ROUNDS}: ${items} items, ${MAIN.itemsPerRequest} items/POST, ${MAIN.streams} streams`,
      );
      const main = await runPipeline(deployment, { items, ...MAIN, mix, seed: round });
      log(
        `round ${round}/${E2E_ROUNDS}: raw SQS FIFO, ${items} messages in ${MAIN.streams} groups, no Lambda`,
      );
      rounds.push({ main, raw: await rawFifoThroughput(deployment, items, MAIN.streams) });
    }
    const mainRates = rounds.map((round) => round.main.itemsPerSecond);
    const rawRates = rounds.map((round) => round.raw.messagesPerSecond);
    const ratios = rounds.map((round) => round.main.itemsPerSecond / round.raw.messagesPerSecond);
    // The round with the median throughput stands for the main case in the tables below.
    const main = rounds.find((round) => round.main.itemsPerSecond === median(mainRates))?.main;
    if (!main) throw new Error('No end-to-end round ran');

    const runs: PipelineRun[] = [main];
    for (const itemsPerRequest of ITEMS_PER_REQUEST.filter((size) => size !== MAIN.itemsPerRequest)) {
      log(`run: ${items} items, ${itemsPerRequest} items/POST, ${MAIN.streams} streams`);
      runs.push(
        await runPipeline(deployment, { items, itemsPerRequest, streams: MAIN.streams, mix, seed: 2 }),
      );
    }
    for (const streams of STREAMS.filter((count) => count !== MAIN.streams)) {
      log(`run: ${items} items, ${MAIN.itemsPerRequest} items/POST, ${streams} streams`);
      runs.push(
        await runPipeline(deployment, {
          items,
          itemsPerRequest: MAIN.itemsPerRequest,
          streams,
          mix,
          seed: 3,
        }),
      );
    }
    const costed = runs.map((run) => {
      const usage = usagePerItem({ ...run, items: run.storedItems });
      return { run, usage, cost: costPerMillionItems(usage) };
    });

    const rows: Row[] = [
      [
        'end to end',
        `${runLabel(main)}, median of ${E2E_ROUNDS}`,
        'items/s; POST to S3 p50/p95',
        `${fixed(median(mainRates))}; ${msText(median(rounds.map((round) => round.main.postToS3Ms.p50 ?? 0)))}/${msText(median(rounds.map((round) => round.main.postToS3Ms.p95 ?? 0)))}`,
        `rounds ${mainRates.map((rate) => fixed(rate)).join(', ')} items/s; request p50/p95 ${msText(main.requestMs.p50)}/${msText(main.requestMs.p95)}`,
      ],
      [
        'raw SQS FIFO',
        `${items} messages, batches of 10, median of ${E2E_ROUNDS}`,
        'messages/s (send, receive, delete)',
        fixed(median(rawRates)),
        `rounds ${rawRates.map((rate) => fixed(rate)).join(', ')}; ours ${fixed(median(ratios), 2)}x raw (median of the rounds' ratios)`,
      ],
      ...costed
        .filter(({ run }) => run.streams === MAIN.streams)
        .sort((a, b) => a.run.itemsPerRequest - b.run.itemsPerRequest)
        .map(
          ({ run, usage, cost }): Row => [
            'cost per 1M items',
            runLabel(run),
            'API, Lambda, SQS, S3 requests per item',
            `${fixed(usage.apiRequests, 2)}, ${fixed(usage.lambdaInvocations, 2)}, ${fixed(usage.sqsRequests, 2)}, ${fixed(usage.s3Puts, 2)}`,
            `${dollars(cost.total)} = API ${dollars(cost.apiGateway)} + Lambda ${dollars(cost.lambda)} + SQS ${dollars(cost.sqs)} + S3 ${dollars(cost.s3)}`,
          ],
        ),
      ...costed
        .filter(({ run }) => run.itemsPerRequest === MAIN.itemsPerRequest)
        .sort((a, b) => a.run.streams - b.run.streams)
        .map(
          ({ run, cost, usage }): Row => [
            'scaling',
            runLabel(run),
            'items/s; POST to S3 p50/p95',
            `${fixed(run.itemsPerSecond)}; ${msText(run.postToS3Ms.p50)}/${msText(run.postToS3Ms.p95)}`,
            `${dollars(cost.total)} per 1M items; ${fixed(usage.s3Puts, 2)} PUTs/item; ${fixed(run.batch.invocations)} batch invocations`,
          ],
        ),
    ];
    return { results: { endpoint: deployment.endpoint, rounds, runs: costed }, rows };
  } finally {
    await cloud.stop();
  }
}

runTool(async () => {
  const { values } = toolArgs(USAGE, {
    items: { type: 'string' },
    mix: { type: 'string' },
    runs: { type: 'string' },
    'no-cloud': { type: 'boolean' },
    out: { type: 'string' },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const items = integerOption(values.items, 'items', 2000, 40, 100_000);
  const mix = mixOption(values.mix ?? 'uniform');
  const runs = integerOption(values.runs, 'runs', 7, 1, 100);
  const startedAt = new Date();

  const local = await inProcess(runs);
  const cloud = values['no-cloud'] ? undefined : await endToEnd(items, mix);

  const results = {
    startedAt: startedAt.toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    options: { items, mix, runs },
    prices: US_EAST_1_PRICES,
    ...local.results,
    ...(cloud ? { endToEnd: cloud.results } : {}),
  };
  const out =
    values.out ?? path.join(LOCAL_DIR, 'bench', `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  const json = `${JSON.stringify(results, null, 2)}\n`;
  writeFileSync(out, json);
  if (!values.out) writeFileSync(path.join(LOCAL_DIR, 'bench', 'latest.json'), json);

  console.log(
    table([['benchmark', 'case', 'measure', 'value', 'side by side'], ...local.rows, ...(cloud?.rows ?? [])]),
  );
  console.log(`\nAll figures: ${path.relative(process.cwd(), out)}`);
  return 0;
});
