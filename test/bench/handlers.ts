import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { deduplicationId, encodeEnvelope } from '../../lambdas/domain/envelope';
import { METRICS_NAMESPACE } from '../../lambdas/shared/metric-names';
import { lambdaContext, v1Event } from '../support/lambda-events';
import {
  BATCH_ENV,
  BUCKET_NAME,
  INGEST_ENV,
  medianOf,
  type Progress,
  QUEUE_URL,
  RUN_MS,
  WARMUP_MS,
} from './measure';

/**
 * The real exported handlers with SQS, S3 and the ledger's DynamoDB answering instantly in process:
 * invocations per second.
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
    ...INGEST_ENV,
    ...BATCH_ENV,
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
  // The ledger: ingest writes its entry per request, the batch writer one update per request and segment.
  mockClient(DynamoDBClient).onAnyCommand().resolves({});
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
