import { App, CfnResource, Duration, Stack } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { AnalysisConsumer, type AnalysisConsumerProps } from '../../cdk/lib/constructs/analysis-consumer';
import { BatchWriter, type BatchWriterProps } from '../../cdk/lib/constructs/batch-writer';
import { Dispatcher } from '../../cdk/lib/constructs/dispatcher';
import { HttpPipelineApi } from '../../cdk/lib/constructs/http-pipeline-api';
import { IngestApi, type IngestApiProps } from '../../cdk/lib/constructs/ingest-api';
import { ItemQueues, type ItemQueuesProps } from '../../cdk/lib/constructs/item-queues';
import { PipelineAlarms } from '../../cdk/lib/constructs/pipeline-alarms';
import type { PipelineApiProps } from '../../cdk/lib/constructs/pipeline-api';
import { PipelineFunction, type PipelineFunctionProps } from '../../cdk/lib/constructs/pipeline-function';
import { RequestLedger, type RequestLedgerProps } from '../../cdk/lib/constructs/request-ledger';
import { RequestStatusApi, type RequestStatusApiProps } from '../../cdk/lib/constructs/request-status-api';
import { RestPipelineApi, type RestPipelineApiProps } from '../../cdk/lib/constructs/rest-pipeline-api';
import { Storage } from '../../cdk/lib/constructs/storage';
import { WindowsTable } from '../../cdk/lib/constructs/windows-table';
import { type Analysis, DEFAULT_ANALYSES } from '../../lambdas/domain/analyses';
import { ConfigError } from '../../lambdas/domain/errors';
import { assemblyDir } from './synth';

const API_PROPS: RestPipelineApiProps = {
  auth: 'apiKey',
  apiKeyRequired: true,
  throttleRateLimit: 100,
  throttleBurstLimit: 200,
  dailyQuota: 1_000_000,
  logRetention: RetentionDays.ONE_MONTH,
};

/**
 * A stack to build one construct in, with a queue, a topic, a bucket, a ledger table, a REST pipeline API,
 * a dispatcher and a windows table to give it; bundling is skipped.
 */
