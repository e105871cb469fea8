import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { cpus } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { deployToEmulator } from '../../cdk/local/deploy';
import { LocalCloudError, waitUntil } from '../../cdk/local/local-cloud';
import { startEmptyCloud } from '../../cdk/local/own-cloud';
import { runTool, toolArgs } from '../../cdk/ops/cli';
import { integerOption, UsageError } from '../../cdk/ops/cli-options';
import { clientConfig, clientsFor, type Deployment } from '../../cdk/ops/deployment';
import { functionLogMessages } from '../../cdk/ops/function-logs';
import { postItems } from '../../cdk/ops/pipeline-client';
import { queueDepth, waitForDrain } from '../../cdk/ops/queues';
import { table } from '../../cdk/ops/terminal';
import { LOCAL_DIR, PROJECT_ROOT } from '../../cdk/project';
import { messageOf } from '../../lambdas/domain/errors';
import { makeRequests, type Percentiles, percentiles } from '../harness/load-run';
import {
  compareSeries,
  dependencyMismatches,
  type PackageLock,
  type PackageManifest,
  pairedRatios,
  roundOrder,
  type Side,
  sidesOf,
  summarize,
} from './compare-logic';
import { deployIngestCode, ingestWithoutLedgerPackage } from './ingest-code';
import { moveLedgerTo } from './own-ledger';

const USAGE = `usage: npm run bench:compare -- [options]

Ingest latency (the POST /items round trip, timed by the client) of this working tree with and without
the request ledger, side by side on one local cloud of its own (or AWS_ENDPOINT_URL): the tree is
deployed twice, once as the stack deploys it and once with an ingest function whose ledger writes
nothing (test/bench/no-ledger/), and with --base a git ref is checked out in a git worktree under
.local/ and deployed with its own code beside them. The rounds alternate the series (A B C, C B A, ...):
this tree without the ledger, with it, and with a unique Idempotency-Key per request; with --base, the
base without and with a key too. Prints p50/p95/p99 per series, the ratios of each series to the ones
it is set against (round by round), and per round; writes every figure to .local/bench/compare-<time>.json.

  --base REF                 a commit to compare against as well, e.g. bd1fd4e
  --current REF              a commit to measure instead of this working tree, checked out and
                             deployed like the base (e.g. HEAD, leaving uncommitted edits out)
  --requests N               POSTs per series per round (default 400)
  --items-per-request K      items per POST (default 4)
  --rounds R                 rounds (default 5)
  --streams S                requests in flight at once (default 4)
  --consumer paused|running  paused (default): the batch consumer is off while a series sends and
                             drains the queue after it, so ingest has the machine to itself, as on
                             AWS; running: it works during the load, as deployed
  --ledger own|shared        own (default): the ledger tables are on a second emulator process, as
                             DynamoDB is a service of its own on AWS (test/bench/own-ledger.ts);
                             shared: on the one emulator that serves SNS too, where ingest's entry
                             write and its publish are served one after the other`;

const STACKS: Record<Side, string> = {
  current: 'FifoBatchPipelineCompare',
  noLedger: 'FifoBatchPipelineCompareNoLedger',
  base: 'FifoBatchPipelineCompareBase',
};
/** The usage plan's default 100 requests/s would measure the throttle (429s), not ingest. */
const UNTHROTTLED = { throttleRateLimit: 5_000, throttleBurstLimit: 5_000 };
const CONSUMER_MODES = ['paused', 'running'] as const;
type ConsumerMode = (typeof CONSUMER_MODES)[number];
const LEDGER_PLACES = ['own', 'shared'] as const;
type LedgerPlace = (typeof LEDGER_PLACES)[number];
const CLI_LOG = path.join(LOCAL_DIR, 'compare-cdk.log');

const log = (message: string): void => console.error(`[compare] ${message}`);
const fixed = (value: number | undefined, digits: number): string =>
  value === undefined || !Number.isFinite(value)
    ? '-'
    : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const triple = (p: Percentiles, digits = 1): string =>
  [p.p50, p.p95, p.p99].map((value) => fixed(value, digits)).join(' / ');
const secondsSince = (started: number): number => Math.round((Date.now() - started) / 100) / 10;

