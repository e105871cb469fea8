import { randomUUID } from 'node:crypto';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import { waitUntil } from '../../cdk/local/local-cloud';
import { clientConfig, clientsFor, type Deployment } from '../../cdk/ops/deployment';
import { functionLogMessages } from '../../cdk/ops/function-logs';
import { waitForDrain } from '../../cdk/ops/queues';
import { readIngestSettings, readLedgerSettings } from '../../lambdas/domain/environment';
import {
  type ItemMix,
  type LoadResult,
  makeRequests,
  type Percentiles,
  percentiles,
  type SentRequest,
  sendLoad,
  storedRun,
} from '../harness/load-run';
import type { FunctionCounts } from './cost-model';
import type { FreshQueue, StackConsumer } from './fresh-queues';
import type { IngestVia } from './ingest-code';
import { type FedRequest, ingestLedgerWrites, ingestMessageBatches } from './queue-feed';
import { REFERENCE_CONSUMERS, type ReferenceConsumer, referenceRunSince } from './reference-consumers';
import { type RatesAroundSends, ratesAroundSends } from './round-summary';

/** Benchmarks against a deployed stack: throughput, latency, what each item costs in requests. */

const DRAIN_DEADLINE_MS = 900_000;
const DRAIN_POLL_MS = 100;
/** Ledger entries written at once before a batch-path run. */
const LEDGER_WRITERS = 8;

export interface PipelineRunOptions {
  /** How the deployed ingest code hands items on (ingest-code.ts): through the dispatcher, or straight to the queue. */
  readonly via: IngestVia;
  readonly items: number;
  readonly itemsPerRequest: number;
  /** Requests in flight at once; each request is its own message group. */
  readonly streams: number;
  readonly mix: ItemMix;
  readonly seed: number;
  /** Requests per second offered; unpaced when absent. */
  readonly rate?: number;
}

export interface PipelineRun extends PipelineRunOptions {
  readonly acceptedItems: number;
  readonly storedItems: number;
  readonly errors: Record<string, number>;
  /** From the first POST to the last object write. */
  readonly seconds: number;
  readonly itemsPerSecond: number;
  /** From the first POST to the last answer. */
  readonly sendSeconds: number;
  readonly requestMs: Percentiles;
  readonly postToS3Ms: Percentiles;
  readonly requestSizes: number[];
  readonly objectsWritten: number;
  /** Results objects holding each request's items, in the order of `requestSizes`: its ledger updates. */
  readonly objectsPerRequest: number[];
  readonly ingest: FunctionCounts;
  readonly batch: FunctionCounts;
  /** The batch function's pace while the POSTs go on and after the last one. */
  readonly consumption: RatesAroundSends;
}

/**
 * The full path: sends `items` through API Gateway and the ingest function with `streams` requests
 * in flight, waits until `queueUrl` (the queue the ingest function sends to) is empty, then counts
 * what the run cost: the objects holding its items (each one PUT) and the invocations of both
 * functions (their REPORT log lines).
 */
export async function runPipeline(
  deployment: Deployment,
  options: PipelineRunOptions,
  queueUrl: string,
): Promise<PipelineRun> {
  const clients = clientsFor(deployment);
  const load = await sendLoad(deployment, {
    items: options.items,
    requests: Math.ceil(options.items / options.itemsPerRequest),
    rate: options.rate ?? Number.POSITIVE_INFINITY,
    concurrency: options.streams,
    mix: options.mix,
    seed: options.seed,
  });
  await waitForDrain(clients, queueUrl, DRAIN_DEADLINE_MS, DRAIN_POLL_MS);

  const { latencies, writtenAt, objectsWritten, objectsPerRequest, lastWrittenAt } = await storedRun(
    clients,
    deployment,
    load,
  );

  const requestSizes = load.accepted.map((request) => request.items.length);
  const [ingest, batch] = await Promise.all([
    invocationsSince(deployment, deployment.ingestFunctionName, load.started, requestSizes.length),
    invocationsSince(deployment, deployment.batchFunctionName, load.started, 1),
  ]);
  const seconds = (lastWrittenAt - load.started) / 1000;
  return {
    ...options,
    acceptedItems: requestSizes.reduce((sum, size) => sum + size, 0),
    storedItems: latencies.length,
    errors: Object.fromEntries(load.errors),
    seconds,
    itemsPerSecond: seconds > 0 ? latencies.length / seconds : 0,
    sendSeconds: load.sendSeconds,
    requestMs: percentiles(load.accepted.map((request) => request.latencyMs)),
    postToS3Ms: percentiles(latencies),
    requestSizes,
    objectsWritten,
    objectsPerRequest,
    ingest,
    batch,
    consumption: ratesAroundSends(writtenAt, load.started, load.started + load.sendSeconds * 1000),
  };
}

