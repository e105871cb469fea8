import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { clients, config, deployment } from './support';

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
