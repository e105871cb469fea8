import { Duration, Stack } from 'aws-cdk-lib';
import { DeduplicationScope, FifoThroughputLimit, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ConfigError } from '../../../lambdas/domain/errors';
import { SETTINGS, SQS_MAX_RETENTION_DAYS } from '../../../lambdas/domain/settings';

/**
 * Retries and the dead-letter queue: a record the batch writer reports as failed becomes visible
 * again after `visibilityTimeout` and is retried; after `maxReceiveCount` receives SQS moves it to
 * the dead-letter queue, which keeps it `deadLetterRetention` for `npm run redrive`. Their defaults
 * and ranges are in lambdas/domain/settings.ts, under "Retries and the dead-letter queue".
 */
export interface ItemQueuesProps {
  /**
   * How long a received message stays hidden before SQS delivers it again: at least 6 x the timeout of
   * the function that consumes the queue, as AWS recommends. A whole number of seconds from 6 to
   * 43,200 (`SETTINGS.visibilityTimeoutSeconds`).
   */
  readonly visibilityTimeout: Duration;
  /**
   * Receives before a message moves to the dead-letter queue. An integer from 1 to 1,000
   * (`SETTINGS.maxReceiveCount`).
   */
  readonly maxReceiveCount: number;
  /**
   * How long the dead-letter queue keeps a message. A whole number of days from 1 to 14
   * (`SETTINGS.deadLetterRetentionDays`; SQS keeps messages at most 14 days).
   */
  readonly deadLetterRetention: Duration;
  /**
   * The consumer the queues feed, in their names (`<stack>-<consumer>.fifo`, `<stack>-<consumer>-dlq.fifo`):
   * `items` for the storage path, the analysis's name for an analysis. 1-40 of `[a-z0-9-]`.
   * @default 'items'
   */
  readonly consumer?: string;
}

/** SQS queue names are at most 80 characters, `.fifo` included. */
const MAX_QUEUE_NAME = 80;

/**
 * A consumer's FIFO queue of items and its FIFO dead-letter queue. Names are explicit and end in
 * `.fifo` (AWS derives FIFO-ness from the name, and some emulators need it). Deduplication ids are
 * always sent explicitly, so content-based deduplication stays off.
 */
export class ItemQueues extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: ItemQueuesProps) {
    super(scope, id);
    SETTINGS.visibilityTimeoutSeconds.check(
      `${id}.visibilityTimeout in seconds`,
      props.visibilityTimeout.toSeconds({ integral: false }),
    );
    SETTINGS.maxReceiveCount.check(`${id}.maxReceiveCount`, props.maxReceiveCount);
    SETTINGS.deadLetterRetentionDays.check(
      `${id}.deadLetterRetention in days`,
      props.deadLetterRetention.toDays({ integral: false }),
    );
    const consumer = props.consumer ?? 'items';
    if (!/^[a-z0-9-]{1,40}$/.test(consumer)) {
      throw new ConfigError(`${id}.consumer must be 1-40 of [a-z0-9-] (got ${JSON.stringify(consumer)})`);
    }
    const baseName = Stack.of(this).stackName.slice(0, MAX_QUEUE_NAME - `-${consumer}-dlq.fifo`.length);
    const common = {
      fifo: true,
      contentBasedDeduplication: false,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // High-throughput FIFO: quotas apply per message group, and each request is its own group.
      deduplicationScope: DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
    };
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      ...common,
      queueName: `${baseName}-${consumer}-dlq.fifo`,
      retentionPeriod: props.deadLetterRetention,
    });
    this.queue = new Queue(this, 'Queue', {
      ...common,
      queueName: `${baseName}-${consumer}.fifo`,
      visibilityTimeout: props.visibilityTimeout,
      // SQS's default of 4 days would drop accepted items silently if the consumer stalled that long;
      // keep them as long as SQS can (the oldest-message alarm fires long before).
      retentionPeriod: Duration.days(SQS_MAX_RETENTION_DAYS),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
  }
}
