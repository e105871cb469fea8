import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchCommandInput,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { answerLines, bodyOf, postItems, redrive } from '../../cdk/ops/pipeline-client';
import { ACCEPTED_AT } from './factories.batch';
import { awsIamApi, localApi } from './factories.deployment';
import { rejectionOf } from './factories.ingest';

const sqsMock = mockClient(SQSClient);
const sqs = new SQSClient({ region: 'eu-west-1' });

const DLQ_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/items-dlq.fifo';
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/items.fifo';

/**
 * The n-th dead-letter message: groups `req-A` and `req-B` alternate, each counting its own indexes,
 * and the original deduplication id is `<requestId>:<index>` as the ingest Lambda sets it.
 */
function deadLetter(n: number): Message {
  const group = n % 2 === 0 ? 'req-A' : 'req-B';
  const index = Math.floor(n / 2);
  return {
    MessageId: `dlq-message-${n}`,
    ReceiptHandle: `receipt-${n}`,
    Body: JSON.stringify({ v: 1, item: n + 3, requestId: group, index, acceptedAt: ACCEPTED_AT }),
    Attributes: { MessageGroupId: group, MessageDeduplicationId: `${group}:${index}` },
  };
}

const deadLetters = (from: number, count: number): Message[] =>
  Array.from({ length: count }, (_, offset) => deadLetter(from + offset));

/** SQS takes every entry of a batch. */
const acceptAll = (input: SendMessageBatchCommandInput) => ({
  Successful: (input.Entries ?? []).map((entry) => ({
    Id: entry.Id,
    MessageId: `new-${entry.Id}`,
    MD5OfMessageBody: 'md5',
  })),
  Failed: [],
});

const sentBatches = () => sqsMock.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input);
const deletedBatches = () =>
  sqsMock.commandCalls(DeleteMessageBatchCommand).map((call) => call.args[0].input);

beforeEach(() => {
  sqsMock.reset();
});

describe('postItems', () => {
  it('POSTs the body as JSON with the deployment authorization, headers of its own added', async () => {
    // Prepare
    const http = vi.fn<typeof fetch>(async () => new Response('{"requestId":"r-1"}', { status: 202 }));
    const deployment = localApi();

    // Act
    const answer = await postItems(deployment, '[1,2]', { 'idempotency-key': 'order-1' }, http);

    // Assert
    expect(answer).toEqual({ status: 202, json: { requestId: 'r-1' }, text: '{"requestId":"r-1"}' });
    expect(http.mock.calls).toEqual([
      [
        deployment.apiUrl,
        {
          method: 'POST',
          headers: { 'x-api-key': 'k-1', 'content-type': 'application/json', 'idempotency-key': 'order-1' },
          body: '[1,2]',
        },
      ],
    ]);
  });
});

describe('answerLines', () => {
  const answer = (status: number) => ({ status, json: undefined, text: '{"error":{}}' });

  it.each([
    {
      name: 'a 403 to a signed request adds its likely cause',
      target: awsIamApi(),
      status: 403,
      lines: ['403 {"error":{}}', expect.stringContaining('its output ProducerPolicyArn names')],
    },
    {
      name: 'a 403 with an API key is only the answer',
      target: localApi(),
      status: 403,
      lines: ['403 {"error":{}}'],
    },
    {
      name: 'a 202 to a signed request is only the answer',
      target: awsIamApi(),
      status: 202,
      lines: ['202 {"error":{}}'],
    },
  ])('$name', ({ target, status, lines }) => {
    // Act
    const printed = answerLines(target, answer(status));

    // Assert
    expect(printed).toEqual(lines);
  });
});

describe('bodyOf', () => {
  it.each([
    { tokens: ['1', '2', '3'], body: '[1,2,3]' },
    { tokens: ['1,2', '3'], body: '[1,2,3]' },
    { tokens: ['1, 2,', ' 3 '], body: '[1,2,3]' },
    { tokens: ['[1, 2]'], body: '[1, 2]' },
    { tokens: ['[1,', '2]'], body: '[1, 2]' },
    { tokens: ['1.5'], body: '[1.5]' },
    { tokens: ['abc'], body: '[abc]' },
    { tokens: [], body: '[]' },
  ])('turns $tokens into $body', ({ tokens, body }) => {
    // Act / Assert
    expect(bodyOf(tokens)).toBe(body);
  });
});