function git(args: string[]): string {
  const result = spawnSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.stderr.trim()}`);
  // trimEnd: `git status --porcelain` lines begin with a meaningful space.
  return result.stdout.trimEnd();
}

const readJson = <T>(file: string): T | undefined =>
  existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined;

/** This tree's node_modules, linked, when they serve the worktree's lockfile; else `npm ci` there. */
function provideDependencies(worktree: string): string {
  const mismatches = dependencyMismatches(
    {
      manifest: readJson<PackageManifest>(path.join(worktree, 'package.json')) ?? {},
      lock: readJson<PackageLock>(path.join(worktree, 'package-lock.json')),
    },
    {
      manifest: readJson<PackageManifest>(path.join(PROJECT_ROOT, 'package.json')) ?? {},
      lock: readJson<PackageLock>(path.join(PROJECT_ROOT, 'package-lock.json')),
    },
  );
  if (mismatches.length === 0) {
    symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(worktree, 'node_modules'), 'dir');
    return "this tree's node_modules, linked (its package.json and lockfile versions are all here)";
  }
  log(
    `${path.basename(worktree)}: dependencies differ (${mismatches.slice(0, 3).join('; ')}): npm ci in the worktree`,
  );
  // npm's output goes to stderr: stdout carries the results only.
  const install = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], {
    cwd: worktree,
    stdio: ['ignore', 2, 2],
  });
  if (install.status !== 0) throw new Error(`npm ci in ${worktree} failed (exit ${install.status})`);
  return `npm ci in the worktree (${mismatches.length} differences, e.g. ${mismatches[0]})`;
}

function removeWorktree(dir: string): void {
  const modules = path.join(dir, 'node_modules');
  // Unlinked first, so that removing the worktree can never reach into this tree's node_modules.
  if (lstatSync(modules, { throwIfNoEntry: false })?.isSymbolicLink()) unlinkSync(modules);
  try {
    git(['worktree', 'remove', '--force', dir]);
  } catch {
    rmSync(dir, { recursive: true, force: true });
  }
  git(['worktree', 'prune']);
}

/**
 * A commit checked out in a worktree under .local/ (removed at the end), with its dependencies.
 * The cleanup is registered before `git worktree add`, so a failure half way leaves nothing.
 */
function checkOut(side: Side, commit: string): { worktree: string; dependencies: string } {
  mkdirSync(LOCAL_DIR, { recursive: true });
  const worktree = mkdtempSync(path.join(LOCAL_DIR, `compare-${side}-`));
  cleanups.push(() => removeWorktree(worktree));
  git(['worktree', 'add', '--detach', worktree, commit]);
  return { worktree, dependencies: provideDependencies(worktree) };
}

/** Runs in a worktree with its tsx: that commit's own deployToEmulator, so it deploys as it did then. */
const DEPLOY_SNIPPET = `
const side = process.env.COMPARE_SIDE;
try {
  const { deployToEmulator } = await import(process.env.COMPARE_DEPLOY_MODULE);
  const log = (message) => console.error('[compare] ' + side + ': ' + message);
  const deployment = await deployToEmulator({ ...JSON.parse(process.env.COMPARE_DEPLOY_OPTIONS), log });
  console.log(JSON.stringify(deployment));
} catch (error) {
  console.error('[compare] ' + side + ': ' + messageOf(error));
  process.exit(1);
}
`;

function deployFromWorktree(side: Side, worktree: string, options: DeployTarget): Promise<Deployment> {
  const module = path.join(worktree, 'cdk', 'local', 'deploy.ts');
  if (!existsSync(module)) {
    throw new UsageError(
      `--${side} has no cdk/local/deploy.ts: it predates deploying to a local cloud, which this tool uses to deploy it`,
    );
  }
  return new Promise((resolve, reject) => {
    const child = spawn(
      path.join(worktree, 'node_modules', '.bin', 'tsx'),
      ['--input-type=module', '-e', DEPLOY_SNIPPET],
      {
        cwd: worktree,
        env: {
          ...process.env,
          COMPARE_SIDE: side,
          COMPARE_DEPLOY_MODULE: pathToFileURL(module).href,
          COMPARE_DEPLOY_OPTIONS: JSON.stringify(options),
        },
        stdio: ['ignore', 'pipe', 'inherit'],
        // Its own process group, so a cleanup can end it with the cdk processes it starts.
        detached: true,
      },
    );
    cleanups.push(() => {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null)
        process.kill(-child.pid, 'SIGTERM');
    });
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as Deployment);
      else
        reject(
          new Error(
            `Deploying the ${side} failed (exit ${code}); see above and ${path.relative(process.cwd(), CLI_LOG)}`,
          ),
        );
    });
  });
}

interface DeployTarget {
  readonly endpoint: string;
  readonly stackName: string;
  readonly pipeline: Record<string, unknown>;
  readonly cliLogFile: string;
}

/** A side's code: a commit in a worktree, or (the current side by default) this working tree. */
interface Source {
  readonly ref: string;
  readonly commit: string;
  readonly worktree?: string;
  readonly dependencies?: string;
  /** Uncommitted changes deployed with this working tree, as `git status --porcelain` lists them. */
  readonly uncommitted?: string[];
}

const deploySide = (side: Side, source: Source, options: DeployTarget): Promise<Deployment> =>
  source.worktree
    ? deployFromWorktree(side, source.worktree, options)
    : deployToEmulator({ ...options, log: (message) => log(`${side}: ${message}`) });

function commitOf(ref: string, option: string): string {
  const commit = spawnSync('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
  }).stdout.trim();
  if (!commit) throw new UsageError(`--${option} ${ref} is not a commit of this repository`);
  return commit;
}

interface Target {
  readonly deployment: Deployment;
  readonly lambda: LambdaClient;
  /** The batch function's SQS event source mapping. */
  readonly consumerId: string;
}

async function targetFor(deployment: Deployment): Promise<Target> {
  const lambda = new LambdaClient(clientConfig(deployment));
  const { EventSourceMappings: mappings = [] } = await lambda.send(
    new ListEventSourceMappingsCommand({ FunctionName: deployment.batchFunctionName }),
  );
  const consumerId = mappings[0]?.UUID;
  if (!consumerId)
    throw new Error(`${deployment.stackName} has no event source mapping on its batch function`);
  return { deployment, lambda, consumerId };
}

async function setConsumer(target: Target, enabled: boolean): Promise<void> {
  const { State: state } = await target.lambda.send(
    new UpdateEventSourceMappingCommand({ UUID: target.consumerId, Enabled: enabled }),
  );
  const expected = enabled ? 'Enabled' : 'Disabled';
  if (state !== expected) {
    throw new LocalCloudError(
      `The consumer of ${target.deployment.stackName} is ${state}, not ${expected}: run with --consumer running`,
    );
  }
}

interface Load {
  readonly startedAt: number;
  readonly latenciesMs: number[];
  /** `<status> <code>` (or `network <message>`) -> count. */
  readonly errors: Record<string, number>;
  /** Messages in the queue when the last answer came: every item sent while the consumer is paused. */
  readonly queuedAtEnd: number;
  readonly drainSeconds: number;
}

/**
 * Sends the bodies unpaced, `streams` at a time, timing each round trip, then lets the queue drain,
 * so the next series does not share the machine with this one's consumer.
 */
async function sendSeries(
  target: Target,
  bodies: readonly string[],
  { streams, withKey, consumer }: { streams: number; withKey: boolean; consumer: ConsumerMode },
): Promise<Load> {
  if (consumer === 'paused') await setConsumer(target, false);
  const latenciesMs: number[] = [];
  const errors: Record<string, number> = {};
  const fail = (what: string) => {
    errors[what] = (errors[what] ?? 0) + 1;
  };
  const startedAt = Date.now();
  let next = 0;
  const stream = async () => {
    while (next < bodies.length) {
      const body = bodies[next++] ?? '[]';
      const headers: Record<string, string> = withKey ? { 'idempotency-key': randomUUID() } : {};
      const sentAt = performance.now();
      try {
        const response = await postItems(target.deployment, body, headers);
        const ms = performance.now() - sentAt;
        if (response.status === 202) latenciesMs.push(Math.round(ms * 100) / 100);
        else
          fail(
            `${response.status} ${(response.json as { error?: { code?: string } })?.error?.code ?? 'no-json'}`,
          );
      } catch (error) {
        fail(`network ${messageOf(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: streams }, stream));
  const clients = clientsFor(target.deployment);
  const depth = await queueDepth(clients, target.deployment.queueUrl);
  if (consumer === 'paused') await setConsumer(target, true);
  const drainSeconds = await waitForDrain(clients, target.deployment.queueUrl, 600_000, 100);
  return { startedAt, latenciesMs, errors, queuedAtEnd: depth.visible + depth.inFlight, drainSeconds };
}