/**
 * A few requests through the full path, drained from every queue they reach, so the ingest function's
 * workers (restarted by a configuration or code change) and the consumers are warm before a timed run;
 * one request per stream twice over, so each concurrent worker starts.
 */
export async function warmPipeline(
  deployment: Deployment,
  streams: number,
  queueUrls: readonly string[],
): Promise<void> {
  const requests = 2 * streams;
  const load = await sendLoad(deployment, {
    items: 4 * requests,
    requests,
    rate: Number.POSITIVE_INFINITY,
    concurrency: streams,
    mix: 'uniform',
    seed: 7,
  });
  if (load.accepted.length !== requests) {
    throw new Error(`Warm-up: ${load.accepted.length} of ${requests} requests accepted`);
  }
  for (const queueUrl of queueUrls) {
    await waitForDrain(clientsFor(deployment), queueUrl, DRAIN_DEADLINE_MS, DRAIN_POLL_MS);
  }
}

/** Waits (with a deadline) until a queue has held nothing for a few polls; returns the seconds until it was empty. */
export const drained = (deployment: Deployment, queueUrl: string): Promise<number> =>
  waitForDrain(clientsFor(deployment), queueUrl, DRAIN_DEADLINE_MS, DRAIN_POLL_MS);

/**
 * Invocations and billed milliseconds of a function since a time, from its REPORT log lines; waits
 * (with a deadline) until at least `expected` are there, as log delivery may trail the work.
 */
export async function invocationsSince(
  deployment: Deployment,
  functionName: string,
  since: number,
  expected: number,
): Promise<FunctionCounts> {
  const fn = await new LambdaClient(clientConfig(deployment)).send(
    new GetFunctionConfigurationCommand({ FunctionName: functionName }),
  );
  let counts: FunctionCounts = { invocations: 0, billedMs: 0, memoryMb: fn.MemorySize ?? 128 };
  await waitUntil(
    `${expected} REPORT lines of ${functionName}`,
    async () => {
      let invocations = 0;
      let billedMs = 0;
      for await (const message of functionLogMessages(deployment, functionName, since, 'REPORT')) {
        const billed = message.match(/^REPORT .*Billed Duration: (\d+) ms/);
        if (!billed) continue;
        invocations += 1;
        billedMs += Number(billed[1]);
      }
      counts = { ...counts, invocations, billedMs };
      return invocations >= expected;
    },
    60_000,
    500,
  );
  return counts;
}

/** Who consumes a queue fed straight through SQS: a reference consumer, or the batch function. */
export type QueueConsumer = ReferenceConsumer | 'batchFunction';

export const consumerFunctionName = (deployment: Deployment, consumer: QueueConsumer): string =>
  consumer === 'batchFunction' ? deployment.batchFunctionName : REFERENCE_CONSUMERS[consumer].name;

export interface QueueFeedOptions {
  readonly items: number;
  readonly itemsPerRequest: number;
  readonly mix: ItemMix;
  readonly seed: number;
  /** Spread the sends evenly over this many seconds; as fast as one sender goes when absent. */
  readonly sendOverSeconds?: number;
  /** One SendMessageBatch per request, as the ingest function sends, instead of 10 messages each. */
  readonly sendPerRequest?: boolean;
}

