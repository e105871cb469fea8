import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { LambdaClient, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import {
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  SetTopicAttributesCommand,
  SNSClient,
} from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { ANALYSIS_BATCH_SIZE } from '../../lambdas/domain/analyses';
import { VISIBILITY_TIMEOUT_FACTOR } from '../../lambdas/domain/settings';
import { resolveConfig } from '../lib/config';
import {
  clientConfig,
  type Deployment,
  describeDeployment,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
} from '../ops/deployment';
import { LOCAL_DIR, PROJECT_ROOT } from '../project';
import { LocalCloudError, type Log } from './local-cloud';

export interface DeployOptions {
  readonly endpoint: string;
  readonly stackName: string;
  /** Settings over cdk.json's `pipeline` and `localPipeline` context (e.g. test-only faults). */
  readonly pipeline?: Record<string, unknown>;
  readonly log: Log;
  /** Where the cdk CLI's output goes; the terminal when absent. */
  readonly cliLogFile?: string;
}

/** The local deployment's settings: cdk.json `pipeline`, then `localPipeline` (shorter timeouts). */
export function localPipelineSettings(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const context = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')).context ?? {};
  return { ...context.pipeline, ...context.localPipeline, ...extra };
}

function cdk(args: string[], env: NodeJS.ProcessEnv, logFile: string | undefined): Promise<void> {
  const bin = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'cdk');
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      cwd: PROJECT_ROOT,
      env,
      stdio: logFile ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    });
    if (logFile) {
      const out = createWriteStream(logFile, { flags: 'a' });
      child.stdout?.pipe(out);
      child.stderr?.pipe(out);
    }
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(
            new LocalCloudError(`cdk ${args[0]} failed (exit ${code})${logFile ? `; see ${logFile}` : ''}`),
          ),
    );
  });
}

/**
 * MiniStack 1.5.33: its CloudFormation provisioner of AWS::SNS::Topic copies neither `FifoTopic` nor
 * `FifoThroughputScope`, so the dispatcher comes up as a standard topic and its messages reach the FIFO
 * queues without a MessageGroupId (every item of every request in one group). Its SetTopicAttributes
 * does set both: set them as the template has them. A no-op where the topic is FIFO already (AWS,
 * LocalStack, a fixed emulator).
 */
async function makeDispatcherFifo(sns: SNSClient, topicArn: string): Promise<void> {
  const { Attributes: attributes = {} } = await sns.send(
    new GetTopicAttributesCommand({ TopicArn: topicArn }),
  );
  if (attributes.FifoTopic === 'true') return;
  for (const [name, value] of [
    ['FifoTopic', 'true'],
    ['FifoThroughputScope', 'MessageGroup'],
  ] as const) {
    await sns.send(
      new SetTopicAttributesCommand({ TopicArn: topicArn, AttributeName: name, AttributeValue: value }),
    );
  }
}

/** The dispatcher as the emulator runs it: the topic's FIFO attributes and each subscription's. */
async function dispatcherProblems(
  sns: SNSClient,
  deployment: Deployment,
  queueArns: readonly string[],
): Promise<string[]> {
  const problems: string[] = [];
  const { Attributes: topic = {} } = await sns.send(
    new GetTopicAttributesCommand({ TopicArn: deployment.topicArn }),
  );
  if (topic.FifoTopic !== 'true')
    problems.push(`dispatcher FifoTopic is ${JSON.stringify(topic.FifoTopic)}, expected "true"`);
  const { Subscriptions: subscriptions = [] } = await sns.send(
    new ListSubscriptionsByTopicCommand({ TopicArn: deployment.topicArn }),
  );
  for (const queueArn of queueArns) {
    const count = subscriptions.filter((subscription) => subscription.Endpoint === queueArn).length;
    if (count !== 1) problems.push(`${queueArn} has ${count} subscriptions to the dispatcher, expected 1`);
  }
  for (const subscription of subscriptions) {
    const { Attributes: attributes = {} } = await sns.send(
      new GetSubscriptionAttributesCommand({ SubscriptionArn: subscription.SubscriptionArn }),
    );
    const what = `subscription of ${subscription.Endpoint}`;
    if (attributes.RawMessageDelivery !== 'true')
      problems.push(
        `${what}: RawMessageDelivery is ${JSON.stringify(attributes.RawMessageDelivery)}, expected "true"`,
      );
    if (attributes.FilterPolicy)
      problems.push(`${what} has a filter policy, which makes FIFO delivery at-most-once`);
  }
  return problems;
}

/** One consumer of the dispatcher as deployed: its queues and its function's event source mapping. */
interface Consumer {
  readonly name: string;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly functionName: string;
  readonly visibilityTimeoutSeconds: number;
  readonly batchSize: number;
}

