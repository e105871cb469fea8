import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { build, type Metafile } from 'esbuild';
import { deduplicationId, encodeEnvelope } from '../../lambdas/domain/envelope';
import { segmentByExclusion } from '../../lambdas/domain/segment';
import { lambdaContext, v1Event } from '../../test/support/lambda-events';
import { FUNCTION_BUNDLING, PROJECT_ROOT } from '../lib/function-bundling';
import { seededRandom } from './load-run';
import { median } from './stats';

/**
 * In-process benchmarks: bundle size and module init of the function bundles, handler throughput
 * with AWS stubbed, and the segmenting rule. Every function measures and returns JSON-able numbers
 * (medians over runs); none asserts a timing.
 */

export type Progress = (message: string) => void;

const METRICS_NAMESPACE = 'FifoBatchPipeline';
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/FifoBatchPipeline-items.fifo';
const BUCKET_NAME = 'fifobatchpipeline-results-123456789012';
/** Measured time per run of the throughput benchmarks, after a warm-up of WARMUP_MS. */
const RUN_MS = 1000;
const WARMUP_MS = 500;

const medianOf = (values: readonly number[]): number => median(values) ?? Number.NaN;

// ---------------------------------------------------------------------------------------------
// Cold start: bundle size and require + module init in fresh processes
// ---------------------------------------------------------------------------------------------

export interface BundleResult {
  readonly name: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly sourceMapBytes: number;
  /** Median require + module init, with NODE_OPTIONS=--enable-source-maps as the stack sets it. */
  readonly initMs: number;
  /** The same without --enable-source-maps, measured alternately with `initMs`. */
  readonly initMsWithoutSourceMaps: number;
  /** `initMs` over the hello-world bundle's `initMs`. */
  readonly initRatioToHello: number;
  /** Packages (or own code) by bytes in the minified bundle, largest first. */
  readonly biggestInputs: readonly { readonly name: string; readonly bytes: number }[];
}

export interface ColdStartResult {
  readonly node: string;
  readonly runs: number;
  readonly bundles: BundleResult[];
}

interface BundleSpec {
  readonly name: string;
  /** Relative to the project root; the hello-world floor is written into the temp folder instead. */
  readonly entry?: string;
  /** What the handler needs at init on top of the common environment. */
  readonly env: Readonly<Record<string, string>>;
}

const BUNDLES: readonly BundleSpec[] = [
  { name: 'hello', env: {} },
  {
    name: 'ingest',
    entry: 'lambdas/ingest/handler.ts',
    env: { QUEUE_URL, POWERTOOLS_SERVICE_NAME: 'ingest' },
  },
  {
    name: 'batch',
    entry: 'lambdas/batch/handler.ts',
    env: { BUCKET_NAME, POWERTOOLS_SERVICE_NAME: 'batch' },
  },
];

const HELLO_SOURCE = 'export const handler = async () => ({ statusCode: 200 });\n';

// Runs in the child: only the require is timed, not Node's own start-up.
const LOADER_SOURCE = `const file = process.argv[2];
const start = process.hrtime.bigint();
const loaded = require(file);
const ms = Number(process.hrtime.bigint() - start) / 1e6;
if (typeof loaded.handler !== 'function') throw new Error(file + ' exports no handler');
process.stdout.write(String(ms));
`;

/**
 * The esbuild options NodejsFunction derives from PipelineFunction's bundling props, from the same
 * settings (cdk/lib/function-bundling.ts), run from the project root as CDK does. `sourcemap: true`
 * is CDK's `--sourcemap`: an external file plus the sourceMappingURL comment that Node follows.
 */
async function bundleLikeTheStack(entry: string, outfile: string): Promise<Metafile> {
  const result = await build({
    entryPoints: [entry],
    outfile,
    absWorkingDir: PROJECT_ROOT,
    bundle: true,
    platform: 'node',
    target: FUNCTION_BUNDLING.target,
    format: 'cjs',
    minify: FUNCTION_BUNDLING.minify,
    sourcemap: FUNCTION_BUNDLING.sourceMap,
    sourcesContent: FUNCTION_BUNDLING.sourcesContent,
    mainFields: [...FUNCTION_BUNDLING.mainFields],
    alias: FUNCTION_BUNDLING.alias,
    external: [],
    metafile: true,
    logLevel: 'warning',
  });
  return result.metafile;
}

