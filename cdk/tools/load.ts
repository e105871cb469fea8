import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { runTool, toolArgs } from './cli';
import { clientsFor, type Deployment, loadDeployment } from './deployment';
import type { AcceptedRequest, ResultObject } from './invariants';
import { LOCAL_DIR } from './local-cloud';
import { postItems, readObjects } from './pipeline-client';
import { queueDepth, waitForDrain } from './queues';
import { percentile, progress, table } from './stats';

const USAGE = `usage: npm run load -- [options]

Sends items to the deployment (.local/outputs.json, or --stack NAME), records every accepted
request, waits until the queues drain, and prints latency, throughput and errors.

  --items N          items in all (default 1000)
  --requests R       requests to spread them over (default items / 4)
  --rate RPS         target requests per second (default 50)
  --concurrency C    requests in flight at most (default 8)
  --mix MIX          uniform (0-9), exclusion (half 1s and 2s), pairs (only 1s and 2s) (default exclusion)
  --seed S           item generator seed (default 1)
  --out FILE         accepted requests as JSON lines (default .local/load/<time>.jsonl)
  --drain-timeout S  seconds to wait for the queues to drain (default 900)
  --no-drain         do not wait for the queues (chaos runs: drain after the faults stop, npm run drain)
  --stack NAME       a stack in your AWS account instead of the local deployment`;

export interface LoadOptions {
  readonly items: number;
  readonly requests: number;
  readonly rate: number;
  readonly concurrency: number;
  readonly mix: 'uniform' | 'exclusion' | 'pairs';
  readonly seed: number;
  readonly out: string;
  readonly drainTimeoutMs: number;
  readonly drain: boolean;
}

