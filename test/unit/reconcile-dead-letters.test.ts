import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { reconcileDeadLetterQueue } from '../../cdk/ops/reconcile-dead-letters';
import type { ReconcileDeps } from '../../lambdas/batch/dead-letter-reconcile';
import { FIXED_NOW, queueRecord } from './factories.batch';
import { fakeLedger } from './factories.ledger';

const sqsMock = mockClient(SQSClient);
const sqs = new SQSClient({ region: 'eu-west-1' });
const DLQ = 'https://sqs.eu-west-1.amazonaws.com/123456789012/items-dlq.fifo';
const PASS = 'pass-1';

const message = (group: string, item: number, extra: Partial<Message> = {}): Message => ({
  MessageId: `dlq-${group}-${item}`,
  ReceiptHandle: `rh-${group}-${item}`,
  Body: queueRecord({ group, item }).body,
  Attributes: { MessageGroupId: group, ApproximateReceiveCount: '6' },
  ...extra,
});

function deps(): ReconcileDeps & { readonly keys: string[] } {
  const ledger = fakeLedger();
  const keys: string[] = [];
  return {
    keys,
    recordFailed: (requestId, indexes) => ledger.recordFailed(requestId, indexes),
    putFailureRecord: async (key) => {
      keys.push(key);
    },
    clock: () => new Date(FIXED_NOW),
  };
}

beforeEach(() => {
  sqsMock.reset();
  sqsMock.on(SendMessageCommand).resolves({});
  sqsMock.on(DeleteMessageCommand).resolves({});
  sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({});
});

describe('one reconciling pass over the dead-letter queue', () => {
  it('puts each message back at the end of its group, marked, until it meets its own copies, then releases them', async () => {
    // Prepare: A's and B's messages, then A's copy of this pass comes round, then nothing.
    const copyOfA = message('A', 1, {
      MessageId: 'copy-A',
      ReceiptHandle: 'rh-copy-A',
      MessageAttributes: { reconciledBy: { DataType: 'String', StringValue: PASS } },
    });
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [message('A', 1), message('B', 2)] })
      .resolvesOnce({ Messages: [copyOfA] })
      .resolves({ Messages: [] });
    const reconcile = deps();

    // Act
    const outcome = await reconcileDeadLetterQueue(sqs, DLQ, reconcile, PASS);

    // Assert: two records written, A's copy not reconciled again, and released at the end.
    expect(outcome).toEqual({ recordsWritten: 2, itemsFailed: 2, malformed: 0 });
    expect(reconcile.keys).toHaveLength(2);
    const sent = sqsMock.commandCalls(SendMessageCommand).map(({ args: [{ input }] }) => input);
    expect(
      sent.map(({ MessageGroupId, MessageDeduplicationId }) => [MessageGroupId, MessageDeduplicationId]),
    ).toEqual([
      ['A', `${PASS}:dlq-A-1`],
      ['B', `${PASS}:dlq-B-2`],
    ]);
    expect(sent[0]?.MessageAttributes).toEqual({
      deadLetteredBy: { DataType: 'String', StringValue: 'batch-writer' },
      reconciledBy: { DataType: 'String', StringValue: PASS },
    });
    expect(
      sqsMock.commandCalls(DeleteMessageCommand).map(({ args: [{ input }] }) => input.ReceiptHandle),
    ).toEqual(['rh-A-1', 'rh-B-2']);
    expect(sqsMock.commandCalls(ChangeMessageVisibilityBatchCommand)[0]?.args[0].input.Entries).toEqual([
      { Id: '0', ReceiptHandle: 'rh-copy-A', VisibilityTimeout: 0 },
    ]);
  });

  it('deletes no original whose copy SQS refused, and still releases what it held', async () => {
    // Prepare
    const copyOfB = message('B', 2, {
      MessageId: 'copy-B',
      ReceiptHandle: 'rh-copy-B',
      MessageAttributes: { reconciledBy: { DataType: 'String', StringValue: PASS } },
    });
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [copyOfB] })
      .resolvesOnce({ Messages: [message('A', 1)] });
    sqsMock.on(SendMessageCommand).rejects(new Error('SQS is down'));

    // Act
    const run = reconcileDeadLetterQueue(sqs, DLQ, deps(), PASS);

    // Assert
    await expect(run).rejects.toThrow('SQS is down');
    expect(sqsMock.commandCalls(DeleteMessageCommand)).toEqual([]);
    expect(sqsMock.commandCalls(ChangeMessageVisibilityBatchCommand)).toHaveLength(1);
  });
});
