import {
  GetEventSourceMappingCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { clientConfig } from '../../cdk/ops/deployment';
import { redrive } from '../../cdk/ops/pipeline-client';
import { reconcileDeadLetterQueue, reconcileDepsFor } from '../../cdk/ops/reconcile-dead-letters';
import { ledgerOnRedrive } from '../../cdk/ops/redrive-ledger';
import { getRequestStatus } from '../../cdk/ops/status-client';
import type { RequestStatus } from '../../lambdas/domain/ledger';
import { FAULT_ENV } from '../../lambdas/shared/fault-injection';
import { setFunctionVariable } from '../support/function-variables';
import {
  accept,
  clients,
  config,
  deployment,
  faultItem,
  pollUntil,
  queueDepth,
  readFailures,
  readResults,
} from './support';

/** The function gives an item up within one invocation: its attempts, then its own move to the DLQ. */
const GIVE_UP_MS = 30_000;

/** Changes the batch function's FAULT_ITEMS; the emulator, like Lambda, starts new workers with it. */
const setFaultItems = (value: string): Promise<void> =>
  setFunctionVariable(deployment, deployment.batchFunctionName, FAULT_ENV.faultItems, value);

const failureRecordsOf = async (requestId: string) =>
  (await readFailures()).filter((object) => object.body.requestId === requestId);

/** Polls the request's status until it reads stored (a redriven request, back in the pipeline). */
const untilStored = (requestId: string) =>
  pollUntil(
    'the redriven request to be stored',
    async () => {
      const current = await getRequestStatus(deployment, requestId);
      return current.status === 'stored' ? current : undefined;
    },
    { timeoutMs: 60_000, everyMs: 250 },
  );

describe('an item whose write always fails', () => {
  it("reaches the dead-letter queue after the function's 3 attempts, on its first receive, with a failure record; fixed and redriven, its request is stored", async () => {
    // Prepare: a dead-letter queue holding nothing of earlier tests.
    expect(await queueDepth(deployment.deadLetterQueueUrl)).toEqual({ visible: 0, inFlight: 0 });

    // Act 1: the fault item fails every write until the function gives it up.
    const { requestId } = await accept([faultItem]);
    await pollUntil(
      'the item in the dead-letter queue',
      async () => ((await queueDepth(deployment.deadLetterQueueUrl)).visible === 1 ? true : undefined),
      { timeoutMs: GIVE_UP_MS, everyMs: 250 },
    );

    // Assert 1: recorded in S3 after the function's own attempts, long before SQS's maxReceiveCount.
    const [record] = await failureRecordsOf(requestId);
    expect(record?.body).toMatchObject({
      reason: 'write_failed',
      item: faultItem,
      index: 0,
      receiveCount: 1,
      attempts: config.writeAttempts,
    });
    // The ledger says so too: nothing pending, the item failed.
    expect(await getRequestStatus(deployment, requestId)).toMatchObject({
      status: 'failed',
      accepted: 1,
      stored: 0,
      failed: 1,
      pending: 0,
    });

    // Act 2: the operator removes the cause (here: the batch function's FAULT_ITEMS), then redrives.
    await setFaultItems('');
    try {
      // The status between the ledger's mark and the message's return: the redriven item is pending again.
      const markLedger = ledgerOnRedrive(deployment);
      let marked: RequestStatus | undefined;
      const { moved } = await redrive(
        clients.sqs,
        deployment.deadLetterQueueUrl,
        deployment.queueUrl,
        () => {},
        async (bodies) => {
          const send = await markLedger(bodies);
          marked = await getRequestStatus(deployment, requestId);
          return send;
        },
      );
      const final = await untilStored(requestId);

      // Assert 2: back in the pipeline, then stored in exactly the objects S3 holds it in.
      expect(moved).toBe(1);
      // Nothing of this request is stored yet, so pending again reads queued (storing once some are).
      expect(marked).toMatchObject({ status: 'queued', failed: 0, pending: 1 });
      expect((await queueDepth(deployment.deadLetterQueueUrl)).visible).toBe(0);
      const holding = (await readResults()).filter((object) =>
        object.body.items.some((entry) => entry.requestId === requestId && entry.item === faultItem),
      );
      expect(holding).toHaveLength(1);
      expect(final).toMatchObject({ accepted: 1, stored: 1, pending: 0, failed: 0 });
      expect(final.objects).toEqual(holding.map((object) => object.key));
    } finally {
      await setFaultItems(String(faultItem));
    }
  });
});

const lambda = new LambdaClient(clientConfig(deployment));

/** Turns the batch function's event source mapping off or on, and waits until it says so. */
async function setMapping(enabled: boolean): Promise<void> {
  const { EventSourceMappings: [mapping] = [] } = await lambda.send(
    new ListEventSourceMappingsCommand({ FunctionName: deployment.batchFunctionName }),
  );
  const uuid = mapping?.UUID ?? '';
  await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: enabled }));
  const state = enabled ? 'Enabled' : 'Disabled';
  await pollUntil(`the event source mapping ${state}`, async () =>
    (await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State === state ? true : undefined,
  );
}

