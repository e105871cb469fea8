import {
  CreateEventSourceMappingCommand,
  DeleteEventSourceMappingCommand,
  type FunctionConfiguration,
  GetEventSourceMappingCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { CreateTopicCommand, DeleteTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { waitUntil } from '../../cdk/local/local-cloud';
import { clientConfig, clientsFor, type Deployment } from '../../cdk/ops/deployment';
import { ENV, readIngestSettings } from '../../lambdas/domain/environment';
import { setFunctionVariable } from '../support/function-variables';
import { type MappingSettings, mappingSettingsOf, queueAttributesToCopy } from './consumer-settings';

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
  const { EventSourceMappings: mappings = [] } = await lambda.send(
    new ListEventSourceMappingsCommand({
      FunctionName: deployment.batchFunctionName,
      EventSourceArn: attributes.QueueArn,
    }),
  );
  const [mapping] = mappings;
  if (mapping?.UUID === undefined || mappings.length !== 1) {
    throw new Error(`Expected one mapping of the item queue to the batch function, found ${mappings.length}`);
  }
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

export interface FreshQueue {
  readonly url: string;
  readonly arn: string;
  readonly mappingId: string;
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

/** A new queue like the stack's item queue, mapped to `functionName` like the batch function. */
export async function createFreshQueue(
  deployment: Deployment,
  consumer: StackConsumer,
  name: string,
  functionName: string,
): Promise<FreshQueue> {
  const { sqs } = clientsFor(deployment);
  const { QueueUrl: url } = await sqs.send(
    new CreateQueueCommand({ QueueName: `${name}.fifo`, Attributes: consumer.queueAttributes }),
  );
  if (!url) throw new Error('CreateQueue returned no queue URL');
  const { Attributes: { QueueArn: arn } = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  if (!arn) throw new Error(`Queue ${url} has no ARN`);
  const { UUID: mappingId } = await lambdaOf(deployment).send(
    new CreateEventSourceMappingCommand({
      ...consumer.mapping,
      EventSourceArn: arn,
      FunctionName: functionName,
      Enabled: true,
    }),
  );
  if (!mappingId) throw new Error('CreateEventSourceMapping returned no UUID');
  await waitForMapping(deployment, mappingId, 'Enabled');
  const sns = new SNSClient(clientConfig(deployment));
  const { TopicArn: topicArn } = await sns.send(
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
  await sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: arn,
      Attributes: { RawMessageDelivery: 'true' },
    }),
  );
  return { url, arn, mappingId, topicArn };
}

/** Deletes the topic, the mapping, then the queue. */
export async function deleteFreshQueue(deployment: Deployment, queue: FreshQueue): Promise<void> {
  await new SNSClient(clientConfig(deployment)).send(new DeleteTopicCommand({ TopicArn: queue.topicArn }));
  await lambdaOf(deployment).send(new DeleteEventSourceMappingCommand({ UUID: queue.mappingId }));
  await clientsFor(deployment).sqs.send(new DeleteQueueCommand({ QueueUrl: queue.url }));
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

/** Puts the ingest function back on the dispatcher it was deployed with. */
export const restoreIngest = (deployment: Deployment, consumer: StackConsumer): Promise<void> =>
  pointIngestAt(deployment, readIngestSettings(consumer.ingestEnvironment).topicArn);
