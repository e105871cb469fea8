import {
  CreateEventSourceMappingCommand,
  DeleteEventSourceMappingCommand,
  type FunctionConfiguration,
  GetEventSourceMappingCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { CreateTopicCommand, DeleteTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { waitUntil } from '../../cdk/local/local-cloud';
import { clientConfig, clientsFor, type Deployment } from '../../cdk/ops/deployment';
import { ENV } from '../../lambdas/domain/environment';
import { setFunctionVariable } from '../support/function-variables';
import { type MappingSettings, mappingSettingsOf, queueAttributesToCopy } from './consumer-settings';
import { DIRECT_QUEUE_VARIABLE } from './direct-ingest/sns-to-sqs';

/**
 * Fresh queues for the end-to-end benchmark. The emulator rebuilds a queue's deduplication table on
 * every send, so sends slow down as the last 5 minutes' messages pile up: each run gets a new queue,
 * made like the stack's item queue, a new mapping, made like the batch function's, and a new FIFO
 * topic that delivers to it as the dispatcher does (raw, no filter).
 */

/** What the deployed stack's consumer looks like, read back once. */
export interface StackConsumer {
  /** CreateQueue attributes of the stack's item queue (queueAttributesToCopy). */
  readonly queueAttributes: Record<string, string>;
  readonly mapping: MappingSettings;
  /** The stack's own mapping (item queue to batch function), disabled while runs use fresh queues. */
  readonly stackMappingId: string;
  readonly batchFunction: FunctionConfiguration;
  /** The ingest function's environment as deployed, TOPIC_ARN among it. */
  readonly ingestEnvironment: Record<string, string>;
}

const lambdaOf = (deployment: Deployment) => new LambdaClient(clientConfig(deployment));
const DEADLINE_MS = 30_000;

export async function readStackConsumer(deployment: Deployment): Promise<StackConsumer> {
  const lambda = lambdaOf(deployment);
  const { Attributes: attributes = {} } = await clientsFor(deployment).sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: deployment.queueUrl, AttributeNames: ['All'] }),
  );
  const mapping = await mappingOf(deployment, attributes.QueueArn ?? '', deployment.batchFunctionName);
  const [batchFunction, ingestFunction] = await Promise.all(
    [deployment.batchFunctionName, deployment.ingestFunctionName].map((FunctionName) =>
      lambda.send(new GetFunctionConfigurationCommand({ FunctionName })),
    ),
  );
  if (!batchFunction || !ingestFunction) throw new Error('The functions were not found');
  return {
    queueAttributes: queueAttributesToCopy(attributes),
    mapping: mappingSettingsOf(mapping),
    stackMappingId: mapping.UUID,
    batchFunction,
    ingestEnvironment: { ...ingestFunction.Environment?.Variables },
  };
}

/** A queue's behaviour and its mapping's settings, copied from the stack's queue of the same consumer. */
export type QueueSettings = Pick<StackConsumer, 'queueAttributes' | 'mapping'>;

/** A fresh queue mapped to a function. */
export interface MappedQueue {
  readonly url: string;
  readonly arn: string;
  readonly mappingId: string;
}

export interface FreshQueue extends MappedQueue {
  /** A topic of its own that delivers to it, for the ingest function to publish to. */
  readonly topicArn: string;
}

async function waitForMapping(deployment: Deployment, mappingId: string, state: string): Promise<void> {
  const lambda = lambdaOf(deployment);
  await waitUntil(
    `mapping ${mappingId} ${state}`,
    async () => (await lambda.send(new GetEventSourceMappingCommand({ UUID: mappingId }))).State === state,
    DEADLINE_MS,
  );
}

/** The only mapping of a queue to a function: the stack makes one per consumer. */
async function mappingOf(deployment: Deployment, queueArn: string, functionName: string) {
  const { EventSourceMappings: mappings = [] } = await lambdaOf(deployment).send(
    new ListEventSourceMappingsCommand({ FunctionName: functionName, EventSourceArn: queueArn }),
  );
  const [mapping] = mappings;
  if (mapping?.UUID === undefined || mappings.length !== 1) {
    throw new Error(`Expected one mapping of ${queueArn} to ${functionName}, found ${mappings.length}`);
  }
  return { ...mapping, UUID: mapping.UUID };
}

/** A new queue with `settings`, mapped to `functionName` likewise. */
async function createMappedQueue(
  deployment: Deployment,
  settings: QueueSettings,
  name: string,
  functionName: string,
): Promise<MappedQueue> {
  const { sqs } = clientsFor(deployment);
  const { QueueUrl: url } = await sqs.send(
    new CreateQueueCommand({ QueueName: `${name}.fifo`, Attributes: settings.queueAttributes }),
  );
  if (!url) throw new Error('CreateQueue returned no queue URL');
  const { Attributes: { QueueArn: arn } = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  if (!arn) throw new Error(`Queue ${url} has no ARN`);
  const { UUID: mappingId } = await lambdaOf(deployment).send(
    new CreateEventSourceMappingCommand({
      ...settings.mapping,
      EventSourceArn: arn,
      FunctionName: functionName,
      Enabled: true,
    }),
  );
  if (!mappingId) throw new Error('CreateEventSourceMapping returned no UUID');
  await waitForMapping(deployment, mappingId, 'Enabled');
  return { url, arn, mappingId };
}

/** Subscribes a queue to a topic as the stack subscribes its consumers: raw delivery, no filter. */
async function subscribe(deployment: Deployment, topicArn: string, queueArn: string): Promise<void> {
  await new SNSClient(clientConfig(deployment)).send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: queueArn,
      Attributes: { RawMessageDelivery: 'true' },
    }),
  );
}

