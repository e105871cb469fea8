import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  SNSClient,
} from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { clientConfig } from '../../cdk/ops/deployment';
import { functionLogMessages } from '../../cdk/ops/function-logs';
import { waitForRequest } from '../../cdk/ops/status-client';
import { accept, clients, config, deployment, readResults } from './support';

const attributesOf = async (queueUrl: string) =>
  (await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] })))
    .Attributes ?? {};

// The emulator must apply what the template says; these are the settings MiniStack has dropped before.
describe('the queues as the local cloud deployed them', () => {
  it('are both FIFO, with .fifo names', async () => {
    const [queue, deadLetterQueue] = await Promise.all([
      attributesOf(deployment.queueUrl),
      attributesOf(deployment.deadLetterQueueUrl),
    ]);

    expect(queue.FifoQueue).toBe('true');
    expect(deadLetterQueue.FifoQueue).toBe('true');
    expect(queue.QueueArn).toMatch(/\.fifo$/);
    expect(deadLetterQueue.QueueArn).toMatch(/\.fifo$/);
  });

  it('redrive to the dead-letter queue after maxReceiveCount receives', async () => {
    const [queue, deadLetterQueue] = await Promise.all([
      attributesOf(deployment.queueUrl),
      attributesOf(deployment.deadLetterQueueUrl),
    ]);

    expect(JSON.parse(queue.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: deadLetterQueue.QueueArn,
      maxReceiveCount: config.maxReceiveCount,
    });
    expect(Number(queue.VisibilityTimeout)).toBe(config.visibilityTimeoutSeconds);
  });
});

describe('the dispatcher as the local cloud deployed it', () => {
  const sns = new SNSClient(clientConfig(deployment));

  it('is a FIFO topic with message-group throughput', async () => {
    const { Attributes: topic = {} } = await sns.send(
      new GetTopicAttributesCommand({ TopicArn: deployment.topicArn }),
    );

    expect(topic.FifoTopic).toBe('true');
    expect(topic.FifoThroughputScope).toBe('MessageGroup');
    expect(deployment.topicArn).toMatch(/\.fifo$/);
  });

  it('delivers to the item queue raw, without a filter, parking what it cannot deliver', async () => {
    // Prepare
    const [queue, undelivered] = await Promise.all([
      attributesOf(deployment.queueUrl),
      attributesOf(deployment.undeliveredQueueUrl),
    ]);

    // Act
    const { Subscriptions: subscriptions = [] } = await sns.send(
      new ListSubscriptionsByTopicCommand({ TopicArn: deployment.topicArn }),
    );
    const [storage] = subscriptions.filter((subscription) => subscription.Endpoint === queue.QueueArn);
    const { Attributes: attributes = {} } = await sns.send(
      new GetSubscriptionAttributesCommand({ SubscriptionArn: storage?.SubscriptionArn }),
    );

    // Assert
    expect(storage?.Protocol).toBe('sqs');
    expect(attributes.RawMessageDelivery).toBe('true');
    expect(attributes.FilterPolicy ?? '').toBe(''); // none (MiniStack answers an empty one)
    expect(JSON.parse(attributes.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: undelivered.QueueArn,
    });
    expect(undelivered.FifoQueue).toBe('true');
  });

  it("carries each request's message group id through to the item queue, as the stored items show", async () => {
    // Prepare: two requests, each its own message group (ordering perRequest).
    const first = await accept([31, 32, 33]);
    const second = await accept([34]);
    const ids = new Set([first.requestId, second.requestId]);

    // Act
    await waitForRequest(deployment, first.requestId, { timeoutMs: 60_000 });
    await waitForRequest(deployment, second.requestId, { timeoutMs: 60_000 });
    const stored = (await readResults())
      .flatMap((object) => object.body.items)
      .filter((entry) => ids.has(entry.requestId));

    // Assert: the batch writer records the group SQS delivered each message with.
    expect(stored).toHaveLength(4);
    for (const entry of stored) expect(entry.groupId).toBe(entry.requestId);
  });
});

/** The three functions by their stack outputs (the status function is not among the tools' outputs). */
async function functionNames(): Promise<Record<'ingest' | 'batch' | 'status', string>> {
  const { Stacks } = await new CloudFormationClient(clientConfig(deployment)).send(
    new DescribeStacksCommand({ StackName: deployment.stackName }),
  );
  const status = Stacks?.[0]?.Outputs?.find((output) => output.OutputKey === 'StatusFunctionName');
  if (!status?.OutputValue) throw new Error(`stack ${deployment.stackName} has no StatusFunctionName output`);
  return {
    ingest: deployment.ingestFunctionName,
    batch: deployment.batchFunctionName,
    status: status.OutputValue,
  };
}

/** The Node.js versions a function's cold starts logged (lambdas/shared/observability.ts), since the stack began. */
async function coldStartVersions(functionName: string): Promise<string[]> {
  const versions: string[] = [];
  for await (const message of functionLogMessages(deployment, functionName, 0, '"Cold start"')) {
    const version = /"message":"Cold start".*"nodeVersion":"(v[0-9.]+)"/.exec(message)?.[1];
    if (version) versions.push(version);
  }
  return versions;
}

// The local cloud runs the functions as local processes: on the project's Node 24 (the `node`
// package), not the machine's own Node, as Lambda runs them on the nodejs24.x runtime.
describe('the deployed functions', () => {
  it('run on Node.js 24, as their runtime nodejs24.x says, by their cold-start log lines', async () => {
    // Prepare: one request through all three functions (the status function answers the wait).
    const request = await accept([21, 22]);
    await waitForRequest(deployment, request.requestId, { timeoutMs: 60_000 });
    const lambda = new LambdaClient(clientConfig(deployment));

    for (const [name, functionName] of Object.entries(await functionNames())) {
      // Act
      const { Runtime } = await lambda.send(
        new GetFunctionConfigurationCommand({ FunctionName: functionName }),
      );
      const versions = await coldStartVersions(functionName);

      // Assert
      expect(Runtime, name).toBe('nodejs24.x');
      expect(versions.length, `${name}: cold-start lines`).toBeGreaterThan(0);
      expect(new Set(versions.map((version) => version.split('.')[0])), name).toEqual(new Set(['v24']));
    }
  });
});
