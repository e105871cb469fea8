import { randomInt } from 'node:crypto';
import { listKeys, readJson } from '../../cdk/ops/bucket';
import { runTool, toolArgs } from '../../cdk/ops/cli';
import { integerOption, numberOption } from '../../cdk/ops/cli-options';
import { forEachConcurrently } from '../../cdk/ops/concurrency';
import { type Clients, clientsFor, type Deployment, loadDeployment } from '../../cdk/ops/deployment';
import { postItems } from '../../cdk/ops/pipeline-client';
import { table } from '../../cdk/ops/terminal';
import { messageOf } from '../../lambdas/domain/errors';
import { FAILED_PREFIX, parseStoredKey, RESULTS_PREFIX } from '../../lambdas/domain/keys';
import type { FailureRecord, ResultsObject } from '../../lambdas/domain/stored-objects';
import {
  CATEGORIES,
  type Category,
  checkResponse,
  type FuzzCase,
  fuzzCases,
  postFuzzCase,
} from './fuzz-cases';

const USAGE = `usage: npm run fuzz -- [--cases N] [--seed S] [--concurrency C] [--rate RPS] [--timeout S] [--stack NAME]

Sends invalid POST /items requests (malformed JSON, bad items, limits, content types, Idempotency-Keys,
API keys; with auth iam, requests without a signature) to the deployment (.local/outputs.json, or
--stack NAME) and checks every answer: the expected 4xx status and {"error":{"code","message"}} with
the expected code (and index). Then it
sends one valid sentinel request and, once that is stored, counts any other new item in S3.
Exits 1 on any mismatch, 5xx, 202 or enqueued item.

  --cases N        requests to send, the categories in rotation (default 5000)
  --seed S         generator seed (default: random, printed)
  --concurrency C  requests in flight at most (default 8)
  --rate RPS       requests per second at most (default 90, under the usage plan's default 100;
                   a 429 is retried with backoff, since it says nothing about the case)
  --timeout S      seconds to wait for the sentinel to be stored (default 120)
  --stack NAME     a stack in your AWS account instead of the local deployment`;

const REQUEST_TIMEOUT_MS = 30_000;
const POLL_MS = 500;
const MAX_EXAMPLES = 10;
/** Attempts per case while the usage plan answers 429, waiting 250 ms, 500 ms, ... in between. */
const THROTTLED_ATTEMPTS = 6;
const THROTTLED_BACKOFF_MS = 250;

interface Mismatch {
  readonly fuzzCase: FuzzCase;
  readonly problem: string;
}

interface CategoryTally {
  cases: number;
  mismatches: number;
  serverErrors: number;
  accepted: number;
}

interface SendResult {
  readonly tally: Record<Category, CategoryTally>;
  readonly mismatches: Mismatch[];
  /** 429 answers retried. */
  readonly throttled: number;
  readonly seconds: number;
}