export interface ConsumerRun {
  readonly consumer: QueueConsumer;
  /** Items consumed: stored in results objects (batch function), or counted in log lines (references). */
  readonly items: number;
  /** From the first send to the last object write (batch function) or last invocation stamp (references). */
  readonly seconds: number;
  readonly itemsPerSecond: number;
  readonly sendSeconds: number;
  /** The consumer's invocations and billed time (its REPORT lines). */
  readonly counts: FunctionCounts;
  /** Batch function: each item's first send to the write of its object. */
  readonly sendToS3Ms?: Percentiles;
  /** The consumer's pace while the sends go on and after the last one. */
  readonly consumption: RatesAroundSends;
}

/**
 * Sends what the ingest function would send for `items` in requests of `itemsPerRequest` (one group
 * per request), from one sender, 10 messages per SendMessageBatch (or one call per request). For the
 * batch function it first writes, untimed, the ledger entries ingest writes, so that the batch
 * function's updates land on entries like those behind the ingest function (without one, its upsert
 * makes the same call and creates an entry with no owner or count).
 */
async function feedQueue(
  deployment: Deployment,
  consumer: StackConsumer,
  queueUrl: string,
  target: QueueConsumer,
  options: QueueFeedOptions,
): Promise<LoadResult> {
  const requests = makeRequests({
    items: options.items,
    requests: Math.ceil(options.items / options.itemsPerRequest),
    mix: options.mix,
    seed: options.seed,
  }).map((items): FedRequest => ({ requestId: randomUUID(), items }));
  const acceptedAt = new Date();
  const ingestSettings = readIngestSettings(consumer.ingestEnvironment);
  if (target === 'batchFunction' && deployment.ledgerTableName) {
    const { ledgerRetentionDays } = readLedgerSettings(consumer.ingestEnvironment);
    const writes = ingestLedgerWrites(requests, acceptedAt, {
      tableName: deployment.ledgerTableName,
      retentionDays: ledgerRetentionDays,
      idempotencyWindowHours: ingestSettings.idempotencyWindowHours,
      // A stack without a key (auth iam) records another owner; the bench never reads the entries back by owner.
      apiKeyId: deployment.apiKeyId ?? 'anonymous',
    });
    const ddb = new DynamoDBClient(clientConfig(deployment));
    let next = 0;
    const writer = async () => {
      while (next < writes.length) {
        const write = writes[next++];
        if (write) await ddb.send(new UpdateItemCommand(write));
      }
    };
    await Promise.all(Array.from({ length: LEDGER_WRITERS }, writer));
  }
  const batches = ingestMessageBatches(requests, acceptedAt.toISOString(), ingestSettings.ordering, {
    perRequest: options.sendPerRequest,
  });
  const { sqs } = clientsFor(deployment);
  const sentAt = new Map<string, number>();
  const started = Date.now();
  const spacingMs = ((options.sendOverSeconds ?? 0) * 1000) / batches.length;
  for (const [index, batch] of batches.entries()) {
    // Paced by schedule, as sendLoad paces POSTs, so slow sends do not lower the offered rate.
    const due = started + index * spacingMs;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    const now = Date.now();
    for (const requestId of batch.startsRequests) sentAt.set(requestId, now);
    const { Failed: failed = [] } = await sqs.send(
      new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch.entries }),
    );
    if (failed.length > 0) throw new Error(`SQS rejected ${failed.length} messages: ${failed[0]?.Code}`);
  }
  const accepted = requests.map(
    (request): SentRequest => ({
      ...request,
      sentAt: sentAt.get(request.requestId) ?? started,
      latencyMs: 0,
    }),
  );
  return { accepted, errors: new Map(), started, sendSeconds: (Date.now() - started) / 1000 };
}

/** Two requests' messages through a freshly mapped queue, drained: the consumer's worker is warm after it. */
export async function warmConsumer(
  deployment: Deployment,
  consumer: StackConsumer,
  queue: FreshQueue,
  target: QueueConsumer,
): Promise<void> {
  await feedQueue(deployment, consumer, queue.url, target, {
    items: 8,
    itemsPerRequest: 4,
    mix: 'uniform',
    seed: 7,
  });
  await waitForDrain(clientsFor(deployment), queue.url, DRAIN_DEADLINE_MS, DRAIN_POLL_MS);
}