/**
 * The ingest function's billed milliseconds per invocation since a time, from its REPORT log lines
 * (the emulator bills its own wall time of the invocation); waits for `expected` of them, as log
 * delivery may trail, and makes do with fewer after the deadline.
 */
async function ingestBilledMs(deployment: Deployment, since: number, expected: number): Promise<number[]> {
  let billed: number[] = [];
  try {
    await waitUntil(
      `${expected} REPORT lines of ${deployment.ingestFunctionName}`,
      async () => {
        billed = [];
        for await (const message of functionLogMessages(
          deployment,
          deployment.ingestFunctionName,
          since,
          'REPORT',
        )) {
          const match = message.match(/Billed Duration: ([\d.]+) ms/);
          if (match) billed.push(Number(match[1]));
        }
        return billed.length >= expected;
      },
      30_000,
      250,
    );
  } catch (error) {
    if (!(error instanceof LocalCloudError)) throw error;
    log(`only ${billed.length} of ${expected} REPORT lines of ${deployment.ingestFunctionName} arrived`);
  }
  return billed;
}

interface Run extends Load {
  readonly round: number;
  readonly position: number;
  readonly series: string;
  readonly ingestBilledMs: number[];
}

/** Cleanup steps, undone last first, once: on success, on failure, and on Ctrl-C or SIGTERM. */
const cleanups: (() => Promise<void> | void)[] = [];
let cleaning: Promise<void> | undefined;
const cleanUp = (): Promise<void> =>
  (cleaning ??= (async () => {
    for (const step of [...cleanups].reverse()) {
      try {
        await step();
      } catch (error) {
        log(`cleanup: ${messageOf(error)}`);
      }
    }
  })());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping the emulator and removing the worktree`);
    void cleanUp().then(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

runTool(async () => {
  const { values } = toolArgs(USAGE, {
    base: { type: 'string' },
    requests: { type: 'string' },
    'items-per-request': { type: 'string' },
    rounds: { type: 'string' },
    streams: { type: 'string' },
    consumer: { type: 'string' },
    current: { type: 'string' },
    ledger: { type: 'string' },
  });
  const requests = integerOption(values.requests, 'requests', 400, 10, 100_000);
  const itemsPerRequest = integerOption(values['items-per-request'], 'items-per-request', 4, 1, 500);
  const rounds = integerOption(values.rounds, 'rounds', 5, 1, 100);
  const streams = integerOption(values.streams, 'streams', 4, 1, 64);
  const consumer = (values.consumer ?? 'paused') as ConsumerMode;
  if (!CONSUMER_MODES.includes(consumer)) {
    throw new UsageError(`--consumer must be one of ${CONSUMER_MODES.join(', ')} (got ${values.consumer})`);
  }
  const ledger = (values.ledger ?? 'own') as LedgerPlace;
  if (!LEDGER_PLACES.includes(ledger)) {
    throw new UsageError(`--ledger must be one of ${LEDGER_PLACES.join(', ')} (got ${values.ledger})`);
  }
  const baseCommit = values.base ? commitOf(values.base, 'base') : undefined;
  const currentCommit = values.current ? commitOf(values.current, 'current') : undefined;
  const series = compareSeries(baseCommit !== undefined);

  const started = Date.now();
  const phases: Record<string, number> = {};
  try {
    let base: Source | undefined;
    if (values.base && baseCommit) {
      log(`checking out ${values.base} (${baseCommit.slice(0, 7)}) in a worktree`);
      base = { ref: values.base, commit: baseCommit, ...checkOut('base', baseCommit) };
      log(`base dependencies: ${base.dependencies}`);
    }
    let current: Source;
    if (values.current && currentCommit) {
      log(`checking out ${values.current} (${currentCommit.slice(0, 7)}) in a worktree`);
      current = { ref: values.current, commit: currentCommit, ...checkOut('current', currentCommit) };
      log(`current dependencies: ${current.dependencies}`);
    } else {
      current = {
        ref: 'working tree',
        commit: git(['rev-parse', 'HEAD']),
        uncommitted: git(['status', '--porcelain']).split('\n').filter(Boolean),
      };
    }
    phases.checkout = secondsSince(started);

    let endpoint = process.env.AWS_ENDPOINT_URL;
    if (!endpoint) {
      const cloud = await startEmptyCloud('compare', log);
      cleanups.push(() => cloud.stop());
      endpoint = cloud.endpoint;
    }
    let ledgerEndpoint: string | undefined;
    if (ledger === 'own') {
      const ledgerCloud = await startEmptyCloud('compare-ledger', log);
      cleanups.push(() => ledgerCloud.stop());
      ledgerEndpoint = ledgerCloud.endpoint;
    }
    writeFileSync(CLI_LOG, '');
    const deploy = { endpoint, pipeline: UNTHROTTLED, cliLogFile: CLI_LOG };
    const sources: Record<Side, Source | undefined> = { current, noLedger: current, base };
    const targets: Partial<Record<Side, Target>> = {};
    // One after the other: the first deploy bootstraps the emulator for the others.
    for (const side of sidesOf(series)) {
      const source = sources[side];
      if (source === undefined) throw new Error(`no code for the ${side} side`);
      const phase = Date.now();
      log(
        `deploying the ${side} side (${source.ref}) as ${STACKS[side]}; cdk output in ${path.relative(process.cwd(), CLI_LOG)}`,
      );
      const deployment = await deploySide(side, source, { ...deploy, stackName: STACKS[side] });
      if (side === 'noLedger') {
        log(`${STACKS[side]}: ingest without the ledger, bundled from ${source.ref}`);
        await deployIngestCode(deployment, await ingestWithoutLedgerPackage(source.worktree));
      } else if (ledgerEndpoint !== undefined) {
        log(`${STACKS[side]}: its ledger table and ingest's DynamoDB calls on ${ledgerEndpoint}`);
        await moveLedgerTo(deployment, ledgerEndpoint);
      }
      targets[side] = await targetFor(deployment);
      phases[`deploy ${side}`] = secondsSince(phase);
    }
    const targetOf = (side: Side): Target => {
      const target = targets[side];
      if (target === undefined) throw new Error(`the ${side} side was not deployed`);
      return target;
    };

    let phase = Date.now();
    const warmUp = makeRequests({
      items: streams * 8 * itemsPerRequest,
      requests: streams * 8,
      mix: 'uniform',
      seed: 0,
    }).map((items) => JSON.stringify(items));
    for (const one of series) {
      log(`warm-up: ${one.name}, ${warmUp.length} POSTs (not counted)`);
      await sendSeries(targetOf(one.side), warmUp, { streams, withKey: one.withKey, consumer });
    }
    phases.warmUp = secondsSince(phase);

    phase = Date.now();
    const runs: Run[] = [];
    for (let round = 1; round <= rounds; round += 1) {
      // The same bodies for every series of a round: only the stack and the header differ.
      const bodies = makeRequests({
        items: requests * itemsPerRequest,
        requests,
        mix: 'uniform',
        seed: round,
      }).map((items) => JSON.stringify(items));
      for (const [index, one] of roundOrder(series, round).entries()) {
        const target = targetOf(one.side);
        const load = await sendSeries(target, bodies, { streams, withKey: one.withKey, consumer });
        const billed = await ingestBilledMs(target.deployment, load.startedAt, load.latenciesMs.length);
        const run: Run = { round, position: index + 1, series: one.name, ...load, ingestBilledMs: billed };
        runs.push(run);
        const errors = Object.entries(load.errors).map(([what, count]) => `${count} ${what}`);
        log(
          `round ${round}/${rounds} ${one.name}: p50/p95/p99 ${triple(percentiles(load.latenciesMs))} ms, billed p50 ${fixed(percentiles(billed).p50, 0)} ms, drained in ${fixed(load.drainSeconds, 1)} s${errors.length ? `; not 202: ${errors.join(', ')}` : ''}`,
        );
      }
    }
    phases.rounds = secondsSince(phase);

    const results = series.map((one) => {
      const own = runs.filter((run) => run.series === one.name);
      return {
        series: one,
        latency: summarize(own.map((run) => run.latenciesMs)),
        billed: summarize(own.map((run) => run.ingestBilledMs)),
        notAccepted: own.reduce((sum, run) => sum + Object.values(run.errors).reduce((a, b) => a + b, 0), 0),
      };
    });
    const ratios = results.flatMap((result) =>
      result.series.against.flatMap((name) => {
        const reference = results.find((other) => other.series.name === name);
        return reference
          ? [
              {
                series: result.series.name,
                against: name,
                ratio: pairedRatios(result.latency.rounds, reference.latency.rounds),
              },
            ]
          : [];
      }),
    );
    phases.total = secondsSince(started);

    const stamp = new Date(started).toISOString();
    const out = path.join(LOCAL_DIR, 'bench', `compare-${stamp.replace(/[:.]/g, '-')}.json`);
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(
      out,
      `${JSON.stringify(
        {
          startedAt: stamp,
          node: process.version,
          platform: `${process.platform} ${process.arch}, ${cpus().length} cores`,
          options: { requests, itemsPerRequest, rounds, streams, consumer, ledger },
          endpoint,
          ledgerEndpoint,
          seconds: phases,
          current: { ...current, stackName: STACKS.current, withoutLedger: STACKS.noLedger },
          ...(base ? { base: { ...base, stackName: STACKS.base } } : {}),
          series: results.map(({ series: one, ...figures }) => ({ ...one, ...figures })),
          ratios,
          runs,
        },
        null,
        2,
      )}\n`,
    );

    const pick = (p: Percentiles, key: keyof Percentiles) => fixed(p[key], 1);
    console.log(
      `Ingest latency: POST /items round trip, ${requests} POSTs of ${itemsPerRequest} items per series and round, ` +
        `${streams} in flight, ${rounds} rounds, consumer ${consumer} during the load, ` +
        `${ledger === 'own' ? 'the ledger on an emulator of its own' : 'the ledger on the same emulator as SNS'}. ` +
        `Current ${current.ref} (${current.commit.slice(0, 7)}` +
        `${current.uncommitted?.length ? ` + ${current.uncommitted.length} uncommitted files` : ''}), ` +
        `without the ledger as ${STACKS.noLedger}` +
        `${base ? `; base ${base.ref} (${base.commit.slice(0, 7)})` : ''}.\n`,
    );
    console.log(
      table([
        [
          'series',
          'POSTs',
          'p50 ms',
          'p95 ms',
          'p99 ms',
          'pooled p50/p95/p99 ms',
          'ingest billed p50/p95 ms',
          'not 202',
        ],
        ...results.map(({ series: one, latency, billed, notAccepted }) => [
          one.name,
          latency.samples,
          pick(latency.medianOfRounds, 'p50'),
          pick(latency.medianOfRounds, 'p95'),
          pick(latency.medianOfRounds, 'p99'),
          triple(latency.pooled),
          `${fixed(billed.medianOfRounds.p50, 0)} / ${fixed(billed.medianOfRounds.p95, 0)}`,
          notAccepted,
        ]),
      ]),
    );
    console.log(
      `\np50/p95/p99: median over the ${rounds} rounds of each round's percentile; pooled: all rounds' requests together;\n` +
        "billed: the emulator's REPORT lines (median of the rounds).\n",
    );
    console.log(
      table([
        ['series', 'against', 'ratio p50 / p95 / p99', 'p50 ratio by round'],
        ...ratios.map(({ series: name, against, ratio }) => {
          const own = runs.filter((run) => run.series === name);
          const byRound = own.map((run) => {
            const reference = runs.find((other) => other.series === against && other.round === run.round);
            return reference
              ? pairedRatios([percentiles(run.latenciesMs)], [percentiles(reference.latenciesMs)]).p50
              : undefined;
          });
          return [name, against, triple(ratio, 2), byRound.map((value) => fixed(value, 2)).join(', ')];
        }),
      ]),
    );
    console.log(
      "\nratio: median of the rounds' own ratios (each round's percentile over the other series' in the same round).\n",
    );
    console.log(
      table([
        ['round', 'position', 'series', 'p50 / p95 / p99 ms', 'billed p50 ms', 'queued at end', 'drain s'],
        ...runs.map((run) => [
          run.round,
          run.position,
          run.series,
          triple(percentiles(run.latenciesMs)),
          fixed(percentiles(run.ingestBilledMs).p50, 0),
          run.queuedAtEnd,
          fixed(run.drainSeconds, 1),
        ]),
      ]),
    );
    const deploys = sidesOf(series)
      .map((side) => `${side} ${phases[`deploy ${side}`]} s`)
      .join(', ');
    console.log(
      `\nWall time ${fixed(phases.total, 0)} s (checkout ${phases.checkout} s, deploys ${deploys}, ` +
        `warm-up ${phases.warmUp} s, rounds ${phases.rounds} s). All figures: ${path.relative(process.cwd(), out)}`,
    );
    return 0;
  } finally {
    await cleanUp();
  }
});
