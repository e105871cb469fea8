import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  type ParkedMessage,
  type ReconcileDeps,
  type ReconcileOutcome,
  reconcileParked,
} from '../../lambdas/batch/dead-letter-reconcile';
import { s3ObjectStore } from '../../lambdas/batch/s3-object-store';
import { readLedgerSettings } from '../../lambdas/domain/environment';
import { dynamoDbLedger } from '../../lambdas/ledger/dynamodb-ledger';
import { DEAD_LETTERED_BY } from '../../lambdas/shared/dead-letters';
import { clientConfig, clientsFor, type Deployment } from './deployment';

/** Marks the copies one pass made, so the pass knows a group is done when it meets its own copy. */
const PASS_ATTRIBUTE = 'reconciledBy';

const parkedOf = (message: Message): ParkedMessage => ({
  messageId: message.MessageId ?? '',
  body: message.Body ?? '',
  groupId: message.Attributes?.MessageGroupId ?? '',
  receiveCount: Number(message.Attributes?.ApproximateReceiveCount) || 1,
  recorded: message.MessageAttributes?.[DEAD_LETTERED_BY.name]?.StringValue === DEAD_LETTERED_BY.value,
});

/**
 * One pass over a FIFO dead-letter queue, which cannot be read past a group's first messages without
 * taking them out: each message is reconciled, then put back at the end of its group (marked as
 * recorded, so no later pass writes its record again) and the original deleted, so every group keeps
 * its order. A message of this pass coming round again means its group is done: it is held until the
 * end, which keeps its group out of the next receives, then released.
 */
export async function reconcileDeadLetterQueue(
  sqs: SQSClient,
  queueUrl: string,
  deps: ReconcileDeps,
  pass: string = crypto.randomUUID(),
): Promise<ReconcileOutcome> {
  const held: Message[] = [];
  const total = { recordsWritten: 0, itemsFailed: 0, malformed: 0 };
  try {
    for (;;) {
      const { Messages: messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          VisibilityTimeout: 120,
          MessageSystemAttributeNames: [
            'MessageGroupId',
            'MessageDeduplicationId',
            'ApproximateReceiveCount',
          ],
          MessageAttributeNames: ['All'],
        }),
      );
      if (messages.length === 0) return total;
      const fresh = messages.filter(
        (message) => message.MessageAttributes?.[PASS_ATTRIBUTE]?.StringValue !== pass,
      );
      held.push(...messages.filter((message) => !fresh.includes(message)));
      const outcome = await reconcileParked(fresh.map(parkedOf), deps);
      total.recordsWritten += outcome.recordsWritten;
      total.itemsFailed += outcome.itemsFailed;
      total.malformed += outcome.malformed;
      for (const message of fresh) {
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: queueUrl,
            MessageBody: message.Body ?? '',
            MessageGroupId: message.Attributes?.MessageGroupId ?? 'dead-letter',
            MessageDeduplicationId: `${pass}:${message.MessageId}`.slice(0, 128),
            MessageAttributes: {
              ...message.MessageAttributes,
              [DEAD_LETTERED_BY.name]: { DataType: 'String', StringValue: DEAD_LETTERED_BY.value },
              [PASS_ATTRIBUTE]: { DataType: 'String', StringValue: pass },
            },
          }),
        );
        await sqs.send(
          new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
        );
      }
    }
  } finally {
    for (let at = 0; at < held.length; at += 10) {
      await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: held.slice(at, at + 10).map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle ?? '',
            VisibilityTimeout: 0,
          })),
        }),
      );
    }
  }
}

/** The reconciler's dependencies on a deployment: its bucket, and its ledger with the batch writer's retention. */
export async function reconcileDepsFor(deployment: Deployment): Promise<ReconcileDeps> {
  const config = clientConfig(deployment);
  const { Environment } = await new LambdaClient(config).send(
    new GetFunctionConfigurationCommand({ FunctionName: deployment.batchFunctionName }),
  );
  const { ledgerTableName, ledgerRetentionDays } = readLedgerSettings(Environment?.Variables ?? {});
  const ddb = new DynamoDBClient(config);
  const clock = () => new Date();
  const ledger = dynamoDbLedger(ddb, {
    tableName: ledgerTableName,
    retentionDays: ledgerRetentionDays,
    clock,
  });
  const store = s3ObjectStore(clientsFor(deployment).s3, deployment.bucketName, (ms) => sleep(ms));
  return {
    recordFailed: (requestId, indexes) => ledger.recordFailed(requestId, indexes),
    putFailureRecord: (key, record) => store.putFailureRecord(key, record),
    clock,
  };
}
