import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { startOwnCloud } from '../../cdk/local/own-cloud';
import { runTool, toolArgs } from '../../cdk/ops/cli';
import { integerOption, mixOption } from '../../cdk/ops/cli-options';
import { table } from '../../cdk/ops/terminal';
import { LOCAL_DIR } from '../../cdk/project';
import type { ItemMix } from '../harness/load-run';
import { benchAnalysisCosts } from './analysis-bench';
import {
  apiTypeCostRows,
  apiTypeCosts,
  capacityModel,
  capacityModelRows,
  DEFAULT_CAPACITY_INPUT,
} from './capacity-model';
import { benchColdStart } from './cold-start';
import { US_EAST_1_PRICES } from './cost-model';
import { benchEndToEnd } from './end-to-end-suite';
import { fixed, kB, msText, type Row } from './format';
import { benchHandlers, measureLedgerRequests } from './handlers';
import { benchSegmenting } from './segmenting';

const USAGE = `usage: npm run bench -- [options]

Measures cold start, handler cost, the segmenting rule, and the deployed stack end to end on a
local cloud of its own (or AWS_ENDPOINT_URL): the batch path and the full path alternated in rounds
with reference consumers deployed beside them (the baseline) and the emulator's raw SQS FIFO, each
run on a fresh queue; then latency at half the measured rate, and the cost runs; last, the capacity
model for AWS and the cost of a REST and an HTTP API (test/bench/capacity-model.ts). Prints one table and writes every figure to .local/bench/.

  --items N      items per end-to-end run (default 2000; the paced latency run sends half)
  --mix MIX      uniform (0-9), exclusion (half 1s and 2s), pairs (only 1s and 2s) (default uniform)
  --runs N       runs of each in-process benchmark, medians reported (default 7)
  --rounds N     alternated end-to-end rounds, medians and per-round ratios reported (default 3;
                 more on a busy machine)
  --no-cloud     in-process benchmarks only
  --model        the capacity model for AWS and the cost of each API type at 1, 4 and 100 items
                 per POST only (instant: nothing is measured)
  --out FILE     results as JSON (default .local/bench/<time>.json, copied to .local/bench/latest.json)`;

const STACK_NAME = 'FifoBatchPipelineBench';
/** The usage plan's default 100 requests/s would measure the throttle (429s), not the pipeline. */
const UNTHROTTLED = { throttleRateLimit: 5_000, throttleBurstLimit: 5_000 };
/** Alternated end-to-end rounds by default: enough for a median on a quiet machine, within minutes. */
const E2E_ROUNDS = 3;

const benchStarted = Date.now();
/** Progress on stderr, with the time since the start: the whole run should take a few minutes. */
const log = (message: string): void => {
  const seconds = Math.round((Date.now() - benchStarted) / 1000);
  console.error(`[bench ${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}] ${message}`);
};

async function inProcess(runs: number) {
  const coldStart = await benchColdStart(runs, log);
  const handlers = await benchHandlers(runs, log);
  const segmenting = await benchSegmenting(runs, log);
  log('ledger: DynamoDB calls and write units per item, handlers on an in-memory table');
  const ledger = await measureLedgerRequests();
  const analyses = await benchAnalysisCosts(log);
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
    ...ledger.map(
      (counts): Row => [
        'ledger, in process',
        `${counts.itemsPerRequest} item${counts.itemsPerRequest === 1 ? '' : 's'}/POST${counts.idempotencyKey ? ', Idempotency-Key' : ''}`,
        'write units per item (model)',
        `${fixed(counts.writeUnitsPerItem, 3)} (${fixed(counts.modelWriteUnitsPerItem, 3)})`,
        `ingest ${fixed(counts.ingestWriteUnitsPerRequest, 1)} per POST, batch ${fixed(counts.batchWriteUnitsPerItem, 3)} per item; ` +
          `${fixed(counts.objectsPerItem, 3)} objects/item; largest entry ${fixed(counts.largestItemBytes)} B`,
      ],
    ),
    ...analyses.rows,
  ];
  return { results: { coldStart, handlers, segmenting, ledger, analyses: analyses.runs }, rows };
}

async function endToEnd(items: number, mix: ItemMix, rounds: number) {
  // Its state lives apart from .local/bench, which keeps the results of earlier runs.
  const cloud = await startOwnCloud({
    name: 'bench-cloud',
    stackName: STACK_NAME,
    pipeline: UNTHROTTLED,
    log,
  });
  try {
    return await benchEndToEnd(cloud.deployment, { items, mix, rounds }, log);
  } finally {
    await cloud.stop();
  }
}

runTool(async () => {
  const { values } = toolArgs(USAGE, {
    items: { type: 'string' },
    mix: { type: 'string' },
    runs: { type: 'string' },
    rounds: { type: 'string' },
    'no-cloud': { type: 'boolean' },
    model: { type: 'boolean' },
    out: { type: 'string' },
  });
  const header: Row = ['benchmark', 'case', 'measure', 'value', 'side by side'];
  const modelRows = [
    ...capacityModelRows(DEFAULT_CAPACITY_INPUT),
    ...apiTypeCostRows(DEFAULT_CAPACITY_INPUT),
  ] as Row[];
  if (values.model) {
    console.log(table([header, ...modelRows]));
    return 0;
  }
  const items = integerOption(values.items, 'items', 2000, 40, 100_000);
  const mix = mixOption(values.mix ?? 'uniform');
  const runs = integerOption(values.runs, 'runs', 7, 1, 100);
  const rounds = integerOption(values.rounds, 'rounds', E2E_ROUNDS, 1, 20);
  const startedAt = new Date();

  const local = await inProcess(runs);
  const cloud = values['no-cloud'] ? undefined : await endToEnd(items, mix, rounds);

  const results = {
    startedAt: startedAt.toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    options: { items, mix, runs, rounds },
    prices: US_EAST_1_PRICES,
    ...local.results,
    ...(cloud ? { endToEnd: cloud.results } : {}),
    capacityModel: { input: DEFAULT_CAPACITY_INPUT, ...capacityModel(DEFAULT_CAPACITY_INPUT) },
    apiTypeCosts: apiTypeCosts(DEFAULT_CAPACITY_INPUT),
  };
  const out =
    values.out ?? path.join(LOCAL_DIR, 'bench', `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  const json = `${JSON.stringify(results, null, 2)}\n`;
  writeFileSync(out, json);
  if (!values.out) writeFileSync(path.join(LOCAL_DIR, 'bench', 'latest.json'), json);

  console.log(table([header, ...local.rows, ...(cloud?.rows ?? []), ...modelRows]));
  console.log(`\nAll figures: ${path.relative(process.cwd(), out)}`);
  return 0;
});