/** A new queue like the stack's item queue, mapped to `functionName` like the batch function, with a topic of its own. */
export async function createFreshQueue(
  deployment: Deployment,
  consumer: StackConsumer,
  name: string,
  functionName: string,
): Promise<FreshQueue> {
  const queue = await createMappedQueue(deployment, consumer, name, functionName);
  const { TopicArn: topicArn } = await new SNSClient(clientConfig(deployment)).send(
    new CreateTopicCommand({
      Name: `${name}.fifo`,
      Attributes: {
        FifoTopic: 'true',
        FifoThroughputScope: 'MessageGroup',
        ContentBasedDeduplication: 'false',
      },
    }),
  );
  if (!topicArn) throw new Error('CreateTopic returned no topic ARN');
  await subscribe(deployment, topicArn, queue.arn);
  return { ...queue, topicArn };
}

/** One more subscriber of a fresh queue's topic: a queue with `settings`, mapped to `functionName`. */
export async function addFreshSubscriber(
  deployment: Deployment,
  queue: FreshQueue,
  settings: QueueSettings,
  name: string,
  functionName: string,
): Promise<MappedQueue> {
  const subscriber = await createMappedQueue(deployment, settings, name, functionName);
  await subscribe(deployment, queue.topicArn, subscriber.arn);
  return subscriber;
}

/** Deletes a mapped queue's mapping, then the queue. */
export async function deleteMappedQueue(deployment: Deployment, queue: MappedQueue): Promise<void> {
  await lambdaOf(deployment).send(new DeleteEventSourceMappingCommand({ UUID: queue.mappingId }));
  await clientsFor(deployment).sqs.send(new DeleteQueueCommand({ QueueUrl: queue.url }));
}

/** Deletes the topic (and with it its subscriptions), the mapping, then the queue. */
export async function deleteFreshQueue(deployment: Deployment, queue: FreshQueue): Promise<void> {
  await new SNSClient(clientConfig(deployment)).send(new DeleteTopicCommand({ TopicArn: queue.topicArn }));
  await deleteMappedQueue(deployment, queue);
}

/** The stack's first analysis: its function, and its queue's and mapping's settings to copy. */
export async function readStackAnalysis(
  deployment: Deployment,
): Promise<QueueSettings & { readonly functionName: string; readonly name: string }> {
  const [analysis] = deployment.analyses;
  if (analysis === undefined) throw new Error(`${deployment.stackName} registers no analysis`);
  const { Attributes: attributes = {} } = await clientsFor(deployment).sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: analysis.queueUrl, AttributeNames: ['All'] }),
  );
  const mapping = await mappingOf(deployment, attributes.QueueArn ?? '', analysis.functionName);
  return {
    name: analysis.name,
    functionName: analysis.functionName,
    queueAttributes: queueAttributesToCopy(attributes),
    mapping: mappingSettingsOf(mapping),
  };
}

export async function setMappingEnabled(
  deployment: Deployment,
  mappingId: string,
  enabled: boolean,
): Promise<void> {
  await lambdaOf(deployment).send(new UpdateEventSourceMappingCommand({ UUID: mappingId, Enabled: enabled }));
  await waitForMapping(deployment, mappingId, enabled ? 'Enabled' : 'Disabled');
}

/**
 * Points the ingest function at a topic (its TOPIC_ARN) and waits until the change is applied. The
 * emulator restarts the function's workers on an environment change: warm it up before timing.
 */
export const pointIngestAt = (deployment: Deployment, topicArn: string): Promise<void> =>
  setFunctionVariable(deployment, deployment.ingestFunctionName, ENV.topicArn, topicArn);

/** Puts the ingest function's environment back as it was deployed: on its dispatcher, no bench variable. */
export async function restoreIngest(deployment: Deployment, consumer: StackConsumer): Promise<void> {
  const lambda = lambdaOf(deployment);
  const FunctionName = deployment.ingestFunctionName;
  await lambda.send(
    new UpdateFunctionConfigurationCommand({
      FunctionName,
      Environment: { Variables: consumer.ingestEnvironment },
    }),
  );
  await waitUntil(
    `${FunctionName}'s environment as deployed`,
    async () => {
      const fn = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName }));
      const variables = fn.Environment?.Variables ?? {};
      return (
        fn.LastUpdateStatus === 'Successful' &&
        variables[ENV.topicArn] === consumer.ingestEnvironment[ENV.topicArn] &&
        variables[DIRECT_QUEUE_VARIABLE] === consumer.ingestEnvironment[DIRECT_QUEUE_VARIABLE]
      );
    },
    DEADLINE_MS,
  );
}
