import { type Duration, Stack } from 'aws-cdk-lib';
import { DeduplicationScope, FifoThroughputLimit, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface ItemQueuesProps {
  readonly visibilityTimeout: Duration;
  readonly maxReceiveCount: number;
  readonly deadLetterRetention: Duration;
}

/** SQS queue names are at most 80 characters, `.fifo` included. */
const MAX_QUEUE_NAME = 80;

/**
 * The FIFO item queue and its FIFO dead-letter queue. Names are explicit and end in `.fifo`
 * (AWS derives FIFO-ness from the name, and some emulators need it). Deduplication ids are always
 * sent explicitly, so content-based deduplication stays off.
 */
export class ItemQueues extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: ItemQueuesProps) {
    super(scope, id);
    if (!Number.isInteger(props.maxReceiveCount) || props.maxReceiveCount < 1) {
      throw new Error(`${id}: maxReceiveCount must be a positive integer (got ${props.maxReceiveCount})`);
    }
    const retentionDays = props.deadLetterRetention.toDays();
    if (retentionDays > 14) {
      throw new Error(`${id}: deadLetterRetention must be at most 14 days (got ${retentionDays})`);
    }
    const baseName = Stack.of(this).stackName.slice(0, MAX_QUEUE_NAME - '-items-dlq.fifo'.length);
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
      queueName: `${baseName}-items-dlq.fifo`,
      retentionPeriod: props.deadLetterRetention,
    });
    this.queue = new Queue(this, 'Queue', {
      ...common,
      queueName: `${baseName}-items.fifo`,
      visibilityTimeout: props.visibilityTimeout,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
  }
}
