import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { readResultsObjects } from '../../cdk/ops/bucket';
import { forEachConcurrently } from '../../cdk/ops/concurrency';
import type { Clients, Deployment } from '../../cdk/ops/deployment';
import type { AcceptedRequest } from '../../cdk/ops/invariants';
import { type AcceptedAnswer, postItems } from '../../cdk/ops/pipeline-client';
import { percentile } from '../../cdk/ops/stats';
import { progress } from '../../cdk/ops/terminal';
import { messageOf } from '../../lambdas/domain/errors';

export type ItemMix = 'uniform' | 'exclusion' | 'pairs';

export interface LoadOptions {
  readonly items: number;
  readonly requests: number;
  /** Target requests per second. */
  readonly rate: number;
  readonly concurrency: number;
  readonly mix: ItemMix;
  readonly seed: number;
  /** Accepted requests as JSON lines; none written when absent. */
  readonly out?: string;
  readonly showProgress?: boolean;
}

export interface SentRequest extends AcceptedRequest {
  readonly sentAt: number;
  readonly latencyMs: number;
}

export interface LoadResult {
  readonly accepted: SentRequest[];
  /** `<status> <code>` (or `network <message>`) -> count. */
  readonly errors: Map<string, number>;
  readonly started: number;
  readonly sendSeconds: number;
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

/** `items` spread as evenly as possible over `requests`; `exclusion` makes half of them 1s and 2s. */
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

const count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

/** Sends the requests at the target rate with bounded concurrency, recording every 202. */
export async function sendLoad(deployment: Deployment, options: LoadOptions): Promise<LoadResult> {
  const requests = makeRequests(options);
  if (options.out) {
    mkdirSync(path.dirname(options.out), { recursive: true });
    writeFileSync(options.out, '');
  }
  const accepted: SentRequest[] = [];
  const errors = new Map<string, number>();
  const show = options.showProgress ? progress('load', requests.length) : () => {};
  const started = Date.now();
  let done = 0;
  await forEachConcurrently(requests, options.concurrency, async (items, index) => {
    // Paced by schedule, not by completions, so slow answers do not lower the offered rate.
    const due = started + (index * 1000) / options.rate;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    const sentAt = Date.now();
    try {
      const response = await postItems(deployment, JSON.stringify(items));
      if (response.status === 202) {
        const { requestId, enqueuedOutOfOrder } = response.json as AcceptedAnswer;
        const record: SentRequest = {
          requestId,
          items,
          ...(enqueuedOutOfOrder ? { enqueuedOutOfOrder } : {}),
          sentAt,
          latencyMs: Date.now() - sentAt,
        };
        accepted.push(record);
        if (options.out) appendFileSync(options.out, `${JSON.stringify(record)}\n`);
      } else {
        const code = (response.json as { error?: { code?: string } } | undefined)?.error?.code ?? 'no-json';
        count(errors, `${response.status} ${code}`);
      }
    } catch (error) {
      count(errors, `network ${messageOf(error)}`);
    }
    done += 1;
    show(done, `${accepted.length} accepted`);
  });
  return { accepted, errors, started, sendSeconds: (Date.now() - started) / 1000 };
}

export interface Percentiles {
  readonly p50?: number;
  readonly p95?: number;
  readonly p99?: number;
}

export const percentiles = (values: readonly number[]): Percentiles => ({
  p50: percentile(values, 50),
  p95: percentile(values, 95),
  p99: percentile(values, 99),
});

export interface StoredRun {
  /** Milliseconds from each stored item's POST to the write of the object holding it. */
  readonly latencies: number[];
  /** Epoch milliseconds of the write of each stored item's object, in the order of `latencies`. */
  readonly writtenAt: number[];
  /** Results objects holding items of the run: one PUT each. */
  readonly objectsWritten: number;
  /** For each accepted request, in the order of `load.accepted`: the results objects holding its items. */
  readonly objectsPerRequest: number[];
  /** Epoch milliseconds of the run's last object write (its start when nothing was stored). */
  readonly lastWrittenAt: number;
}

/** Reads back the results objects that hold a run's accepted items. */
export async function storedRun(
  clients: Clients,
  deployment: Deployment,
  load: LoadResult,
): Promise<StoredRun> {
  const sentAt = new Map(load.accepted.map((request) => [request.requestId, request.sentAt]));
  const results = await readResultsObjects(clients, deployment.bucketName, {
    concurrency: 16,
    modifiedSince: new Date(load.started - 60_000),
  });
  const latencies: number[] = [];
  const itemsWrittenAt: number[] = [];
  let objectsWritten = 0;
  const objectsOf = new Map<string, number>();
  let lastWrittenAt = load.started;
  for (const { body } of results) {
    const ours = body.items.filter((entry) => sentAt.has(entry.requestId));
    if (ours.length === 0) continue;
    objectsWritten += 1;
    const writtenAt = Date.parse(body.writtenAt);
    lastWrittenAt = Math.max(lastWrittenAt, writtenAt);
    for (const entry of ours) {
      latencies.push(writtenAt - (sentAt.get(entry.requestId) ?? writtenAt));
      itemsWrittenAt.push(writtenAt);
    }
    for (const requestId of new Set(ours.map((entry) => entry.requestId))) {
      objectsOf.set(requestId, (objectsOf.get(requestId) ?? 0) + 1);
    }
  }
  const objectsPerRequest = load.accepted.map((request) => objectsOf.get(request.requestId) ?? 0);
  return { latencies, writtenAt: itemsWrittenAt, objectsWritten, objectsPerRequest, lastWrittenAt };
}