/** A small seeded generator (mulberry32), so a run's items can be reproduced. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function makeRequests(options: Pick<LoadOptions, 'items' | 'requests' | 'mix' | 'seed'>): number[][] {
  const random = seededRandom(options.seed);
  const item = (): number => {
    const r = random();
    if (options.mix === 'pairs') return r < 0.5 ? 1 : 2;
    if (options.mix === 'exclusion' && r < 0.5) return r < 0.25 ? 1 : 2;
    return Math.floor(random() * 10);
  };
  const base = Math.floor(options.items / options.requests);
  const extra = options.items % options.requests;
  return Array.from({ length: options.requests }, (_, i) =>
    Array.from({ length: base + (i < extra ? 1 : 0) }, item),
  );
}

interface Sent extends AcceptedRequest {
  readonly sentAt: number;
  readonly latencyMs: number;
}

const number = (
  value: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
) => {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max)
    throw new Error(`--${name} must be a number from ${min} to ${max} (got ${value})`);
  return parsed;
};

async function send(deployment: Deployment, options: LoadOptions) {
  const requests = makeRequests(options);
  const accepted: Sent[] = [];
  const errors = new Map<string, number>();
  const show = progress('load', requests.length);
  const started = Date.now();
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < requests.length) {
      const index = next++;
      const items = requests[index] ?? [];
      // Pace by schedule, not by completions, so slow answers do not lower the offered rate.
      const due = started + (index * 1000) / options.rate;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      const sentAt = Date.now();
      try {
        const response = await postItems(deployment, JSON.stringify(items));
        const latencyMs = Date.now() - sentAt;
        if (response.status === 202) {
          const { requestId } = response.json as { requestId: string };
          const record: Sent = { requestId, items, sentAt, latencyMs };
          accepted.push(record);
          appendFileSync(options.out, `${JSON.stringify(record)}\n`);
        } else {
          const code = (response.json as { error?: { code?: string } } | undefined)?.error?.code ?? 'no-json';
          errors.set(`${response.status} ${code}`, (errors.get(`${response.status} ${code}`) ?? 0) + 1);
        }
      } catch (error) {
        const key = `network ${error instanceof Error ? error.message : String(error)}`;
        errors.set(key, (errors.get(key) ?? 0) + 1);
      }
      done += 1;
      show(done, `${accepted.length} accepted`);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { accepted, errors, sendSeconds: (Date.now() - started) / 1000, started };
}

runTool(async () => {
  const { values } = toolArgs(USAGE, {
    items: { type: 'string' },
    requests: { type: 'string' },
    rate: { type: 'string' },
    concurrency: { type: 'string' },
    mix: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
    'drain-timeout': { type: 'string' },
    'no-drain': { type: 'boolean' },
    stack: { type: 'string' },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const items = number(values.items, 'items', 1000, 1);
  const mix = values.mix ?? 'exclusion';
  if (mix !== 'uniform' && mix !== 'exclusion' && mix !== 'pairs')
    throw new Error(`--mix must be uniform, exclusion or pairs (got ${mix})`);
  const requests = number(values.requests, 'requests', Math.max(1, Math.ceil(items / 4)), 1, items);
  if (items / requests > 500)
    throw new Error(`--requests must be at least ${Math.ceil(items / 500)}: at most 500 items per request`);
  const options: LoadOptions = {
    items,
    requests,
    mix,
    rate: number(values.rate, 'rate', 50, 0.1),
    concurrency: number(values.concurrency, 'concurrency', 8, 1, 256),
    seed: number(values.seed, 'seed', 1, 0),
    out:
      values.out ?? path.join(LOCAL_DIR, 'load', `${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`),
    drainTimeoutMs: number(values['drain-timeout'], 'drain-timeout', 900, 1) * 1000,
    drain: !values['no-drain'],
  };
  mkdirSync(path.dirname(options.out), { recursive: true });
  writeFileSync(options.out, '');

  const deployment = await loadDeployment({ stack: values.stack });
  const clients = clientsFor(deployment);
  console.error(
    `Sending ${options.items} items in ${options.requests} requests at ${options.rate} req/s to ${deployment.apiUrl}`,
  );
  const { accepted, errors, sendSeconds, started } = await send(deployment, options);

  let drainSeconds: number | undefined;
  let drainProblem: string | undefined;
  if (options.drain) {
    console.error('Waiting for the queues to drain...');
    try {
      drainSeconds = await waitForDrain(clients, deployment.queueUrl, options.drainTimeoutMs);
    } catch (error) {
      drainProblem = error instanceof Error ? error.message : String(error);
    }
  }
  const deadLetters = (await queueDepth(clients, deployment.deadLetterQueueUrl)).visible;

  // End to end: from the moment a request was sent to the write of the object holding its item.
  const sentAt = new Map(accepted.map((request) => [request.requestId, request.sentAt]));
  const results = await readObjects<ResultObject['body']>(clients, deployment.bucketName, 'results/', {
    concurrency: 16,
    modifiedSince: new Date(started - 60_000),
  });
  const endToEnd = results.flatMap((object) =>
    object.body.items
      .filter((entry) => sentAt.has(entry.requestId))
      .map((entry) => Date.parse(object.body.writtenAt) - (sentAt.get(entry.requestId) ?? 0)),
  );
  const acceptedItems = accepted.reduce((sum, request) => sum + request.items.length, 0);
  const latencies = accepted.map((request) => request.latencyMs);
  const ms = (value: number | undefined) => (value === undefined ? '-' : `${Math.round(value)} ms`);
  const summary = {
    items: options.items,
    requests: options.requests,
    acceptedRequests: accepted.length,
    acceptedItems,
    errors: Object.fromEntries(errors),
    sendSeconds,
    offeredRate: options.rate,
    acceptedItemsPerSecond: acceptedItems / sendSeconds,
    drainSecondsAfterSending: drainSeconds,
    storedItemsSeen: endToEnd.length,
    endToEndItemsPerSecond:
      drainSeconds === undefined ? undefined : endToEnd.length / (sendSeconds + drainSeconds),
    deadLetterMessages: deadLetters,
    requestLatencyMs: {
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
    },
    endToEndLatencyMs: {
      p50: percentile(endToEnd, 50),
      p95: percentile(endToEnd, 95),
      p99: percentile(endToEnd, 99),
    },
    acceptedFile: options.out,
  };
  writeFileSync(options.out.replace(/\.jsonl$/, '.summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(
    table([
      ['measure', 'value'],
      ['requests accepted / sent', `${accepted.length} / ${options.requests}`],
      ['items accepted', acceptedItems],
      ['errors', errors.size === 0 ? 0 : [...errors].map(([key, count]) => `${key}: ${count}`).join(', ')],
      ['send time', `${sendSeconds.toFixed(1)} s`],
      ['accepted items/s', summary.acceptedItemsPerSecond.toFixed(1)],
      [
        'drain after sending',
        drainSeconds === undefined ? (drainProblem ?? 'not waited for') : `${drainSeconds.toFixed(1)} s`,
      ],
      ['stored items/s (end to end)', summary.endToEndItemsPerSecond?.toFixed(1) ?? '-'],
      [
        'request latency p50 / p95 / p99',
        `${ms(summary.requestLatencyMs.p50)} / ${ms(summary.requestLatencyMs.p95)} / ${ms(summary.requestLatencyMs.p99)}`,
      ],
      [
        'POST to S3 p50 / p95 / p99',
        `${ms(summary.endToEndLatencyMs.p50)} / ${ms(summary.endToEndLatencyMs.p95)} / ${ms(summary.endToEndLatencyMs.p99)}`,
      ],
      ['stored items seen', endToEnd.length],
      ['dead-letter messages', deadLetters],
    ]),
  );
  console.log(
    `\nAccepted requests: ${path.relative(process.cwd(), options.out)} (npm run verify -- --accepted ${path.relative(process.cwd(), options.out)})`,
  );
  return errors.size === 0 && drainProblem === undefined ? 0 : 1;
});
