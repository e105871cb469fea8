import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishBatchCommand, type PublishBatchRequestEntry, SNSClient } from '@aws-sdk/client-sns';
import type { APIGatewayProxyEvent, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { DEFAULT_CONFIG } from '../../cdk/lib/config';
import { deduplicationId, encodeEnvelope } from '../../lambdas/domain/envelope';
import { METRICS_NAMESPACE } from '../../lambdas/shared/metric-names';
import { makeRequests } from '../harness/load-run';
import { lambdaContext, v1Event } from '../support/lambda-events';
import { ledgerUnitsPerItem, type RequestStorage } from './cost-model';
import {
  BATCH_ENV,
  BUCKET_NAME,
  INGEST_ENV,
  medianOf,
  type Progress,
  RUN_MS,
  TOPIC_ARN,
  WARMUP_MS,
} from './measure';
import { pricedTable } from './priced-table';

/**
 * The real exported handlers with SQS, S3 and the ledger's DynamoDB answering instantly in process:
 * invocations per second (benchHandlers), and the ledger's DynamoDB calls and request units per item,
 * priced on an in-memory table (measureLedgerRequests).
 */

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
const ingestEvent = (items: readonly number[], idempotencyKey?: string): APIGatewayProxyEvent =>
  v1Event({
    body: JSON.stringify(items),
    // API Gateway's API key ids are 10 characters; the ledger stores the id in every entry.
    apiKeyId: 'a1b2c3d4e5',
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
      ...(idempotencyKey === undefined ? {} : { 'Idempotency-Key': idempotencyKey }),
    },
  });

/** One request's messages as the ingest function publishes them. */
function envelopeEntries(items: readonly number[]): PublishBatchRequestEntry[] {
  const requestId = randomUUID();
  const acceptedAt = new Date().toISOString();
  return items.map((item, index) => ({
    Id: String(index),
    Message: encodeEnvelope({ v: 1, item, requestId, index, acceptedAt }),
    MessageGroupId: requestId,
    MessageDeduplicationId: deduplicationId(requestId, index),
  }));
}