/** Reads back what the emulator applied and fails loudly where it differs from the template. */
async function checkDeployed(
  deployment: Deployment,
  settings: Record<string, unknown>,
  endpoint: string,
): Promise<void> {
  const config = resolveConfig(settings);
  const target = clientConfig({ endpoint, region: LOCAL_REGION });
  const sqs = new SQSClient({ ...target, useQueueUrlAsEndpoint: false });
  const lambda = new LambdaClient(target);
  const attributes = async (queueUrl: string) =>
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] })))
      .Attributes ?? {};
  const consumers: Consumer[] = [
    {
      name: 'the item queue',
      queueUrl: deployment.queueUrl,
      deadLetterQueueUrl: deployment.deadLetterQueueUrl,
      functionName: deployment.batchFunctionName,
      visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
      batchSize: config.batchSize,
    },
    ...deployment.analyses.map((analysis) => ({
      ...analysis,
      name: `analysis ${analysis.name}`,
      visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_FACTOR * config.analysisFunctionTimeoutSeconds,
      batchSize: ANALYSIS_BATCH_SIZE,
    })),
  ];
  const problems: string[] = [];
  const expect = (what: string, actual: unknown, expected: unknown) => {
    if (String(actual) !== String(expected))
      problems.push(`${what} is ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
  };
  const queueArns: string[] = [];
  for (const consumer of consumers) {
    const queue = await attributes(consumer.queueUrl);
    const deadLetterQueue = await attributes(consumer.deadLetterQueueUrl);
    queueArns.push(queue.QueueArn ?? consumer.queueUrl);
    const { name } = consumer;
    expect(`${name}: FifoQueue`, queue.FifoQueue, 'true');
    expect(`${name}: dead-letter queue FifoQueue`, deadLetterQueue.FifoQueue, 'true');
    expect(`${name}: VisibilityTimeout`, queue.VisibilityTimeout, consumer.visibilityTimeoutSeconds);
    const redrive = JSON.parse(queue.RedrivePolicy ?? '{}') as {
      deadLetterTargetArn?: string;
      maxReceiveCount?: number;
    };
    expect(
      `${name}: RedrivePolicy.deadLetterTargetArn`,
      redrive.deadLetterTargetArn,
      deadLetterQueue.QueueArn,
    );
    expect(`${name}: RedrivePolicy.maxReceiveCount`, redrive.maxReceiveCount, config.maxReceiveCount);
    const { EventSourceMappings: mappings = [] } = await lambda.send(
      new ListEventSourceMappingsCommand({ FunctionName: consumer.functionName }),
    );
    expect(`${name}: event source mappings`, mappings.length, 1);
    expect(`${name}: event source BatchSize`, mappings[0]?.BatchSize, consumer.batchSize);
    expect(
      `${name}: event source FunctionResponseTypes`,
      mappings[0]?.FunctionResponseTypes?.join(','),
      'ReportBatchItemFailures',
    );
  }
  problems.push(...(await dispatcherProblems(new SNSClient(target), deployment, queueArns)));
  if (problems.length > 0) {
    throw new LocalCloudError(
      `The emulator did not apply the stack as synthesized:\n  - ${problems.join('\n  - ')}`,
    );
  }
}

/** `cdk bootstrap` and `cdk deploy` of the real app to an emulator endpoint, then read it back. */
export async function deployToEmulator(options: DeployOptions): Promise<Deployment> {
  const settings = localPipelineSettings(options.pipeline);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ENDPOINT_URL: options.endpoint,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
  };
  const context = ['-c', `pipeline=${JSON.stringify(settings)}`, '-c', `stackName=${options.stackName}`];
  // One assembly folder per stack and endpoint: two local clouds may deploy at the same time.
  const port = new URL(options.endpoint).port || 'default';
  const output = ['--output', path.join(LOCAL_DIR, `cdk.out.${options.stackName}.${port}`)];
  options.log('cdk bootstrap...');
  await cdk(['bootstrap', ...context, ...output], env, options.cliLogFile);
  options.log(`cdk deploy ${options.stackName}...`);
  await cdk(
    [
      'deploy',
      options.stackName,
      '--require-approval',
      'never',
      '--progress',
      'events',
      ...context,
      ...output,
    ],
    env,
    options.cliLogFile,
  );
  const deployment = await describeDeployment(options.stackName, {
    endpoint: options.endpoint,
    region: LOCAL_REGION,
  });
  await makeDispatcherFifo(
    new SNSClient(clientConfig({ endpoint: options.endpoint, region: LOCAL_REGION })),
    deployment.topicArn,
  );
  await checkDeployed(deployment, settings, options.endpoint);
  return deployment;
}
