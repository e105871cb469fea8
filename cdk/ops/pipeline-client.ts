import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type ApiTarget, sendApiRequest, signedDenialHint } from './api-request';
import type { AcceptedRequest } from './invariants';

/** What the tools and the end-to-end tests do with a deployment: send and redrive (reading back: bucket.ts). */

/** The 202 body of `POST /items`. */
export type AcceptedAnswer = Pick<AcceptedRequest, 'requestId' | 'enqueuedOutOfOrder'>;

export interface PostResult {
  readonly status: number;
  readonly json: unknown;
  readonly text: string;
}

/** Items as typed become the body unchanged, so the server's own validation answers bad input. */
export const bodyOf = (tokens: readonly string[]): string => {
  const text = tokens.join(' ').trim();
  return text.startsWith('[')
    ? text
    : `[${tokens
        .flatMap((token) => token.split(/[\s,]+/))
        .filter(Boolean)
        .join(',')}]`;
};

/** `POST /items` with the deployment's authorization; `headers` add to (or replace) the JSON content type. */
export async function postItems(
  deployment: ApiTarget,
  body: string,
  headers: Record<string, string> = {},
  http: typeof fetch = fetch,
): Promise<PostResult> {
  const response = await sendApiRequest(
    deployment,
    {
      method: 'POST',
      url: deployment.apiUrl,
      headers: { 'content-type': 'application/json', ...headers },
      body,
    },
    http,
  );
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text };
}

/** An answer as the tools print it, `<status> <body>`, and for a refused signature a line on its likely cause. */
export const answerLines = (deployment: ApiTarget, { status, text }: PostResult): string[] => [
  `${status} ${text}`,
  ...(deployment.auth === 'iam' && status === 403 ? [signedDenialHint(deployment)] : []),
];

export interface RedriveResult {
  readonly moved: number;
  /** Dead-letter messages deleted without a resend: `beforeSend` said their items are already stored. */
  readonly alreadyStored: number;
}

/**
 * Moves every dead-letter message back to the item queue, keeping its body and message group and
 * the order within each group. The new deduplication id is derived from the dead-letter message id:
 * SQS still remembers the original id for 5 minutes, and a rerun after a crash must not duplicate.
 */
export async function redrive(
  sqs: SQSClient,
  from: string,
  to: string,
  onProgress: (moved: number) => void = () => {},
  /**
   * Runs before each chunk is sent back, with the chunk's message bodies (e.g. to update the ledger),
   * and says which of them not to send: false for a message whose item is already stored (a message
   * it says nothing of is sent).
   */
  beforeSend: (bodies: string[]) => Promise<readonly boolean[]> = async () => [],
): Promise<RedriveResult> {
  let moved = 0;
  let alreadyStored = 0;
  for (;;) {
    const { Messages: messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: from,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: 60,
        MessageSystemAttributeNames: ['MessageGroupId', 'MessageDeduplicationId'],
      }),
    );
    if (messages.length === 0) return { moved, alreadyStored };
    const send = await beforeSend(messages.map((message) => message.Body ?? ''));
    const toSend = messages.filter((_, position) => send[position] !== false);
    // SQS refuses an empty batch: a chunk whose items are all stored is only deleted.
    const { Failed: refused = [] } =
      toSend.length === 0
        ? {}
        : await sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: to,
              Entries: toSend.map((message, index) => ({
                Id: String(index),
                MessageBody: message.Body ?? '',
                MessageGroupId: message.Attributes?.MessageGroupId ?? 'redrive',
                MessageDeduplicationId:
                  `${message.Attributes?.MessageDeduplicationId ?? ''}:r:${message.MessageId}`.slice(-128),
              })),
            }),
          );
    if (refused.length > 0) {
      throw new Error(
        `SQS refused ${refused.length} redriven messages (${refused[0]?.Code}); nothing was deleted from the dead-letter queue for them`,
      );
    }
    const deleted = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: from,
        Entries: messages.map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle ?? '',
        })),
      }),
    );
    if ((deleted.Failed ?? []).length > 0) {
      // Already sent: a rerun within 5 minutes resends them with the same deduplication ids, which SQS drops.
      throw new Error(
        `${deleted.Failed?.length} redriven messages could not be deleted from the dead-letter queue ` +
          `(${deleted.Failed?.[0]?.Code}); run redrive again within 5 minutes`,
      );
    }
    moved += toSend.length;
    alreadyStored += messages.length - toSend.length;
    onProgress(moved);
  }
}