interface SendOptions {
  readonly concurrency: number;
  readonly rate: number;
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Progress on stderr: a bar redrawn in place on a terminal, a line every 5% elsewhere (CI logs). */
function progress(total: number): (done: number, extra: string) => void {
  let lastStep = -1;
  return (done, extra) => {
    const share = total === 0 ? 1 : done / total;
    if (process.stderr.isTTY) {
      const filled = Math.round(share * 30);
      process.stderr.write(
        `\rfuzz [${'#'.repeat(filled)}${' '.repeat(30 - filled)}] ${done}/${total} ${extra}`,
      );
      if (done >= total) process.stderr.write('\n');
      return;
    }
    const step = Math.floor(share * 20);
    if (step !== lastStep) {
      lastStep = step;
      process.stderr.write(`fuzz ${done}/${total} (${step * 5}%) ${extra}\n`);
    }
  };
}

/** Posts a case, again after a 429 (the usage plan's answer, not the case's); returns the last answer. */
async function sendCase(
  deployment: Deployment,
  fuzzCase: FuzzCase,
  onThrottled: () => void,
): Promise<{ status: number; text: string }> {
  for (let attempt = 1; ; attempt += 1) {
    const answer = await postFuzzCase(deployment, fuzzCase, REQUEST_TIMEOUT_MS);
    if (answer.status !== 429 || attempt === THROTTLED_ATTEMPTS) return answer;
    onThrottled();
    await wait(THROTTLED_BACKOFF_MS * 2 ** (attempt - 1));
  }
}

/** Sends every case at most `rate` a second with at most `concurrency` in flight, checking each answer. */
async function sendCases(
  deployment: Deployment,
  cases: readonly FuzzCase[],
  { concurrency, rate }: SendOptions,
): Promise<SendResult> {
  const tally = Object.fromEntries(
    CATEGORIES.map((category) => [category, { cases: 0, mismatches: 0, serverErrors: 0, accepted: 0 }]),
  ) as Record<Category, CategoryTally>;
  const mismatches: Mismatch[] = [];
  const show = progress(cases.length);
  const started = performance.now();
  let done = 0;
  let throttled = 0;
  await forEachConcurrently(cases, concurrency, async (fuzzCase, index) => {
    // Paced by schedule, so the offered rate stays under the usage plan's throttle.
    const due = started + (index * 1000) / rate;
    if (due > performance.now()) await wait(due - performance.now());
    const counts = tally[fuzzCase.category];
    counts.cases += 1;
    let problem: string | undefined;
    try {
      const { status, text } = await sendCase(deployment, fuzzCase, () => {
        throttled += 1;
      });
      if (status >= 500) counts.serverErrors += 1;
      if (status === 202) counts.accepted += 1;
      problem = checkResponse(fuzzCase, status, text);
    } catch (error) {
      problem = `no answer: ${messageOf(error)}`;
    }
    if (problem !== undefined) {
      counts.mismatches += 1;
      mismatches.push({ fuzzCase, problem });
    }
    done += 1;
    show(done, `${mismatches.length} mismatches`);
  });
  return { tally, mismatches, throttled, seconds: (performance.now() - started) / 1000 };
}

const STORED_PREFIXES = [RESULTS_PREFIX, FAILED_PREFIX];

async function storedKeys(clients: Clients, bucket: string): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const prefix of STORED_PREFIXES) {
    for await (const { key } of listKeys(clients, bucket, prefix)) keys.add(key);
  }
  return keys;
}

interface StoredItemRef {
  readonly requestId?: string;
  readonly item?: number;
}

/** The items a results object or failure record holds (a failure record stands for one item). */
async function itemsIn(clients: Clients, bucket: string, key: string): Promise<StoredItemRef[]> {
  if (parseStoredKey(key)?.kind === 'results') {
    return [...(await readJson<ResultsObject>(clients, bucket, key)).items];
  }
  return [await readJson<FailureRecord>(clients, bucket, key)];
}

/**
 * Sends one valid request of a unique large item and waits until it is stored, so anything the
 * fuzz cases enqueued (sent before it) has had its turn; returns the other new items in S3.
 */
async function enqueuedSince(
  deployment: Deployment,
  clients: Clients,
  before: ReadonlySet<string>,
  timeoutMs: number,
): Promise<number> {
  const sentinel = Number.MAX_SAFE_INTEGER - randomInt(2 ** 40);
  const response = await postItems(deployment, JSON.stringify([sentinel]));
  if (response.status !== 202) {
    throw new Error(`the sentinel request was not accepted: ${response.status} ${response.text}`);
  }
  const { requestId } = response.json as { requestId: string };
  const isSentinel = (entry: StoredItemRef) => entry.requestId === requestId;
  const read = new Map<string, StoredItemRef[]>();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const key of await storedKeys(clients, deployment.bucketName)) {
      if (!before.has(key) && !read.has(key))
        read.set(key, await itemsIn(clients, deployment.bucketName, key));
    }
    const items = [...read.values()].flat();
    if (items.some(isSentinel)) return items.filter((entry) => !isSentinel(entry)).length;
    if (Date.now() > deadline) {
      throw new Error(
        `the sentinel item ${sentinel} (request ${requestId}) was not stored within ${timeoutMs / 1000} s`,
      );
    }
    await wait(POLL_MS);
  }
}

