import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { clientConfig } from '../../cdk/ops/deployment';
import { functionLogMessages } from '../../cdk/ops/function-logs';
import { waitForRequest } from '../../cdk/ops/request-status';
import { accept, clients, config, deployment } from './support';

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