/** Messages as the event source mapping delivers them: first receives, in the order given. */
function sqsEvent(entries: readonly PublishBatchRequestEntry[]): SQSEvent {
  return {
    Records: entries.map((entry, position) => ({
      messageId: randomUUID(),
      receiptHandle: `AQEB${'x'.repeat(180)}`,
      body: entry.Message ?? '',
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(Date.now()),
        SenderId: 'AROAEXAMPLEROLEID:ingest',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
        SequenceNumber: `1889000000000000000${position}`,
        MessageGroupId: entry.MessageGroupId ?? '',
        MessageDeduplicationId: entry.MessageDeduplicationId ?? '',
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
 * The real handlers, with the functions' env set in this process first: the handlers read it when
 * first imported.
 */
async function importHandlers() {
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    ...INGEST_ENV,
    ...BATCH_ENV,
    POWERTOOLS_SERVICE_NAME: 'bench',
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_DEV: 'true',
    // Dev mode would otherwise disable metrics altogether.
    POWERTOOLS_METRICS_DISABLED: 'false',
  });
  return {
    ingest: await import('../../lambdas/ingest/handler'),
    batch: await import('../../lambdas/batch/handler'),
    ingestContext: lambdaContext('ingest'),
    batchContext: lambdaContext('batch'),
  };
}

/**
 * Requests/s of the ingest handler (4 and 100 items) and records/s of the batch handler (5 records
 * of one group, 1s and 2s mixed), and a bare stubbed send of each client, rotating all of them
 * within each run.
 */
export async function benchHandlers(runs = 5, onProgress?: Progress): Promise<HandlerResult[]> {
  const sns = mockClient(SNSClient);
  const s3 = mockClient(S3Client);
  // The ledger answers at once; measureLedgerRequests below counts and prices its calls.
  const ddb = mockClient(DynamoDBClient);
  sns.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
  s3.on(PutObjectCommand).resolves({});
  ddb.onAnyCommand().resolves({});
  try {
    const { ingest, batch, ingestContext, batchContext } = await importHandlers();

    // The floors send what the handlers send: a full chunk of envelopes, one small results object.
    const snsClient = new SNSClient({});
    const s3Client = new S3Client({});
    const chunk = envelopeEntries(Array.from({ length: 10 }, (_, index) => index));
    const snsStub: Timed = {
      invoke: () =>
        snsClient.send(new PublishBatchCommand({ TopicArn: TOPIC_ARN, PublishBatchRequestEntries: chunk })),
      mock: sns,
      micros: [],
      awsCalls: 0,
    };
    const resultsObject = JSON.stringify({
      v: 1,
      items: chunk.slice(0, 2).map((entry) => entry.Message),
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
        mock: sns,
        micros: [],
        awsCalls: 0,
        stub: snsStub,
      };
    };
    // [1,3] [2,2] [1]: three objects per invocation, two of them cut by the exclusion rule.
    const records = sqsEvent(envelopeEntries([1, 3, 2, 2, 1]));
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
    const rotation: Timed[] = [...cases, snsStub, s3Stub];

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
    sns.restore();
    s3.restore();
    ddb.restore();
  }
}

/** The ledger table's partition key (cdk/lib/constructs/request-ledger.ts): entries and idempotency records. */
const TABLE_KEY = 'pk';

export interface LedgerRequestCounts {
  readonly itemsPerRequest: number;
  readonly idempotencyKey: boolean;
  readonly requests: number;
  readonly items: number;
  /** The ingest function's DynamoDB calls per POST, by command. */
  readonly ingestCallsPerRequest: Record<string, number>;
  readonly ingestWriteUnitsPerRequest: number;
  /** The batch function's DynamoDB calls per stored item, by command. */
  readonly batchCallsPerItem: Record<string, number>;
  readonly batchWriteUnitsPerItem: number;
  readonly objectsPerItem: number;
  /** Both functions' ledger units per stored item. */
  readonly writeUnitsPerItem: number;
  readonly readUnitsPerItem: number;
  /** What cost-model.ts's ledgerUnitsPerItem makes of the objects counted here: the model against the handlers. */
  readonly modelWriteUnitsPerItem: number;
  /** The largest ledger item written: how far entries are from the 1 KB of one write unit. */
  readonly largestItemBytes: number;
}

const callsPer = (calls: Record<string, number>, count: number): Record<string, number> =>
  Object.fromEntries(Object.entries(calls).map(([name, n]) => [name, n / count]));

/** Per request, the distinct results objects holding its items, read from the PUT bodies. */
function objectsPerRequest(bodies: readonly string[]): Map<string, number> {
  const objects = new Map<string, number>();
  for (const body of bodies) {
    const requestIds = new Set(
      (JSON.parse(body) as { items: { requestId: string }[] }).items.map((i) => i.requestId),
    );
    for (const requestId of requestIds) objects.set(requestId, (objects.get(requestId) ?? 0) + 1);
  }
  return objects;
}

/** Messages per group: per request, as each request is its own group (`perRequest` ordering). */
function itemsPerGroup(entries: readonly PublishBatchRequestEntry[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { MessageGroupId = '' } of entries)
    counts.set(MessageGroupId, (counts.get(MessageGroupId) ?? 0) + 1);
  return counts;
}

/**
 * The ledger's DynamoDB calls and request units per POST and per item, counted on the real handlers:
 * `items` uniform items (the end-to-end bench's workload) are POSTed `itemsPerRequest` at a time, with
 * or without an Idempotency-Key, then every message SQS took is delivered in batches of the default
 * batchSize in send order, as the event source mapping drains a backlog (SQS FIFO hands out a group's
 * messages together). First deliveries only: redeliveries add a read per request and batch.
 */
export async function measureLedgerRequests(
  itemsPerRequest: readonly number[] = [1, 4, 100],
  items = 2000,
): Promise<LedgerRequestCounts[]> {
  const sns = mockClient(SNSClient);
  const s3 = mockClient(S3Client);
  sns.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
  s3.on(PutObjectCommand).resolves({});
  const table = pricedTable([TABLE_KEY]);
  try {
    const { ingest, batch, ingestContext, batchContext } = await importHandlers();
    const results: LedgerRequestCounts[] = [];
    for (const size of itemsPerRequest) {
      for (const idempotencyKey of [false, true]) {
        const requests = makeRequests({ items, requests: Math.ceil(items / size), mix: 'uniform', seed: 2 });
        sns.resetHistory();
        s3.resetHistory();
        table.take();
        await muted(async () => {
          for (const [index, request] of requests.entries()) {
            const key = idempotencyKey ? `bench-${size}-${index}-${randomUUID()}` : undefined;
            await ingest.handler(ingestEvent(request, key), ingestContext);
          }
        });
        const ingestMeter = table.take();
        const sent = sns
          .commandCalls(PublishBatchCommand)
          .flatMap((call) => call.args[0].input.PublishBatchRequestEntries ?? []);
        await muted(async () => {
          for (let start = 0; start < sent.length; start += DEFAULT_CONFIG.batchSize) {
            await batch.handler(sqsEvent(sent.slice(start, start + DEFAULT_CONFIG.batchSize)), batchContext);
          }
        });
        const batchMeter = table.take();
        const bodies = s3.commandCalls(PutObjectCommand).map((call) => String(call.args[0].input.Body));
        const objects = objectsPerRequest(bodies);
        const stored: RequestStorage[] = [...itemsPerGroup(sent)].map(([requestId, count]) => ({
          items: count,
          objects: objects.get(requestId) ?? 0,
        }));
        const model = ledgerUnitsPerItem({ requests: stored, idempotencyKeys: idempotencyKey });
        results.push({
          itemsPerRequest: size,
          idempotencyKey,
          requests: requests.length,
          items: sent.length,
          ingestCallsPerRequest: callsPer(ingestMeter.calls, requests.length),
          ingestWriteUnitsPerRequest: ingestMeter.writeUnits / requests.length,
          batchCallsPerItem: callsPer(batchMeter.calls, sent.length),
          batchWriteUnitsPerItem: batchMeter.writeUnits / sent.length,
          objectsPerItem: bodies.length / sent.length,
          writeUnitsPerItem: (ingestMeter.writeUnits + batchMeter.writeUnits) / sent.length,
          readUnitsPerItem: (ingestMeter.readUnits + batchMeter.readUnits) / sent.length,
          modelWriteUnitsPerItem: model.dynamoDbWriteUnits,
          largestItemBytes: table.largestItemBytes(),
        });
      }
    }
    return results;
  } finally {
    sns.restore();
    s3.restore();
    table.restore();
  }
}