function testStack() {
  const app = new App({ outdir: assemblyDir(), context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Props');
  return {
    stack,
    queue: new Queue(stack, 'Queue', { fifo: true }),
    deadLetterQueue: new Queue(stack, 'DeadLetterQueue', { fifo: true }),
    topic: new Topic(stack, 'Topic', { fifo: true }),
    bucket: new Bucket(stack, 'Bucket'),
    ledger: new RequestLedger(stack, 'Ledger', { retentionDays: 30, idempotencyWindowHours: 24 }),
    api: new RestPipelineApi(stack, 'Api', API_PROPS),
    dispatcher: new Dispatcher(stack, 'Dispatcher'),
    windows: new WindowsTable(stack, 'Windows', { retentionDays: 30 }),
  };
}

type Built = ReturnType<typeof testStack>;

/** The CloudFormation resources of the stack, before the construct under test adds any: BASE_RESOURCES. */
const resourceCount = ({ stack }: Built): number =>
  stack.node.findAll().filter((construct) => CfnResource.isCfnResource(construct)).length;
const BASE_RESOURCES = resourceCount(testStack());

const itemQueues = ({ stack }: Built, props: Partial<ItemQueuesProps>) =>
  new ItemQueues(stack, 'Queues', {
    visibilityTimeout: Duration.seconds(180),
    maxReceiveCount: 5,
    deadLetterRetention: Duration.days(14),
    ...props,
  });

const batchWriter = (
  { stack, queue, deadLetterQueue, bucket, ledger }: Built,
  props: Partial<BatchWriterProps>,
) =>
  new BatchWriter(stack, 'BatchWriter', {
    queue,
    bucket,
    ledger,
    batchSize: 5,
    maxConcurrency: 2,
    timeout: Duration.seconds(30),
    exclusionPairs: [[1, 2]],
    deadLetterQueue,
    writeAttempts: 3,
    logRetention: RetentionDays.ONE_MONTH,
    ...props,
  });

const ingestApi = ({ stack, topic, ledger, api }: Built, props: Partial<IngestApiProps>) =>
  new IngestApi(stack, 'IngestApi', {
    api,
    topic,
    ledger,
    ordering: 'perRequest',
    maxItemsPerRequest: 500,
    maxBodyBytes: 65_536,
    logRetention: RetentionDays.ONE_MONTH,
    ...props,
  });

const restApi = ({ stack }: Built, props: Partial<RestPipelineApiProps>) =>
  new RestPipelineApi(stack, 'RestApi', { ...API_PROPS, ...props });

const httpApi = ({ stack }: Built, props: Partial<PipelineApiProps>) =>
  new HttpPipelineApi(stack, 'HttpApi', { ...API_PROPS, auth: 'iam', ...props });

const requestLedger = ({ stack }: Built, props: Partial<RequestLedgerProps>) =>
  new RequestLedger(stack, 'RequestLedger', { retentionDays: 30, idempotencyWindowHours: 24, ...props });

const requestStatus = ({ stack, api, ledger }: Built, props: Partial<RequestStatusApiProps>) =>
  new RequestStatusApi(stack, 'RequestStatus', {
    api,
    ledger,
    staleAfter: Duration.seconds(720),
    logRetention: RetentionDays.ONE_MONTH,
    ...props,
  });

const analysisConsumer = ({ stack, dispatcher, windows }: Built, props: Partial<AnalysisConsumerProps>) =>
  new AnalysisConsumer(stack, 'Analysis', {
    analysis: DEFAULT_ANALYSES[0] as Analysis,
    dispatcher,
    windows,
    timeout: Duration.seconds(10),
    maxConcurrency: 2,
    writeAttempts: 3,
    maxReceiveCount: 5,
    deadLetterRetention: Duration.days(14),
    logRetention: RetentionDays.ONE_MONTH,
    ...props,
  });

const pipelineFunction = ({ stack }: Built, props: Partial<PipelineFunctionProps>) =>
  new PipelineFunction(stack, 'Fn', {
    entry: 'lambdas/ingest/handler.ts',
    serviceName: 'test',
    timeout: Duration.seconds(10),
    logRetention: RetentionDays.ONE_MONTH,
    ...props,
  });

describe('construct props', () => {
  it.each<{ name: string; build: (built: Built) => unknown; message: string }>([
    {
      name: 'Storage retentionDays -1',
      build: ({ stack }) => new Storage(stack, 'Storage', { retentionDays: -1 }),
      message: 'Storage.retentionDays must be an integer from 0 to 36500 (got -1)',
    },
    {
      name: 'ItemQueues visibilityTimeout 5 s',
      build: (built) => itemQueues(built, { visibilityTimeout: Duration.seconds(5) }),
      message: 'Queues.visibilityTimeout in seconds must be an integer from 6 to 43200 (got 5)',
    },
    {
      name: 'ItemQueues maxReceiveCount 0',
      build: (built) => itemQueues(built, { maxReceiveCount: 0 }),
      message: 'Queues.maxReceiveCount must be an integer from 5 to 1000 (got 0)',
    },
    {
      name: 'ItemQueues deadLetterRetention 15 days',
      build: (built) => itemQueues(built, { deadLetterRetention: Duration.days(15) }),
      message: 'Queues.deadLetterRetention in days must be an integer from 1 to 14 (got 15)',
    },
    {
      name: 'BatchWriter batchSize 11',
      build: (built) => batchWriter(built, { batchSize: 11 }),
      message: 'BatchWriter.batchSize must be an integer from 1 to 10 (got 11)',
    },
    {
      name: 'BatchWriter maxConcurrency 1',
      build: (built) => batchWriter(built, { maxConcurrency: 1 }),
      message: 'BatchWriter.maxConcurrency must be an integer from 2 to 1000 (got 1)',
    },
    {
      name: 'BatchWriter exclusionPairs [[1, 1]]',
      build: (built) => batchWriter(built, { exclusionPairs: [[1, 1]] }),
      message:
        'BatchWriter.exclusionPairs must be a list of pairs of two different safe integers, e.g. [[1,2]] (got [[1,1]])',
    },
    {
      name: 'BatchWriter writeAttempts 0',
      build: (built) => batchWriter(built, { writeAttempts: 0 }),
      message: 'BatchWriter.writeAttempts must be an integer from 1 to 10 (got 0)',
    },
    {
      name: 'AnalysisConsumer writeAttempts 11',
      build: (built) => analysisConsumer(built, { writeAttempts: 11 }),
      message: 'Analysis.writeAttempts must be an integer from 1 to 10 (got 11)',
    },
    {
      name: 'AnalysisConsumer maxConcurrency 1',
      build: (built) => analysisConsumer(built, { maxConcurrency: 1 }),
      message: 'Analysis.maxConcurrency must be an integer from 2 to 1000 (got 1)',
    },
    {
      name: 'BatchWriter faultRate 1.5',
      build: (built) => batchWriter(built, { faultRate: 1.5 }),
      message: 'BatchWriter.faultRate must be a number from 0 to 1 (got 1.5)',
    },
    {
      name: 'BatchWriter timeout 901 s',
      build: (built) => batchWriter(built, { timeout: Duration.seconds(901) }),
      message: 'Writer.timeout in seconds must be an integer from 1 to 900 (got 901)',
    },
    {
      name: 'IngestApi maxItemsPerRequest 501',
      build: (built) => ingestApi(built, { maxItemsPerRequest: 501 }),
      message: 'IngestApi.maxItemsPerRequest must be an integer from 1 to 500 (got 501)',
    },
    {
      name: 'RestPipelineApi a burst below the rate',
      build: (built) => restApi(built, { throttleRateLimit: 100, throttleBurstLimit: 50 }),
      message: 'RestApi.throttleBurstLimit must be at least RestApi.throttleRateLimit (100) (got 50)',
    },
    {
      name: 'RestPipelineApi auth "sigv4"',
      build: (built) => restApi(built, { auth: 'sigv4' as 'iam' }),
      message: 'RestApi.auth must be "apiKey" or "iam" (got "sigv4")',
    },
    {
      name: 'RestPipelineApi dailyQuota 0',
      build: (built) => restApi(built, { dailyQuota: 0 }),
      message: 'RestApi.dailyQuota must be an integer from 1 to 2000000000 (got 0)',
    },
    {
      name: 'RestPipelineApi stageName "$default"',
      build: (built) => restApi(built, { stageName: '$default' }),
      message: 'RestApi.stageName must be 1 to 128 letters, digits, "-" and "_" (got "$default")',
    },
    {
      name: 'HttpPipelineApi with a required API key',
      build: (built) => httpApi(built, { auth: 'apiKey', apiKeyRequired: true }),
      message:
        'HttpApi.apiType "http" has no API keys or usage plans: set HttpApi.auth to "iam", or ' +
        'HttpApi.apiKeyRequired to false for routes without authorization, or use HttpApi.apiType "rest"',
    },
    {
      name: 'HttpPipelineApi throttleRateLimit 0',
      build: (built) => httpApi(built, { throttleRateLimit: 0 }),
      message: 'HttpApi.throttleRateLimit must be an integer from 1 to 10000 (got 0)',
    },
    {
      name: 'PipelineAlarms oldestMessageAge 30 s',
      build: ({ stack, queue }) =>
        new PipelineAlarms(stack, 'Alarms', {
          queue,
          deadLetterQueue: queue,
          undelivered: queue,
          functions: {},
          oldestMessageAge: Duration.seconds(30),
        }),
      message: 'Alarms.oldestMessageAge in seconds must be an integer from 60 to 1209600 (got 30)',
    },
    {
      name: 'PipelineAlarms no ledger services',
      build: ({ stack, queue }) =>
        new PipelineAlarms(stack, 'Alarms', {
          queue,
          deadLetterQueue: queue,
          undelivered: queue,
          functions: {},
          oldestMessageAge: Duration.minutes(5),
          ledgerServices: [],
        }),
      message: 'Alarms.ledgerServices must name at least one service, or be left out for no ledger alarms',
    },
    {
      name: 'RequestLedger retentionDays 0',
      build: (built) => requestLedger(built, { retentionDays: 0 }),
      message: 'RequestLedger.retentionDays must be an integer from 1 to 3650 (got 0)',
    },
    {
      name: 'RequestLedger idempotencyWindowHours 721',
      build: (built) => requestLedger(built, { idempotencyWindowHours: 721 }),
      message: 'RequestLedger.idempotencyWindowHours must be an integer from 1 to 720 (got 721)',
    },
    {
      name: 'RequestLedger a window longer than the retention',
      build: (built) => requestLedger(built, { retentionDays: 1, idempotencyWindowHours: 48 }),
      message:
        'RequestLedger.retentionDays x 24 must be at least RequestLedger.idempotencyWindowHours (48) (got 24)',
    },
    {
      name: 'RequestStatusApi staleAfter 5 s',
      build: (built) => requestStatus(built, { staleAfter: Duration.seconds(5) }),
      message: 'RequestStatus.staleAfter in seconds must be an integer from 12 to 43243200 (got 5)',
    },
    {
      name: 'PipelineFunction memorySize 64',
      build: (built) => pipelineFunction(built, { memorySize: 64 }),
      message: 'Fn.memorySize must be an integer from 128 to 10240 (got 64)',
    },
  ])('rejects $name before building, in the message format of the configuration', ({ build, message }) => {
    // Prepare
    const built = testStack();

    // Act
    let error: unknown;
    try {
      build(built);
    } catch (thrown) {
      error = thrown;
    }

    // Assert: the check came before any resource of the construct.
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(message);
    expect(resourceCount(built)).toBe(BASE_RESOURCES);
  });

  it.each([
    { name: 'ItemQueues', build: (built: Built) => itemQueues(built, {}) },
    { name: 'BatchWriter', build: (built: Built) => batchWriter(built, {}) },
    { name: 'IngestApi', build: (built: Built) => ingestApi(built, {}) },
    { name: 'RestPipelineApi', build: (built: Built) => restApi(built, {}) },
    { name: 'HttpPipelineApi', build: (built: Built) => httpApi(built, {}) },
    { name: 'PipelineFunction', build: (built: Built) => pipelineFunction(built, {}) },
    { name: 'RequestLedger', build: (built: Built) => requestLedger(built, {}) },
    { name: 'RequestStatusApi', build: (built: Built) => requestStatus(built, {}) },
  ])('builds $name from the default settings', ({ build }) => {
    // Prepare
    const built = testStack();

    // Act
    build(built);

    // Assert
    expect(resourceCount(built)).toBeGreaterThan(BASE_RESOURCES);
  });
});
