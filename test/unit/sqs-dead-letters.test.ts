import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { sqsDeadLetters } from '../../lambdas/shared/sqs-dead-letters';
import { DEAD_LETTER_QUEUE_URL, queueRecords } from './factories.batch';

const sqsMock = mockClient(SQSClient);
const deadLetters = sqsDeadLetters(new SQSClient({ region: 'eu-west-1' }), DEAD_LETTER_QUEUE_URL);

beforeEach(() => {
  sqsMock.reset();
});

describe('the dead-letter queue over SQS', () => {
  it('sends each record with its body, group, its message id as deduplication id, the reason and the attempts', async () => {
    // Prepare
    sqsMock.on(SendMessageCommand).resolves({});
    const [record] = queueRecords([['A', 3]]);
    if (record === undefined) throw new Error('factory returned no record');

    // Act
    const outcome = await deadLetters.move([{ record, reason: 'write_failed', attempts: 3, recorded: true }]);

    // Assert
    expect(outcome).toEqual({ moved: ['msg-A-0'], errors: new Map() });
    expect(sqsMock.commandCalls(SendMessageCommand)[0]?.args[0].input).toEqual({
      QueueUrl: DEAD_LETTER_QUEUE_URL,
      MessageBody: record.body,
      MessageGroupId: 'A',
      MessageDeduplicationId: 'msg-A-0',
      MessageAttributes: {
        deadLetteredBy: { DataType: 'String', StringValue: 'batch-writer' },
        reason: { DataType: 'String', StringValue: 'write_failed' },
        attempts: { DataType: 'Number', StringValue: '3' },
      },
    });
  });

  it('leaves the recorded mark off a message whose failure record could not be written, for the reconciler', async () => {
    // Prepare
    sqsMock.on(SendMessageCommand).resolves({});
    const [record] = queueRecords([['A', 3]]);
    if (record === undefined) throw new Error('factory returned no record');

    // Act
    await deadLetters.move([{ record, reason: 'write_failed', attempts: 3, recorded: false }]);

    // Assert
    const attributes = sqsMock.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageAttributes;
    expect(Object.keys(attributes ?? {}).sort()).toEqual(['attempts', 'reason']);
  });

  it('stops a group at its first refusal, so nothing of it overtakes, while other groups go on', async () => {
    // Prepare: SQS refuses A's first record.
    sqsMock.on(SendMessageCommand).callsFake(async ({ MessageDeduplicationId }) => {
      if (MessageDeduplicationId === 'msg-A-0') throw new Error('SQS is down');
      return {};
    });
    const records = queueRecords([
      ['A', 1],
      ['B', 2],
      ['A', 3],
    ]);

    // Act
    const outcome = await deadLetters.move(
      records.map((record) => ({ record, reason: 'write_failed' as const, attempts: 3, recorded: true })),
    );

    // Assert
    expect(outcome.moved).toEqual(['msg-B-0']);
    expect([...outcome.errors]).toEqual([
      ['msg-A-0', 'Error: SQS is down'],
      ['msg-A-1', 'not sent after msg-A-0 of its group failed'],
    ]);
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(2);
  });
});
