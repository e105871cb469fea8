import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { errorText } from '../domain/errors';
import { DEAD_LETTERED_BY, type DeadLetter, type DeadLetters } from './dead-letters';

/**
 * The dead-letter queue over SQS: one SendMessage per record, each group in order, with the record's
 * group and its message id as deduplication id (a retried move within 5 minutes is dropped, while a
 * redriven item, a new message, can be dead-lettered again).
 */
export function sqsDeadLetters(sqs: SQSClient, queueUrl: string): DeadLetters {
  const send = ({ record, reason, attempts, recorded }: DeadLetter) =>
    sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: record.body,
        MessageGroupId: record.groupId || 'dead-letter',
        MessageDeduplicationId: record.messageId,
        MessageAttributes: {
          ...(recorded && {
            [DEAD_LETTERED_BY.name]: { DataType: 'String', StringValue: DEAD_LETTERED_BY.value },
          }),
          reason: { DataType: 'String', StringValue: reason },
          attempts: { DataType: 'Number', StringValue: String(attempts) },
        },
      }),
    );
  return {
    async move(letters) {
      const moved: string[] = [];
      const errors = new Map<string, string>();
      const stopped = new Map<string, string>();
      for (const letter of letters) {
        const { messageId, groupId } = letter.record;
        const blockedBy = stopped.get(groupId);
        if (blockedBy !== undefined) {
          errors.set(messageId, `not sent after ${blockedBy} of its group failed`);
          continue;
        }
        try {
          await send(letter);
          moved.push(messageId);
        } catch (error) {
          errors.set(messageId, errorText(error));
          stopped.set(groupId, messageId);
        }
      }
      return { moved, errors };
    },
  };
}
