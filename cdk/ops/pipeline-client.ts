import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Clients, Deployment } from './deployment';
import type { AcceptedRequest } from './invariants';

/** What the tools and the end-to-end tests do with a deployment: send, read back, redrive. */

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

export async function postItems(
  deployment: Deployment,
  body: string,
  headers: Record<string, string> = {},
  http: typeof fetch = fetch,
): Promise<PostResult> {
  const response = await http(deployment.apiUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': deployment.apiKey, ...headers },
    body,
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text };
}

export interface StoredObject<T = unknown> {
  readonly key: string;
  readonly lastModified: Date | undefined;
  readonly body: T;
}

/** Every key under a prefix, page by page. */
export async function* listKeys(
  clients: Clients,
  bucket: string,
  prefix: string,
): AsyncGenerator<{ key: string; lastModified?: Date }> {
  let token: string | undefined;
  do {
    const page = await clients.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      if (object.Key) yield { key: object.Key, lastModified: object.LastModified };
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

export async function readJson<T>(clients: Clients, bucket: string, key: string): Promise<T> {
  const object = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse((await object.Body?.transformToString()) ?? 'null') as T;
}

export interface ReadOptions {
  /** Parallel GETs. */
  readonly concurrency?: number;
  /** Only objects stored at or after this time (S3 LastModified). */
  readonly modifiedSince?: Date;
  /** Keys not to read, e.g. those read by an earlier poll (objects are written once). */
  readonly skip?: ReadonlySet<string>;
}

/** Objects under a prefix with their JSON bodies, read a few at a time, in key order. */
export async function readObjects<T>(
  clients: Clients,
  bucket: string,
  prefix: string,
  { concurrency = 8, modifiedSince, skip }: ReadOptions = {},
): Promise<StoredObject<T>[]> {
  const keys: { key: string; lastModified?: Date }[] = [];
  for await (const entry of listKeys(clients, bucket, prefix)) {
    if (skip?.has(entry.key)) continue;
    if (!modifiedSince || (entry.lastModified && entry.lastModified >= modifiedSince)) keys.push(entry);
  }
  keys.sort((a, b) => a.key.localeCompare(b.key));
  const objects: StoredObject<T>[] = new Array(keys.length);
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const index = next++;
      const entry = keys[index];
      if (!entry) continue;
      objects[index] = {
        key: entry.key,
        lastModified: entry.lastModified,
        body: await readJson<T>(clients, bucket, entry.key),
      };
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, keys.length) }, worker));
  return objects;
}

export interface RedriveResult {
  readonly moved: number;
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
  /** Runs before each chunk is sent back, with the chunk's message bodies (e.g. to update the ledger). */
  beforeSend: (bodies: string[]) => Promise<void> = async () => {},
): Promise<RedriveResult> {
  let moved = 0;
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
    if (messages.length === 0) return { moved };
    await beforeSend(messages.map((message) => message.Body ?? ''));
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: to,
        Entries: messages.map((message, index) => ({
          Id: String(index),
          MessageBody: message.Body ?? '',
          MessageGroupId: message.Attributes?.MessageGroupId ?? 'redrive',
          MessageDeduplicationId:
            `${message.Attributes?.MessageDeduplicationId ?? ''}:r:${message.MessageId}`.slice(-128),
        })),
      }),
    );
    if ((sent.Failed ?? []).length > 0) {
      throw new Error(
        `SQS refused ${sent.Failed?.length} redriven messages (${sent.Failed?.[0]?.Code}); nothing was deleted from the dead-letter queue for them`,
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
    moved += messages.length;
    onProgress(moved);
  }
}