const packageOf = (input: string): string => {
  const at = input.lastIndexOf('node_modules/');
  if (at === -1) return 'own code';
  const [first = input, second] = input.slice(at + 'node_modules/'.length).split('/');
  return first.startsWith('@') ? `${first}/${second}` : first;
};

function biggestInputs(metafile: Metafile, count: number): { name: string; bytes: number }[] {
  const output = Object.values(metafile.outputs).find((candidate) => candidate.entryPoint !== undefined);
  const byPackage = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const name = packageOf(input);
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
  }
  return [...byPackage]
    .map(([name, bytes]) => ({ name, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, count);
}

const execFileAsync = promisify(execFile);

interface BuiltBundle {
  readonly spec: BundleSpec;
  readonly file: string;
  readonly metafile: Metafile;
  readonly code: Buffer;
  readonly mapBytes: number;
  readonly withMaps: number[];
  readonly withoutMaps: number[];
}

async function initMs(
  loader: string,
  file: string,
  env: Readonly<Record<string, string>>,
  sourceMaps: boolean,
): Promise<number> {
  // A minimal environment, like a function's: nothing from this process leaks into the child.
  const { stdout } = await execFileAsync(process.execPath, [loader, file], {
    env: {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      ...(sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
      ...env,
    },
  });
  return Number(stdout);
}

/**
 * Bundles the hello-world floor and both handlers as the stack does, then times require + module
 * init in `runs` fresh processes each, alternating bundles and source-map settings so that noise
 * spreads evenly over them.
 */
export async function benchColdStart(runs = 7, onProgress?: Progress): Promise<ColdStartResult> {
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-inprocess-'));
  try {
    // The project's package.json says "type": "module"; the temp folder is outside it anyway, but
    // the marker keeps the CommonJS bundles CommonJS wherever tmpdir() points.
    await writeFile(path.join(dir, 'package.json'), '{"type":"commonjs"}\n');
    const loader = path.join(dir, 'loader.js');
    await writeFile(loader, LOADER_SOURCE);
    const helloEntry = path.join(dir, 'hello.ts');
    await writeFile(helloEntry, HELLO_SOURCE);

    const built: BuiltBundle[] = [];
    for (const spec of BUNDLES) {
      onProgress?.(`bundling ${spec.name}`);
      const file = path.join(dir, `${spec.name}.js`);
      const metafile = await bundleLikeTheStack(spec.entry ?? helloEntry, file);
      const code = await readFile(file);
      const map = await readFile(`${file}.map`);
      built.push({ spec, file, metafile, code, mapBytes: map.length, withMaps: [], withoutMaps: [] });
    }

    // Round 0 warms the page cache and Node's own start-up paths; it is not counted.
    for (let round = 0; round <= runs; round += 1) {
      for (const bundle of built) {
        const order = round % 2 === 0 ? [true, false] : [false, true];
        for (const sourceMaps of order) {
          const ms = await initMs(loader, bundle.file, bundle.spec.env, sourceMaps);
          if (round > 0) (sourceMaps ? bundle.withMaps : bundle.withoutMaps).push(ms);
        }
      }
      if (round > 0) onProgress?.(`cold start: run ${round}/${runs}`);
    }

    const helloMs = medianOf(built[0]?.withMaps ?? []);
    return {
      node: process.version,
      runs,
      bundles: built.map((bundle) => ({
        name: bundle.spec.name,
        bytes: bundle.code.length,
        gzipBytes: gzipSync(bundle.code).length,
        sourceMapBytes: bundle.mapBytes,
        initMs: medianOf(bundle.withMaps),
        initMsWithoutSourceMaps: medianOf(bundle.withoutMaps),
        initRatioToHello: medianOf(bundle.withMaps) / helloMs,
        biggestInputs: biggestInputs(bundle.metafile, 8),
      })),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Handlers: the real exported handlers, with SQS and S3 answering instantly in process
// ---------------------------------------------------------------------------------------------

export interface HandlerResult {
  readonly name: string;
  readonly itemsPerCall: number;
  /** Median over runs; one invocation at a time, as Lambda runs them. */
  readonly callsPerSecond: number;
  readonly itemsPerSecond: number;
  readonly microsPerCall: number;
  /** Stubbed SDK calls per invocation: shows the benchmark takes the path it claims to. */
  readonly awsCallsPerCall: number;
  /** What the stub itself costs per invocation: `awsCallsPerCall` x the median of a bare stubbed send. */
  readonly stubMicrosPerCall: number;
  /** Median over runs of the invocation time less its stubbed sends, each run against its own floor. */
  readonly microsPerCallNetOfStub: number;
  readonly runsCallsPerSecond: number[];
}

/** What the loop needs from an aws-sdk-client-mock stub of either client. */
interface StubHistory {
  readonly send: { readonly callCount: number };
  resetHistory(): unknown;
}

interface Timed {
  readonly invoke: () => Promise<unknown>;
  readonly mock: StubHistory;
  /** Microseconds per invocation, one value per run. */
  readonly micros: number[];
  awsCalls: number;
}

interface HandlerCase extends Timed {
  readonly name: string;
  readonly itemsPerCall: number;
  /** A bare `send` on the same stub: aws-sdk-client-mock goes through sinon, which is not free. */
  readonly stub: Timed;
}

/** A POST /items through an edge-optimized REST API with an API key, headers as API Gateway sends them. */
const ingestEvent = (items: readonly number[]): APIGatewayProxyEvent =>
  v1Event({
    body: JSON.stringify(items),
    headers: {
      Accept: '*/*',
      'CloudFront-Forwarded-Proto': 'https',
      'CloudFront-Is-Desktop-Viewer': 'true',
      'CloudFront-Is-Mobile-Viewer': 'false',
      'CloudFront-Viewer-Country': 'DE',
      'Content-Type': 'application/json',
      Host: 'abcdef1234.execute-api.us-east-1.amazonaws.com',
      'User-Agent': 'curl/8.5.0',
      Via: '2.0 0123456789abcdef0123456789abcdef.cloudfront.net (CloudFront)',
      'X-Amz-Cf-Id': 'Qm9vZ3VzQ2xvdWRGcm9udElkZW50aWZpZXJGb3JCZW5jaG1hcmtz==',
      'X-Amzn-Trace-Id': 'Root=1-6741a2b3-0123456789abcdef01234567',
      'X-Forwarded-For': '203.0.113.7, 130.176.0.1',
      'X-Forwarded-Port': '443',
      'X-Forwarded-Proto': 'https',
      'x-api-key': 'k3yV4lu3F0rB3nchm4rks0nlyAbCdEfGh1234567',
    },
  });

/** A chunk of messages as the ingest function sends them. */
function ingestEntries(count: number): SendMessageBatchRequestEntry[] {
  const requestId = randomUUID();
  const acceptedAt = new Date().toISOString();
  return Array.from({ length: count }, (_, index) => ({
    Id: String(index),
    MessageBody: encodeEnvelope({ v: 1, item: index % 10, requestId, index, acceptedAt }),
    MessageGroupId: requestId,
    MessageDeduplicationId: deduplicationId(requestId, index),
  }));
}

/** One message group's records as the event source mapping delivers them, with valid envelopes. */
function batchEvent(items: readonly number[]): SQSEvent {
  const requestId = randomUUID();
  const acceptedAt = new Date().toISOString();
  return {
    Records: items.map((item, index) => ({
      messageId: randomUUID(),
      receiptHandle: `AQEB${'x'.repeat(180)}`,
      body: encodeEnvelope({ v: 1, item, requestId, index, acceptedAt }),
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(Date.now()),
        SenderId: 'AROAEXAMPLEROLEID:ingest',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
        SequenceNumber: `1889000000000000000${index}`,
        MessageGroupId: requestId,
        MessageDeduplicationId: deduplicationId(requestId, index),
      },
      messageAttributes: {},
      md5OfBody: '0123456789abcdef0123456789abcdef',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:FifoBatchPipeline-items.fifo',
      awsRegion: 'us-east-1',
    })),
  };
}

/**
 * The stubs keep every call (arguments, a captured stack) until reset. Cleared this often, they do
 * not grow the heap, which slowed the handlers' own allocations too (up to 2x on the 100-item case).
 */
const HISTORY_RESET_CALLS = 64;

/** Invokes one call after another for `ms` milliseconds, counting the stubbed SDK calls. */
async function timeCalls(ms: number, { invoke, mock }: Timed): Promise<{ micros: number; awsCalls: number }> {
  mock.resetHistory();
  const start = performance.now();
  const end = start + ms;
  let calls = 0;
  let awsCalls = 0;
  let now = start;
  while (now < end) {
    await invoke();
    calls += 1;
    if (calls % HISTORY_RESET_CALLS === 0) {
      awsCalls += mock.send.callCount;
      mock.resetHistory();
    }
    now = performance.now();
  }
  awsCalls += mock.send.callCount;
  return { micros: ((now - start) * 1000) / calls, awsCalls: awsCalls / calls };
}

/**
 * Metrics stay enabled so their per-call serialization is measured; in dev mode Powertools writes
 * them with the global console.log (instead of its own stdout Console), which is muted here.
 */
async function muted<T>(work: () => Promise<T>): Promise<T> {
  const log = console.log;
  console.log = () => undefined;
  try {
    return await work();
  } finally {
    console.log = log;
  }
}

/**
 * Requests/s of the ingest handler (4 and 100 items) and records/s of the batch handler (5 records
 * of one group, 1s and 2s mixed), and a bare stubbed send of each client, rotating all of them
 * within each run. Sets the functions' env in this process, since the handlers read it when first
 * imported.
 */
export async function benchHandlers(runs = 5, onProgress?: Progress): Promise<HandlerResult[]> {
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    QUEUE_URL,
    BUCKET_NAME,
    POWERTOOLS_SERVICE_NAME: 'bench',
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_DEV: 'true',
    // Dev mode would otherwise disable metrics altogether.
    POWERTOOLS_METRICS_DISABLED: 'false',
  });
  const sqs = mockClient(SQSClient);
  const s3 = mockClient(S3Client);
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  s3.on(PutObjectCommand).resolves({});
  try {
    const ingest = await import('../../lambdas/ingest/handler');
    const batch = await import('../../lambdas/batch/handler');
    const ingestContext = lambdaContext('ingest');
    const batchContext = lambdaContext('batch');

    // The floors send what the handlers send: a full chunk of envelopes, one small results object.
    const sqsClient = new SQSClient({});
    const s3Client = new S3Client({});
    const chunk = ingestEntries(10);
    const sqsStub: Timed = {
      invoke: () => sqsClient.send(new SendMessageBatchCommand({ QueueUrl: QUEUE_URL, Entries: chunk })),
      mock: sqs,
      micros: [],
      awsCalls: 0,
    };
    const resultsObject = JSON.stringify({
      v: 1,
      items: chunk.slice(0, 2).map((entry) => entry.MessageBody),
    });
    const s3Stub: Timed = {
      invoke: () =>
        s3Client.send(
          new PutObjectCommand({
            Bucket: BUCKET_NAME,
            Key: `results/2026/11/23/10/42/${'0'.repeat(32)}.json`,
            Body: resultsObject,
            ContentType: 'application/json',
          }),
        ),
      mock: s3,
      micros: [],
      awsCalls: 0,
    };

    const ingestCase = (items: number[]): HandlerCase => {
      const event = ingestEvent(items);
      return {
        name: `ingest, ${items.length} items/request`,
        itemsPerCall: items.length,
        invoke: () => ingest.handler(event, ingestContext),
        mock: sqs,
        micros: [],
        awsCalls: 0,
        stub: sqsStub,
      };
    };
    // [1,3] [2,2] [1]: three objects per invocation, two of them cut by the exclusion rule.
    const records = batchEvent([1, 3, 2, 2, 1]);
    const cases: HandlerCase[] = [
      ingestCase([1, 2, 3, 4]),
      ingestCase(Array.from({ length: 100 }, (_, i) => i % 10)),
      {
        name: 'batch, 5 records/invocation',
        itemsPerCall: records.Records.length,
        invoke: () => batch.handler(records, batchContext),
        mock: s3,
        micros: [],
        awsCalls: 0,
        stub: s3Stub,
      },
    ];
    const rotation: Timed[] = [...cases, sqsStub, s3Stub];

    onProgress?.('handlers: warming up');
    for (const timed of rotation) await muted(() => timeCalls(WARMUP_MS, timed));
    for (let run = 1; run <= runs; run += 1) {
      for (const timed of rotation) {
        const { micros, awsCalls } = await muted(() => timeCalls(RUN_MS, timed));
        timed.micros.push(micros);
        timed.awsCalls = awsCalls;
      }
      onProgress?.(`handlers: run ${run}/${runs}`);
    }

    return cases.map(({ name, itemsPerCall, micros, awsCalls, stub }) => {
      const rate = 1e6 / medianOf(micros);
      return {
        name,
        itemsPerCall,
        callsPerSecond: rate,
        itemsPerSecond: rate * itemsPerCall,
        microsPerCall: medianOf(micros),
        awsCallsPerCall: awsCalls,
        stubMicrosPerCall: awsCalls * medianOf(stub.micros),
        microsPerCallNetOfStub: medianOf(
          micros.map((value, run) => value - awsCalls * (stub.micros[run] ?? 0)),
        ),
        runsCallsPerSecond: micros.map((value) => 1e6 / value),
      };
    });
  } finally {
    sqs.restore();
    s3.restore();
  }
}

// ---------------------------------------------------------------------------------------------
// Segmenting: the exclusion rule alone
// ---------------------------------------------------------------------------------------------

export interface SegmentingResult {
  readonly name: string;
  readonly batchSize: number;
  /** Median over runs. */
  readonly itemsPerSecond: number;
  readonly nanosPerBatch: number;
  /** Average segments per batch: also keeps the results alive, so nothing is optimized away. */
  readonly segmentsPerBatch: number;
  readonly runsItemsPerSecond: number[];
}

/** Distinct batches cycled through, so branch prediction cannot learn a single input. */
const POOL_SIZE = 1024;

/**
 * Items/s of `segmentByExclusion` over batches of 5 and of 10 items drawn uniformly from 0..9
 * (seeded, so every run sees the same batches), pair (1, 2), segment size = batch size as in the
 * batch function.
 */
export async function benchSegmenting(runs = 5, onProgress?: Progress): Promise<SegmentingResult[]> {
  const random = seededRandom(1);
  const cases = [5, 10].map((batchSize) => ({
    batchSize,
    pool: Array.from({ length: POOL_SIZE }, () =>
      Array.from({ length: batchSize }, () => Math.floor(random() * 10)),
    ),
    rules: { exclusionPairs: [[1, 2]] as const, maxSize: batchSize },
    runs: [] as number[],
    segments: 0,
    batches: 0,
  }));
  const identity = (item: number): number => item;
  const pass = (segmenting: (typeof cases)[number]): void => {
    for (const batch of segmenting.pool) {
      segmenting.segments += segmentByExclusion(batch, identity, segmenting.rules).segments.length;
    }
    segmenting.batches += POOL_SIZE;
  };

  for (const segmenting of cases) {
    const end = performance.now() + WARMUP_MS;
    while (performance.now() < end) pass(segmenting);
  }
  for (let run = 1; run <= runs; run += 1) {
    for (const segmenting of cases) {
      // The clock is read once per pass of the pool, not per call.
      let passes = 0;
      const start = performance.now();
      let now = start;
      while (now - start < RUN_MS) {
        pass(segmenting);
        passes += 1;
        now = performance.now();
      }
      segmenting.runs.push((passes * POOL_SIZE * segmenting.batchSize * 1000) / (now - start));
    }
    onProgress?.(`segmenting: run ${run}/${runs}`);
    // Lets progress output and other callbacks through between runs of this synchronous loop.
    await new Promise((resolve) => setImmediate(resolve));
  }

  return cases.map(({ batchSize, runs: rates, segments, batches }) => {
    const rate = medianOf(rates);
    return {
      name: `segmentByExclusion, ${batchSize} items/batch`,
      batchSize,
      itemsPerSecond: rate,
      nanosPerBatch: (1e9 * batchSize) / rate,
      segmentsPerBatch: segments / batches,
      runsItemsPerSecond: rates,
    };
  });
}