describe('redrive', () => {
  it('moves 12 messages in batches of 10 and 2, keeping body and group, with new dedup ids', async () => {
    // Prepare
    const messages = deadLetters(0, 12);
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: messages.slice(0, 10) })
      .resolvesOnce({ Messages: messages.slice(10) })
      .resolves({});
    sqsMock.on(SendMessageBatchCommand).callsFake(acceptAll);
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const onProgress = vi.fn();

    // Act
    const result = await redrive(sqs, DLQ_URL, QUEUE_URL, onProgress);

    // Assert
    expect(result).toEqual({ moved: 12, alreadyStored: 0 });
    const receives = sqsMock.commandCalls(ReceiveMessageCommand).map((call) => call.args[0].input);
    expect(receives).toHaveLength(3);
    for (const receive of receives) {
      expect(receive.QueueUrl).toBe(DLQ_URL);
      expect(receive.MaxNumberOfMessages).toBe(10);
      // Without these attributes every message would lose its group and original dedup id.
      expect(receive.MessageSystemAttributeNames).toEqual(
        expect.arrayContaining(['MessageGroupId', 'MessageDeduplicationId']),
      );
    }

    const sends = sentBatches();
    expect(sends.map((send) => send.QueueUrl)).toEqual([QUEUE_URL, QUEUE_URL]);
    const sentEntries = sends.map((send) => send.Entries ?? []);
    expect(sentEntries.map((entries) => entries.length)).toEqual([10, 2]);
    for (const entries of sentEntries) {
      expect(new Set(entries.map((entry) => entry.Id)).size).toBe(entries.length);
    }
    expect(
      sentEntries.flat().map(({ MessageBody, MessageGroupId, MessageDeduplicationId }) => ({
        MessageBody,
        MessageGroupId,
        MessageDeduplicationId,
      })),
    ).toEqual(
      messages.map((message) => ({
        MessageBody: message.Body,
        MessageGroupId: message.Attributes?.MessageGroupId,
        MessageDeduplicationId: `${message.Attributes?.MessageDeduplicationId}:r:${message.MessageId}`,
      })),
    );
    expect(sentEntries.flat().map((entry) => entry.MessageGroupId)).toEqual(
      Array.from({ length: 12 }, (_, n) => (n % 2 === 0 ? 'req-A' : 'req-B')),
    );

    const deletes = deletedBatches();
    expect(deletes.map((deletion) => deletion.QueueUrl)).toEqual([DLQ_URL, DLQ_URL]);
    expect(deletes.map((deletion) => (deletion.Entries ?? []).map((entry) => entry.ReceiptHandle))).toEqual([
      messages.slice(0, 10).map((message) => message.ReceiptHandle),
      messages.slice(10).map((message) => message.ReceiptHandle),
    ]);
    expect(onProgress.mock.calls).toEqual([[10], [12]]);
  });

  it('deletes each batch only after it was sent', async () => {
    // Prepare
    const order: string[] = [];
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: deadLetters(0, 2) })
      .resolves({});
    sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
      order.push('send');
      return acceptAll(input);
    });
    sqsMock.on(DeleteMessageBatchCommand).callsFake(() => {
      order.push('delete');
      return { Successful: [], Failed: [] };
    });

    // Act
    await redrive(sqs, DLQ_URL, QUEUE_URL);

    // Assert
    expect(order).toEqual(['send', 'delete']);
  });

  it('keeps a long deduplication id within the 128 characters SQS allows, ending in the dead-letter id', async () => {
    // Prepare: an Idempotency-Key based id already at the 128-character limit.
    const original = 'k'.repeat(128);
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          { ...deadLetter(0), Attributes: { MessageGroupId: 'req-A', MessageDeduplicationId: original } },
        ],
      })
      .resolves({});
    sqsMock.on(SendMessageBatchCommand).callsFake(acceptAll);
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [], Failed: [] });

    // Act
    await redrive(sqs, DLQ_URL, QUEUE_URL);

    // Assert
    const dedupId = sentBatches()[0]?.Entries?.[0]?.MessageDeduplicationId ?? '';
    expect(dedupId).toHaveLength(128);
    expect(dedupId.endsWith(':r:dlq-message-0')).toBe(true);
  });

  it.each([
    {
      name: 'SendMessageBatch reports a failed entry',
      send: () =>
        sqsMock.on(SendMessageBatchCommand).resolves({
          Successful: [{ Id: '0', MessageId: 'new-0', MD5OfMessageBody: 'md5' }],
          Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }],
        }),
      error: /refused 1 redriven messages \(InternalError\)/,
    },
    {
      name: 'SendMessageBatch itself fails',
      send: () => sqsMock.on(SendMessageBatchCommand).rejects(new Error('service unavailable')),
      error: /service unavailable/,
    },
  ])('throws and deletes nothing when $name', async ({ send, error }) => {
    // Prepare
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: deadLetters(0, 2) })
      .resolves({});
    send();
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const onProgress = vi.fn();

    // Act
    const thrown = await rejectionOf(redrive(sqs, DLQ_URL, QUEUE_URL, onProgress));

    // Assert
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).message).toMatch(error);
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(1);
    expect(onProgress).not.toHaveBeenCalled();
  });

  it.each([
    { name: 'no Messages field', answer: {} },
    { name: 'an empty Messages list', answer: { Messages: [] } },
  ])('moves nothing from an empty dead-letter queue ($name)', async ({ answer }) => {
    // Prepare
    sqsMock.on(ReceiveMessageCommand).resolves(answer);
    const onProgress = vi.fn();

    // Act
    const result = await redrive(sqs, DLQ_URL, QUEUE_URL, onProgress);

    // Assert
    expect(result).toEqual({ moved: 0, alreadyStored: 0 });
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(1);
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
    expect(onProgress).not.toHaveBeenCalled();
  });

  it('deletes without sending back the messages beforeSend says are stored, and counts them', async () => {
    // Prepare
    const messages = deadLetters(0, 3);
    sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: messages }).resolves({});
    sqsMock.on(SendMessageBatchCommand).callsFake(acceptAll);
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const beforeSend = vi.fn(async () => [true, false, true]);

    // Act
    const result = await redrive(sqs, DLQ_URL, QUEUE_URL, () => {}, beforeSend);

    // Assert
    expect(result).toEqual({ moved: 2, alreadyStored: 1 });
    expect(beforeSend).toHaveBeenCalledWith(messages.map((message) => message.Body));
    expect(sentBatches()[0]?.Entries?.map((entry) => entry.MessageBody)).toEqual([
      messages[0]?.Body,
      messages[2]?.Body,
    ]);
    expect(deletedBatches()[0]?.Entries?.map((entry) => entry.ReceiptHandle)).toEqual(
      messages.map((message) => message.ReceiptHandle),
    );
  });

  it('only deletes a chunk whose items are all stored (SQS refuses an empty batch)', async () => {
    // Prepare
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: deadLetters(0, 2) })
      .resolves({});
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [], Failed: [] });

    // Act
    const result = await redrive(
      sqs,
      DLQ_URL,
      QUEUE_URL,
      () => {},
      async () => [false, false],
    );

    // Assert
    expect(result).toEqual({ moved: 0, alreadyStored: 2 });
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    expect(deletedBatches()[0]?.Entries).toHaveLength(2);
  });

  it('throws after sending when the dead-letter queue refuses a delete, so a rerun is asked for', async () => {
    // Prepare
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: deadLetters(0, 2) })
      .resolves({});
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    sqsMock.on(DeleteMessageBatchCommand).resolves({
      Successful: [{ Id: '0' }],
      Failed: [{ Id: '1', Code: 'ReceiptHandleIsInvalid', SenderFault: true }],
    });

    // Act
    const thrown = await rejectionOf(redrive(sqs, DLQ_URL, QUEUE_URL));

    // Assert
    expect((thrown as Error).message).toMatch(
      /1 redriven messages could not be deleted .*ReceiptHandleIsInvalid/,
    );
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
  });
});
