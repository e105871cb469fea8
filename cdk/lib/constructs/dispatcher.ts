import { Duration, Stack } from 'aws-cdk-lib';
import { FifoThroughputScope, Topic } from 'aws-cdk-lib/aws-sns';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ConfigError } from '../../../lambdas/domain/errors';
import { SQS_MAX_RETENTION_DAYS } from '../../../lambdas/domain/settings';

/** SNS topic names are at most 256 characters, `.fifo` included. */
const MAX_TOPIC_NAME = 256;

/**
 * The dispatcher: an SNS FIFO topic that ingest publishes every accepted item to, once, and that
 * copies it to every consumer's own SQS FIFO queue (the storage path's item queue, and one queue per
 * analysis). Message group and deduplication ids carry through to each queue, so each keeps the order
 * within a request and drops a repeated publish within SNS's 5-minute window.
 */
export class Dispatcher extends Construct {
  public readonly topic: Topic;
  /**
   * Where SNS parks a message it could not deliver to a subscribed queue after its own retries (the
   * queue deleted, or its policy or key refusing SNS): a FIFO queue kept 14 days, which alarms as soon
   * as it holds a message.
   */
  public readonly undelivered: Queue;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const baseName = Stack.of(this).stackName.slice(0, MAX_TOPIC_NAME - '-items.fifo'.length);
    this.topic = new Topic(this, 'Topic', {
      // Explicit and ending in `.fifo`, as for the queues.
      topicName: `${baseName}-items.fifo`,
      fifo: true,
      // Quotas per message group (each request is its own group), not one 3,000 messages/s for the topic.
      fifoThroughputScope: FifoThroughputScope.MESSAGE_GROUP,
      // Deduplication ids are always sent explicitly: two requests that both send 1 carry two items.
      contentBasedDeduplication: false,
      enforceSSL: true,
    });
    this.undelivered = new Queue(this, 'Undelivered', {
      queueName: `${baseName.slice(0, 80 - '-undelivered.fifo'.length)}-undelivered.fifo`,
      fifo: true,
      contentBasedDeduplication: false,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(SQS_MAX_RETENTION_DAYS),
    });
  }

  /**
   * Copies every item to `queue` (a FIFO queue): raw delivery, so the queue receives the envelope as
   * ingest published it, and no filter policy, since a filter makes FIFO delivery at-most-once. The
   * queue's policy lets only this topic send to it (`aws:SourceArn`); what SNS cannot deliver goes to
   * `undelivered`.
   */
  subscribe(queue: IQueue): void {
    if (!queue.fifo)
      throw new ConfigError(`${queue.node.path} must be a FIFO queue to subscribe to the dispatcher`);
    this.topic.addSubscription(
      new SqsSubscription(queue, { rawMessageDelivery: true, deadLetterQueue: this.undelivered }),
    );
  }
}
