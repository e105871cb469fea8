import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { deduplicationId, encodeEnvelope, messageGroupId, requestIdFor } from '../domain/envelope';
import { EnqueueFailedError } from '../domain/errors';
import type { ItemsRequest } from '../domain/request';
import type { IngestSettings } from '../domain/settings';

export interface IngestDeps {
  readonly sqs: SQSClient;
  readonly clock: () => Date;
  readonly randomId: () => string;
  readonly sleep: (ms: number) => Promise<void>;
}

export interface Accepted {
  readonly requestId: string;
  readonly accepted: number;
  /**
   * Indexes SQS took only on a retry, after a later entry of the same chunk it had already taken
   * (SendMessageBatch reports entries one by one): their objects come after later items' objects.
   */
  readonly enqueuedOutOfOrder: number[];
}

/** SQS takes at most 10 entries per SendMessageBatch. */
const CHUNK_SIZE = 10;
/** Attempts per chunk on top of the SDK's own retries, for entries SQS reports as failed. */
export const MAX_ATTEMPTS = 4;
const BACKOFF_MS = 50;

const chunk = <T>(values: readonly T[], size: number): T[][] =>
  Array.from(
    // Stryker disable next-line ArithmeticOperator: more chunks than that are empty, and an empty chunk sends nothing
    { length: Math.ceil(values.length / size) },
    (_, i) => values.slice(i * size, i * size + size),
  );

interface ChunkResult {
  readonly sent: number;
  /** Indexes of the request SQS took after it had taken a later entry of the chunk. */
  readonly outOfOrder: number[];
  /** What made the last failed attempt fail; the cause of the 503 when entries are left over. */
  readonly lastError?: unknown;
}

/** Sends one chunk until every entry is in; returns how many went in before giving up. */
async function sendChunk(
  entries: readonly SendMessageBatchRequestEntry[],
  settings: IngestSettings,
  deps: IngestDeps,
): Promise<ChunkResult> {
  let pending = [...entries];
  let lastError: unknown;
  const outOfOrder: number[] = [];
  let lastTakenPosition = -1;
  const positionOf = new Map(entries.map((entry, position) => [entry.Id, position]));
  for (let attempt = 1; attempt <= MAX_ATTEMPTS && pending.length > 0; attempt += 1) {
    if (attempt > 1) await deps.sleep(BACKOFF_MS * 2 ** (attempt - 2));
    try {
      const result = await deps.sqs.send(
        new SendMessageBatchCommand({ QueueUrl: settings.queueUrl, Entries: pending }),
      );
      // Stryker disable next-line ArrayDeclaration: without a Failed list nothing failed; a fallback of non-entries fails no id either
      const failed = result.Failed ?? [];
      const failedIds = new Set(failed.map((failure) => failure.Id));
      const [firstFailure] = failed;
      if (firstFailure !== undefined)
        lastError = new Error(`SQS rejected ${failed.length} entries: ${firstFailure.Code}`);
      const taken = pending.filter((entry) => !failedIds.has(entry.Id));
      for (const entry of taken) {
        const position = positionOf.get(entry.Id) ?? 0;
        // Stryker disable next-line EqualityOperator: an entry is taken once, so it never sits at a position taken before it
        if (position < lastTakenPosition) outOfOrder.push(Number(entry.Id));
      }
      lastTakenPosition = Math.max(lastTakenPosition, ...taken.map((entry) => positionOf.get(entry.Id) ?? 0));
      pending = pending.filter((entry) => failedIds.has(entry.Id));
    } catch (error) {
      lastError = error;
    }
  }
  return { sent: entries.length - pending.length, outOfOrder, lastError };
}

/**
 * Puts every item of an accepted request on the queue, one message each. Chunks go one after
 * another because order within a message group is the order of sending. Deduplication ids are
 * derived from the request id and index, so resending (our retries, or a client repeating an
 * Idempotency-Key) never enqueues an item twice within SQS's 5-minute window.
 */
export async function acceptItems(
  request: ItemsRequest,
  callerScope: string,
  settings: IngestSettings,
  deps: IngestDeps,
): Promise<Accepted> {
  const requestId = requestIdFor(request.idempotencyKey, callerScope, deps.randomId);
  const acceptedAt = deps.clock().toISOString();
  const groupId = messageGroupId(settings.ordering, requestId);
  const entries = request.items.map(
    (item, index): SendMessageBatchRequestEntry => ({
      Id: String(index),
      MessageBody: encodeEnvelope({ v: 1, item, requestId, index, acceptedAt }),
      MessageGroupId: groupId,
      MessageDeduplicationId: deduplicationId(requestId, index),
    }),
  );
  let enqueued = 0;
  const enqueuedOutOfOrder: number[] = [];
  for (const entriesOfChunk of chunk(entries, CHUNK_SIZE)) {
    const { sent, outOfOrder, lastError } = await sendChunk(entriesOfChunk, settings, deps);
    enqueued += sent;
    enqueuedOutOfOrder.push(...outOfOrder);
    if (sent < entriesOfChunk.length) {
      throw new EnqueueFailedError(requestId, enqueued, entries.length, { cause: lastError });
    }
  }
  return { requestId, accepted: enqueued, enqueuedOutOfOrder: enqueuedOutOfOrder.sort((a, b) => a - b) };
}
