import type {
  PublishBatchCommandInput,
  PublishBatchCommandOutput,
  PublishBatchResultEntry,
} from '@aws-sdk/client-sns';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';

/**
 * The bench's "before the dispatcher" ingest: bundled in place of @aws-sdk/client-sns (an esbuild alias,
 * ingest-code.ts), so the ingest function's own code sends each PublishBatch's entries to the item queue
 * with one SendMessageBatch, as it did before the dispatcher. Never part of the stack's bundles.
 */

/** The variable naming the queue this variant sends to. */
export const DIRECT_QUEUE_VARIABLE = 'BENCH_DIRECT_QUEUE_URL';

/** Carries a PublishBatch's input, as the SDK's command does. */
export class PublishBatchCommand {
  constructor(readonly input: PublishBatchCommandInput) {}
}

export class SNSClient {
  private readonly sqs = new SQSClient({});

  /** The same entries, group and deduplication ids to the queue; each entry's result as PublishBatch reports it. */
  async send(
    command: PublishBatchCommand,
  ): Promise<Pick<PublishBatchCommandOutput, 'Successful' | 'Failed'>> {
    const queueUrl = process.env[DIRECT_QUEUE_VARIABLE];
    if (!queueUrl) throw new Error(`${DIRECT_QUEUE_VARIABLE} must be set`);
    const { Successful = [], Failed = [] } = await this.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: (command.input.PublishBatchRequestEntries ?? []).map((entry) => ({
          Id: entry.Id,
          MessageBody: entry.Message,
          MessageGroupId: entry.MessageGroupId,
          MessageDeduplicationId: entry.MessageDeduplicationId,
        })),
      }),
    );
    return {
      Successful: Successful.map(({ Id, MessageId }): PublishBatchResultEntry => ({ Id, MessageId })),
      Failed,
    };
  }
}