/** Up to MAX_EXAMPLES mismatches, the first of each category before the rest. */
function examplesOf(mismatches: readonly Mismatch[]): Mismatch[] {
  const seen = new Set<Category>();
  const firsts = mismatches.filter(
    ({ fuzzCase }) => !seen.has(fuzzCase.category) && seen.add(fuzzCase.category),
  );
  return [...new Set([...firsts, ...mismatches])].slice(0, MAX_EXAMPLES);
}

const describeCase = ({ fuzzCase, problem }: Mismatch): string =>
  [
    `[${fuzzCase.category} / ${fuzzCase.variant}] ${problem}`,
    `    body (${Buffer.byteLength(fuzzCase.body)} bytes): ${JSON.stringify(fuzzCase.body.slice(0, 120))}${fuzzCase.body.length > 120 ? '...' : ''}`,
    `    headers: ${JSON.stringify(fuzzCase.headers)}`,
  ].join('\n');

runTool(async () => {
  const { values } = toolArgs(USAGE, {
    cases: { type: 'string' },
    seed: { type: 'string' },
    concurrency: { type: 'string' },
    rate: { type: 'string' },
    timeout: { type: 'string' },
    stack: { type: 'string' },
  });
  const count = integerOption(values.cases, 'cases', 5000, 1, 1_000_000);
  const seed = integerOption(values.seed, 'seed', randomInt(2 ** 31), 0, 2 ** 31 - 1);
  const concurrency = integerOption(values.concurrency, 'concurrency', 8, 1, 256);
  const rate = numberOption(values.rate, 'rate', 90, 0.1);
  const timeoutMs = numberOption(values.timeout, 'timeout', 120, 1) * 1000;

  const deployment = await loadDeployment({ stack: values.stack });
  const clients = clientsFor(deployment);
  const cases = fuzzCases(count, seed);
  const before = await storedKeys(clients, deployment.bucketName);
  console.error(`Sending ${count} invalid requests (seed ${seed}) at ${rate} req/s to ${deployment.apiUrl}`);
  const { tally, mismatches, throttled, seconds } = await sendCases(deployment, cases, { concurrency, rate });

  console.error('Sending the sentinel and waiting until it is stored...');
  let enqueued: number | undefined;
  let sentinelProblem: string | undefined;
  try {
    enqueued = await enqueuedSince(deployment, clients, before, timeoutMs);
  } catch (error) {
    sentinelProblem = messageOf(error);
  }

  const rows = Object.entries(tally).map(([category, t]) => [
    category,
    t.cases,
    t.mismatches,
    t.serverErrors,
    t.accepted,
  ]);
  const total = (pick: (t: CategoryTally) => number) =>
    Object.values(tally).reduce((sum, t) => sum + pick(t), 0);
  const serverErrors = total((t) => t.serverErrors);
  const accepted = total((t) => t.accepted);
  console.log(
    table([
      ['category', 'cases', 'mismatches', '5xx', '202'],
      ...rows,
      ['all', count, mismatches.length, serverErrors, accepted],
    ]),
  );
  console.log(
    `\n${table([
      ['measure', 'value'],
      ['seed', seed],
      ['mismatches', mismatches.length],
      ['5xx answers', serverErrors],
      ['202 answers', accepted],
      ['429 answers retried', throttled],
      ['enqueued (new stored items but the sentinel)', enqueued ?? `unknown: ${sentinelProblem}`],
      ['send time', `${seconds.toFixed(1)} s`],
      ['cases/s', (count / seconds).toFixed(1)],
    ])}`,
  );
  if (mismatches.length > 0) {
    console.log(
      `\nExample mismatches (${Math.min(MAX_EXAMPLES, mismatches.length)} of ${mismatches.length}):`,
    );
    for (const mismatch of examplesOf(mismatches)) console.log(describeCase(mismatch));
  }
  const clean = mismatches.length === 0 && serverErrors === 0 && accepted === 0 && enqueued === 0;
  return clean ? 0 : 1;
});