/**
 * Feeds a queue mapped to `target` as the ingest function would (feedQueue) and measures how fast
 * the consumer empties it: items over the time from the first send to the last write (the batch
 * function's `writtenAt`, read back from its objects) or the last reference invocation's stamp (taken
 * where the batch function takes `writtenAt`: before its PUT).
 */
export async function runConsumer(
  deployment: Deployment,
  consumer: StackConsumer,
  queue: FreshQueue,
  target: QueueConsumer,
  options: QueueFeedOptions,
): Promise<ConsumerRun> {
  const load = await feedQueue(deployment, consumer, queue.url, target, options);
  await waitForDrain(clientsFor(deployment), queue.url, DRAIN_DEADLINE_MS, DRAIN_POLL_MS);
  const functionName = consumerFunctionName(deployment, target);
  const sendsEndedAt = load.started + load.sendSeconds * 1000;
  const consumed =
    target === 'batchFunction'
      ? await storedRun(clientsFor(deployment), deployment, load).then((stored) => ({
          consumedAt: stored.writtenAt,
          lastAt: stored.lastWrittenAt,
          sendToS3Ms: percentiles(stored.latencies),
        }))
      : await referenceRunSince(deployment, functionName, load.started, options.items);
  const seconds = (consumed.lastAt - load.started) / 1000;
  const items = consumed.consumedAt.length;
  return {
    consumer: target,
    items,
    seconds,
    itemsPerSecond: seconds > 0 ? items / seconds : 0,
    sendSeconds: load.sendSeconds,
    counts: await invocationsSince(deployment, functionName, load.started, 1),
    ...('sendToS3Ms' in consumed ? { sendToS3Ms: consumed.sendToS3Ms } : {}),
    consumption: ratesAroundSends(consumed.consumedAt, load.started, sendsEndedAt),
  };
}

export interface RawFifoRun {
  readonly messages: number;
  readonly groups: number;
  readonly received: number;
  readonly sendPerSecond: number;
  readonly receiveDeletePerSecond: number;
  /** Messages over the whole send + receive + delete time. */
  readonly messagesPerSecond: number;
}

/**
 * The emulator's own SQS FIFO on a fresh queue made like the stack's, no Lambda: send in batches of
 * 10, then receive 10 at a time and delete each batch, one call after another as a single consumer.
 */
export async function rawFifoThroughput(
  deployment: Deployment,
  messages: number,
  groups: number,
  queueAttributes: Record<string, string>,
): Promise<RawFifoRun> {
  const { sqs } = clientsFor(deployment);
  const { QueueUrl: queueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: `bench-raw-${Date.now()}.fifo`, Attributes: queueAttributes }),
  );
  if (!queueUrl) throw new Error('CreateQueue returned no queue URL');
  try {
    const sendStarted = performance.now();
    for (let sent = 0; sent < messages; sent += 10) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Array.from({ length: Math.min(10, messages - sent) }, (_, i) => ({
            Id: String(i),
            MessageBody: JSON.stringify({ v: 1, item: (sent + i) % 10, index: sent + i }),
            MessageGroupId: `g${Math.floor((sent + i) / 10) % groups}`,
            MessageDeduplicationId: `m${sent + i}`,
          })),
        }),
      );
    }
    const sendSeconds = (performance.now() - sendStarted) / 1000;
    const receiveStarted = performance.now();
    let received = 0;
    while (received < messages) {
      const { Messages: batch = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      if (batch.length === 0) break;
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((message, i) => ({ Id: String(i), ReceiptHandle: message.ReceiptHandle })),
        }),
      );
      received += batch.length;
    }
    const receiveSeconds = (performance.now() - receiveStarted) / 1000;
    return {
      messages,
      groups,
      received,
      sendPerSecond: messages / sendSeconds,
      receiveDeletePerSecond: received / receiveSeconds,
      messagesPerSecond: received / (sendSeconds + receiveSeconds),
    };
  } finally {
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
  }
}
