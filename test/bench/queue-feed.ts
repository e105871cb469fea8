import type { UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import type { SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { deduplicationId, encodeEnvelope, messageGroupId } from '../../lambdas/domain/envelope';
import { itemsHash, windowStart } from '../../lambdas/domain/ledger';
import type { Ordering } from '../../lambdas/domain/settings';
import { acceptedUpdate } from '../../lambdas/ledger/ledger-inputs';

/**
 * Feeding the item queue as the ingest function would, without API Gateway and the ingest function:
 * the same envelopes, group ids and deduplication ids (the project's own code), and the same ledger
 * entries. Pure: the calls are built here and sent by the benchmark.
 */

export interface FedRequest {
  readonly requestId: string;
  readonly items: readonly number[];
}

export interface MessageBatch {
  /** At most 10 entries, in request order and index order. */
  readonly entries: SendMessageBatchRequestEntry[];
  /** Requests whose first message is in this batch. */
  readonly startsRequests: string[];
}

/** SQS takes at most 10 entries per SendMessageBatch. */
const MAX_BATCH = 10;

/**
 * The ingest function's messages for these requests, in request order, 10 to a SendMessageBatch:
 * packed across requests (fewer calls than ingest makes), or `perRequest`, each request's own chunks
 * of 10, as the ingest function sends them. One sender sending the batches one after another keeps
 * each group's send order, as ingest's chunks do.
 */
export function ingestMessageBatches(
  requests: readonly FedRequest[],
  acceptedAt: string,
  ordering: Ordering,
  { perRequest = false } = {},
): MessageBatch[] {
  const batches: MessageBatch[] = [];
  for (const { requestId, items } of requests) {
    items.forEach((item, index) => {
      let batch = batches.at(-1);
      if (
        batch === undefined ||
        batch.entries.length === MAX_BATCH ||
        (perRequest && index % MAX_BATCH === 0)
      ) {
        batch = { entries: [], startsRequests: [] };
        batches.push(batch);
      }
      if (index === 0) batch.startsRequests.push(requestId);
      batch.entries.push({
        Id: String(batch.entries.length),
        MessageBody: encodeEnvelope({ v: 1, item, requestId, index, acceptedAt }),
        MessageGroupId: messageGroupId(ordering, requestId),
        MessageDeduplicationId: deduplicationId(requestId, index),
      });
    });
  }
  return batches;
}

export interface LedgerTarget {
  readonly tableName: string;
  readonly retentionDays: number;
  readonly idempotencyWindowHours: number;
  /** The caller's API key id, which ingest records as the entry's owner. */
  readonly apiKeyId: string;
}

/** The ledger writes the ingest function makes for requests without an Idempotency-Key (one UpdateItem each). */
export function ingestLedgerWrites(
  requests: readonly FedRequest[],
  acceptedAt: Date,
  target: LedgerTarget,
): UpdateItemCommandInput[] {
  return requests.map(({ requestId, items }) =>
    acceptedUpdate(
      {
        requestId,
        apiKeyId: target.apiKeyId,
        itemCount: items.length,
        itemsHash: itemsHash(items),
        acceptedAt,
        windowStart: windowStart(acceptedAt, target.idempotencyWindowHours),
        repeatable: false,
      },
      { tableName: target.tableName, retentionDays: target.retentionDays, now: acceptedAt },
    ),
  );
}
