import { randomUUID } from 'node:crypto';
import { CreateTopicCommand, DeleteTopicCommand, PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteQueueCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConfig } from '../../cdk/ops/deployment';
import { clients, deployment } from './support';

/**
 * The local cloud prunes MiniStack's FIFO deduplication caches its own way (cdk/local/run_ministack.py):
 * a repeated id must still be answered with its first message, however many ids came between, and a
 * new id never. A topic and a queue of this test's own, so the stack's consumers never see them.
 */
const sns = new SNSClient(clientConfig(deployment));
const name = `e2e-dedup-${randomUUID().slice(0, 8)}`;
let topicArn: string;
let queueUrl: string;

/** Ids published or sent between an id and its repeat: more than one call's worth (10 entries). */
const BETWEEN = 25;

beforeAll(async () => {
  topicArn = (
    await sns.send(new CreateTopicCommand({ Name: `${name}.fifo`, Attributes: { FifoTopic: 'true' } }))
  ).TopicArn as string;
  queueUrl = (
    await clients.sqs.send(
      new CreateQueueCommand({ QueueName: `${name}.fifo`, Attributes: { FifoQueue: 'true' } }),
    )
  ).QueueUrl as string;
});

afterAll(async () => {
  await Promise.all([
    sns.send(new DeleteTopicCommand({ TopicArn: topicArn })),
    clients.sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })),
  ]);
});

const entry = (id: string, position: number) => ({
  Id: String(position),
  MessageGroupId: 'g',
  MessageDeduplicationId: id,
});

type Deliver = (batches: readonly (readonly string[])[]) => Promise<Map<string, string>>;

/** Message ids by deduplication id, sent in `batches` (at most 10 ids each) one call after another. */
const deliverWith =
  (
    call: (
      ids: readonly string[],
    ) => Promise<{ Successful?: { Id?: string; MessageId?: string }[]; Failed?: unknown[] }>,
  ): Deliver =>
  async (batches) => {
    const messageIds = new Map<string, string>();
    for (const ids of batches) {
      const { Successful, Failed } = await call(ids);
      expect(Failed ?? []).toEqual([]);
      for (const { Id, MessageId } of Successful ?? [])
        messageIds.set(ids[Number(Id)] as string, MessageId as string);
    }
    return messageIds;
  };

const publish = deliverWith((ids) =>
  sns.send(
    new PublishBatchCommand({
      TopicArn: topicArn,
      PublishBatchRequestEntries: ids.map((id, position) => ({ ...entry(id, position), Message: id })),
    }),
  ),
);

const send = deliverWith((ids) =>
  clients.sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: ids.map((id, position) => ({ ...entry(id, position), MessageBody: id })),
    }),
  ),
);

const tens = (ids: readonly string[]) =>
  Array.from({ length: Math.ceil(ids.length / 10) }, (_, i) => ids.slice(i * 10, i * 10 + 10));

describe.each([
  ['a FIFO topic', publish],
  ['a FIFO queue', send],
])('the local cloud deduplicates on %s', (_, deliver) => {
  it(`answers a repeated id with its first message after ${BETWEEN} other ids, and a new id with a new one`, async () => {
    const [first, ...others] = Array.from({ length: BETWEEN + 1 }, () => randomUUID()) as [
      string,
      ...string[],
    ];
    const fresh = randomUUID();
    const before = await deliver([[first]]);
    const between = await deliver(tens(others));

    const again = await deliver([[first, fresh]]);

    expect(again.get(first)).toBe(before.get(first));
    expect(new Set(between.values()).size).toBe(BETWEEN);
    expect([...between.values(), before.get(first)]).not.toContain(again.get(fresh));
    expect(again.get(fresh)).toEqual(expect.any(String));
  });
});
