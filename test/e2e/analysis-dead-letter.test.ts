import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { clientConfig } from '../../cdk/ops/deployment';
import { redrive } from '../../cdk/ops/pipeline-client';
import { getRequestStatus } from '../../cdk/ops/status-client';
import { ENV } from '../../lambdas/domain/environment';
import { paneOf } from '../../lambdas/domain/windows';
import { FAULT_ENV } from '../../lambdas/shared/fault-injection';
import { dynamoDbWindows } from '../../lambdas/windows/dynamodb-windows';
import { setFunctionVariable } from '../support/function-variables';
import { accept, clients, config, deployment, faultItem, pollUntil, queueDepth } from './support';

/** An item only the analysis fails on (the storage path's fault item is another): storage keeps it. */
const ANALYSIS_FAULT_ITEM = faultItem + 1;
/** The consumer gives an item up within one invocation: its attempts, then its own move to the DLQ. */
const GIVE_UP_MS = 30_000;

const [analysis] = deployment.analyses;

/** The analysis's pane rows, read from the windows table its consumer writes (named in its environment). */
async function paneRowOf(requestId: string, acceptedAt: string) {
  if (!analysis) throw new Error('the test stack registers the default analysis');
  const { Environment } = await new LambdaClient(clientConfig(deployment)).send(
    new GetFunctionConfigurationCommand({ FunctionName: analysis.functionName }),
  );
  const windows = dynamoDbWindows(new DynamoDBClient(clientConfig(deployment)), {
    tableName: Environment?.Variables?.[ENV.windowsTableName] ?? '',
    analysis,
    retention: { settleMs: 0, retentionDays: 1 },
  });
  const rows = await windows.paneRows(paneOf(Date.parse(acceptedAt), analysis.advanceSeconds));
  return rows.find((row) => row.requestId === requestId);
}

describe("an item an analysis's pane write always fails on", () => {
  it("reaches the analysis's dead-letter queue after the consumer's attempts, on its first receive; fixed and redriven, it is counted", async () => {
    if (!analysis) throw new Error('the test stack registers the default analysis');
    // Prepare: the consumer fails every pane write holding the item; its dead-letter queue is empty.
    expect(await queueDepth(analysis.deadLetterQueueUrl)).toEqual({ visible: 0, inFlight: 0 });
    await setFunctionVariable(
      deployment,
      analysis.functionName,
      FAULT_ENV.faultItems,
      String(ANALYSIS_FAULT_ITEM),
    );
    try {
      // Act 1
      const { requestId } = await accept([ANALYSIS_FAULT_ITEM]);
      await pollUntil(
        "the item in the analysis's dead-letter queue",
        async () => ((await queueDepth(analysis.deadLetterQueueUrl)).visible === 1 ? true : undefined),
        { timeoutMs: GIVE_UP_MS, everyMs: 250 },
      );

      // Assert 1: moved by the consumer on the first receive, after its attempts, with why; not counted.
      const { Messages: [moved] = [] } = await clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: analysis.deadLetterQueueUrl,
          MessageAttributeNames: ['All'],
          VisibilityTimeout: 0,
        }),
      );
      expect(JSON.parse(moved?.Body ?? '{}')).toMatchObject({ requestId, item: ANALYSIS_FAULT_ITEM });
      expect(moved?.MessageAttributes?.reason?.StringValue).toBe('write_failed');
      expect(moved?.MessageAttributes?.attempts?.StringValue).toBe(String(config.writeAttempts));
      expect(await queueDepth(analysis.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
      const { acceptedAt } = await getRequestStatus(deployment, requestId);
      expect(await paneRowOf(requestId, acceptedAt)).toBeUndefined();

      // Act 2: the operator removes the cause, then redrives the analysis's dead-letter queue.
      await setFunctionVariable(deployment, analysis.functionName, FAULT_ENV.faultItems, '');
      const { moved: redriven } = await redrive(clients.sqs, analysis.deadLetterQueueUrl, analysis.queueUrl);
      const row = await pollUntil('the redriven item in its pane row', () =>
        paneRowOf(requestId, acceptedAt),
      );

      // Assert 2: counted once, and nothing went back to the dead-letter queue.
      expect(redriven).toBe(1);
      expect([...row.items.entries()].map(([index, { value }]) => [index, value])).toEqual([
        [0, ANALYSIS_FAULT_ITEM],
      ]);
      expect(await queueDepth(analysis.deadLetterQueueUrl)).toEqual({ visible: 0, inFlight: 0 });
    } finally {
      await setFunctionVariable(deployment, analysis.functionName, FAULT_ENV.faultItems, '');
    }
  });
});
