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
import { type ItemMix, type Percentiles, percentiles, sendLoad, storedRun } from '../harness/load-run';
import type { FunctionCounts } from './cost-model';

/** Benchmarks against a deployed stack: throughput, latency, what each item costs in requests. */

export interface PipelineRunOptions {
  readonly items: number;
  readonly itemsPerRequest: number;
  /** Requests in flight at once; each request is its own message group. */
  readonly streams: number;
  readonly mix: ItemMix;
  readonly seed: number;
}

export interface PipelineRun extends PipelineRunOptions {
  readonly acceptedItems: number;
  readonly storedItems: number;
  readonly errors: Record<string, number>;
  /** From the first POST to the last object write. */
  readonly seconds: number;
  readonly itemsPerSecond: number;
  readonly requestMs: Percentiles;
  readonly postToS3Ms: Percentiles;
  readonly requestSizes: number[];
  readonly objectsWritten: number;
  readonly ingest: FunctionCounts;
  readonly batch: FunctionCounts;
}

/**
 * Sends `items` unpaced with `streams` requests in flight, waits until the queue is empty, then
 * counts what the run cost: the objects holding its items (each one PUT) and the invocations of
 * both functions (their REPORT log lines).
 */
export async function runPipeline(deployment: Deployment, options: PipelineRunOptions): Promise<PipelineRun> {
  const clients = clientsFor(deployment);
  const load = await sendLoad(deployment, {
    items: options.items,
    requests: Math.ceil(options.items / options.itemsPerRequest),
    rate: Number.POSITIVE_INFINITY,
    concurrency: options.streams,
    mix: options.mix,
    seed: options.seed,
  });
  await waitForDrain(clients, deployment.queueUrl, 900_000, 100);

  const { latencies, objectsWritten, lastWrittenAt } = await storedRun(clients, deployment, load);

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
    requestMs: percentiles(load.accepted.map((request) => request.latencyMs)),
    postToS3Ms: percentiles(latencies),
    requestSizes,
    objectsWritten,
    ingest,
    batch,
  };
}

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

export interface RawFifoRun {
  readonly messages: number;
  readonly groups: number;
  readonly received: number;
  readonly sendPerSecond: number;
  readonly receiveDeletePerSecond: number;
  /** Messages over the whole send + receive + delete time: the figure our throughput is set against. */
  readonly messagesPerSecond: number;
}

/**
 * The emulator's own SQS FIFO on a fresh high-throughput queue, no Lambda: send in batches of 10,
 * then receive 10 at a time and delete each batch, one call after another as a single consumer.
 */
export async function rawFifoThroughput(
  deployment: Deployment,
  messages: number,
  groups: number,
): Promise<RawFifoRun> {
  const { sqs } = clientsFor(deployment);
  const { QueueUrl: queueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: `bench-raw-${Date.now()}.fifo`,
      Attributes: {
        FifoQueue: 'true',
        DeduplicationScope: 'messageGroup',
        FifoThroughputLimit: 'perMessageGroupId',
      },
    }),
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