describe('an item dead-lettered by the function and then stored by a redelivery', () => {
  it('is deleted by the redrive, not sent back, so it is stored once', async () => {
    // Prepare: the function gives the fault item up and moves it to the dead-letter queue itself.
    expect(await queueDepth(deployment.deadLetterQueueUrl)).toEqual({ visible: 0, inFlight: 0 });
    const { requestId } = await accept([faultItem]);
    const parked = await pollUntil(
      'the item in the dead-letter queue',
      async () => {
        const { Messages: [message] = [] } = await clients.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: deployment.deadLetterQueueUrl,
            VisibilityTimeout: 0,
            MessageSystemAttributeNames: ['MessageGroupId'],
          }),
        );
        return message;
      },
      { timeoutMs: GIVE_UP_MS, everyMs: 250 },
    );
    await setFaultItems('');
    try {
      // Act 1: the batch comes back, as SQS redelivers it when the invocation crashes after that
      // move, and the item is stored this time.
      await clients.sqs.send(
        new SendMessageCommand({
          QueueUrl: deployment.queueUrl,
          MessageBody: parked.Body,
          MessageGroupId: parked.Attributes?.MessageGroupId,
          MessageDeduplicationId: `${requestId}:redelivered`,
        }),
      );
      await untilStored(requestId);

      // Act 2: the operator's redrive.
      const result = await redrive(
        clients.sqs,
        deployment.deadLetterQueueUrl,
        deployment.queueUrl,
        () => {},
        ledgerOnRedrive(deployment),
      );

      // Assert: the dead-letter copy deleted, nothing sent back, the item in one object.
      expect(result).toEqual({ moved: 0, alreadyStored: 1 });
      expect(await queueDepth(deployment.deadLetterQueueUrl)).toEqual({ visible: 0, inFlight: 0 });
      expect(await queueDepth(deployment.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
      const holding = (await readResults()).filter((object) =>
        object.body.items.some((entry) => entry.requestId === requestId),
      );
      expect(holding).toHaveLength(1);
      expect(await getRequestStatus(deployment, requestId)).toMatchObject({
        status: 'stored',
        stored: 1,
        failed: 0,
        pending: 0,
      });
    } finally {
      await setFaultItems(String(faultItem));
    }
  });
});

describe('an item whose receives are spent without the batch function seeing them', () => {
  it('is moved by SQS with nothing recorded; the reconciler makes it failed with a failure record, once; redrive stores it', async () => {
    // Prepare: no consumer, as when every batch is throttled.
    expect(await queueDepth(deployment.deadLetterQueueUrl)).toEqual({ visible: 0, inFlight: 0 });
    await setMapping(false);
    let receives = 0;
    try {
      const { requestId } = await accept([21]);

      // Act 1: receives that never reach the function (visibility 0: each one runs out at once).
      await pollUntil(
        'SQS to move the item to the dead-letter queue',
        async () => {
          const { Messages = [] } = await clients.sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: deployment.queueUrl,
              VisibilityTimeout: 0,
              WaitTimeSeconds: 1,
            }),
          );
          receives += Messages.length;
          return (await queueDepth(deployment.deadLetterQueueUrl)).visible === 1 ? true : undefined;
        },
        { timeoutMs: 60_000, everyMs: 100 },
      );

      // Assert 1: SQS's backstop moved it after maxReceiveCount receives, and nobody recorded anything.
      expect(receives).toBe(config.maxReceiveCount);
      expect(await failureRecordsOf(requestId)).toEqual([]);
      expect(await getRequestStatus(deployment, requestId)).toMatchObject({
        status: 'queued',
        pending: 1,
        failed: 0,
      });

      // Act 2: the reconciler, twice (a second run must not record the item again).
      const deps = await reconcileDepsFor(deployment);
      const first = await reconcileDeadLetterQueue(clients.sqs, deployment.deadLetterQueueUrl, deps);
      const second = await reconcileDeadLetterQueue(clients.sqs, deployment.deadLetterQueueUrl, deps);

      // Assert 2: one failure record, the request failed, the message still parked for redrive.
      expect(first).toEqual({ recordsWritten: 1, itemsFailed: 1, malformed: 0 });
      expect(second).toEqual({ recordsWritten: 0, itemsFailed: 1, malformed: 0 });
      const records = await failureRecordsOf(requestId);
      expect(records.map(({ body }) => body)).toEqual([
        expect.objectContaining({ reason: 'receives_exhausted', item: 21, index: 0, requestId }),
      ]);
      expect(await getRequestStatus(deployment, requestId)).toMatchObject({
        status: 'failed',
        failed: 1,
        pending: 0,
      });
      expect((await queueDepth(deployment.deadLetterQueueUrl)).visible).toBe(1);

      // Act 3: the consumer back, then the operator's redrive.
      await setMapping(true);
      const { moved } = await redrive(
        clients.sqs,
        deployment.deadLetterQueueUrl,
        deployment.queueUrl,
        () => {},
        ledgerOnRedrive(deployment),
      );
      const final = await untilStored(requestId);

      // Assert 3: stored once, nothing left parked.
      expect(moved).toBe(1);
      expect(final).toMatchObject({ accepted: 1, stored: 1, failed: 0, pending: 0 });
      expect((await queueDepth(deployment.deadLetterQueueUrl)).visible).toBe(0);
    } finally {
      await setMapping(true);
    }
  });
});
