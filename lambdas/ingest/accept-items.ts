import { PublishBatchCommand, type PublishBatchRequestEntry, type SNSClient } from '@aws-sdk/client-sns';
import { deduplicationId, encodeEnvelope, messageGroupId, requestIdFor } from '../domain/envelope';
import type { IngestSettings } from '../domain/environment';
import { EnqueueFailedError } from '../domain/errors';
import { IdempotencyKeyReusedError, itemsHash, type LedgerEntry, windowStart } from '../domain/ledger';
import type { ItemsRequest } from '../domain/request';
import type { IngestLedger } from '../ledger/ledger-interfaces';
import type { Idempotency } from './idempotency';

export interface IngestDeps {
  /** The dispatcher: an SNS FIFO topic every consumer's queue subscribes to. */
  readonly sns: SNSClient;
  readonly clock: () => Date;
  readonly randomId: () => string;
  readonly sleep: (ms: number) => Promise<void>;
  readonly ledger: IngestLedger;
  /** Runs a request with an Idempotency-Key once per window (idempotency.ts). */
  readonly idempotency: Idempotency;
  /** A ledger write failed and the request went on without it: log and count it. */
  readonly ledgerError: (message: string, error: unknown) => void;
}

export interface Accepted {
  readonly requestId: string;
  readonly accepted: number;
  /**
   * Indexes the dispatcher took only on a retry, after a later entry of the same chunk it had already
   * taken (PublishBatch reports entries one by one): their objects come after later items' objects.
   */
  readonly enqueuedOutOfOrder: number[];
  /** The ledger has the request's entry, so its status can be read (not when the ledger was unreachable). */
  readonly tracked: boolean;
  /** Items this call put in the dispatcher: all, the rest after a 503, none for a repeat answered from its record. */
  readonly enqueuedNow: number;
}

/** SNS takes at most 10 entries per PublishBatch. */
export const CHUNK_SIZE = 10;
/** Attempts per chunk on top of the SDK's own retries, for entries the dispatcher reports as failed. */
export const MAX_ATTEMPTS = 4;
const BACKOFF_MS = 50;

const chunk = <T>(values: readonly T[], size: number): T[][] =>
  Array.from(
    // Stryker disable next-line ArithmeticOperator: more chunks than that are empty, and an empty chunk sends nothing
    { length: Math.ceil(values.length / size) },
    (_, i) => values.slice(i * size, i * size + size),
  );

interface ChunkResult {
  /** Indexes of the request the dispatcher took. */
  readonly taken: number[];
  /** Indexes of the request the dispatcher took after it had taken a later entry of the chunk. */
  readonly outOfOrder: number[];
  /** What made the last failed attempt fail; the cause of the 503 when entries are left over. */
  readonly lastError?: unknown;
}

/** Sends one chunk until every entry is in; returns which went in before giving up. */
async function sendChunk(
  entries: readonly PublishBatchRequestEntry[],
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
      const result = await deps.sns.send(
        new PublishBatchCommand({ TopicArn: settings.topicArn, PublishBatchRequestEntries: pending }),
      );
      // Stryker disable next-line ArrayDeclaration: without a Failed list nothing failed; a fallback of non-entries fails no id either
      const failed = result.Failed ?? [];
      const failedIds = new Set(failed.map((failure) => failure.Id));
      const [firstFailure] = failed;
      if (firstFailure !== undefined)
        lastError = new Error(`The dispatcher rejected ${failed.length} entries: ${firstFailure.Code}`);
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
  const unsent = new Set(pending.map((entry) => entry.Id));
  const taken = entries.filter((entry) => !unsent.has(entry.Id)).map((entry) => Number(entry.Id));
  return { taken, outOfOrder, lastError };
}

/** What the ledger knows of the request before this attempt, or nothing when it could not be written. */
interface Recorded {
  readonly tracked: boolean;
  /** The entry of an earlier attempt with the same request id (an Idempotency-Key after a 503). */
  readonly previous?: LedgerEntry;
}

/**
 * The ledger entry. A ledger that cannot be written never stops the request (the contract: the ledger
 * is not on the path of data loss): it is reported, and the 202 then names no status URL. Only a key
 * used for other items stops it (422).
 */
async function recordAccepted(
  requestId: string,
  items: readonly number[],
  callerScope: string,
  now: Date,
  keyed: boolean,
  settings: IngestSettings,
  deps: IngestDeps,
): Promise<Recorded> {
  try {
    const previous = await deps.ledger.recordAccepted({
      requestId,
      apiKeyId: callerScope,
      itemCount: items.length,
      itemsHash: itemsHash(items),
      acceptedAt: now,
      windowStart: windowStart(now, settings.idempotencyWindowHours),
      repeatable: keyed,
    });
    return { tracked: true, previous };
  } catch (error) {
    if (error instanceof IdempotencyKeyReusedError) throw error;
    deps.ledgerError('Ledger entry not written', error);
    return { tracked: false };
  }
}

/** After a 503, what the dispatcher has of the request, so a repeat sends only the rest; best effort. */
async function recordEnqueued(
  requestId: string,
  indexes: readonly number[],
  deps: IngestDeps,
): Promise<void> {
  try {
    await deps.ledger.recordEnqueued(requestId, indexes);
  } catch (error) {
    deps.ledgerError('Enqueued items not recorded', error);
  }
}

/** What publishing a request's items came to; a shortfall is answered 503 once the entry is written. */
interface Published {
  /** Indexes the dispatcher has: the earlier attempts' and this one's. */
  readonly enqueued: number[];
  readonly enqueuedOutOfOrder: number[];
  /** Items this attempt put in the dispatcher. */
  readonly enqueuedNow: number;
  /** The dispatcher kept failing: the cause, and the rest of the request was not sent. */
  readonly shortfall?: { readonly cause: unknown };
}

/**
 * Publishes every item the dispatcher does not have yet, one message each. Chunks go one after another
 * because order within a message group is the order of publishing; the first chunk the dispatcher
 * keeps failing stops the rest. Deduplication ids are derived from the request id and index, so our
 * own retries never enqueue an item twice.
 */
async function publishItems(
  requestId: string,
  items: readonly number[],
  previous: LedgerEntry | undefined,
  now: Date,
  settings: IngestSettings,
  deps: IngestDeps,
): Promise<Published> {
  // A repeat's items carry the first attempt's acceptance time, as the items that attempt enqueued do.
  const acceptedAt = previous?.acceptedAt ?? now.toISOString();
  const alreadyEnqueued = new Set(previous?.enqueued);
  const groupId = messageGroupId(settings.ordering, requestId);
  const entries = items.flatMap((item, index): PublishBatchRequestEntry[] =>
    alreadyEnqueued.has(index)
      ? []
      : [
          {
            Id: String(index),
            Message: encodeEnvelope({ v: 1, item, requestId, index, acceptedAt }),
            MessageGroupId: groupId,
            MessageDeduplicationId: deduplicationId(requestId, index),
          },
        ],
  );
  const enqueued = [...alreadyEnqueued];
  const enqueuedOutOfOrder: number[] = [];
  for (const entriesOfChunk of chunk(entries, CHUNK_SIZE)) {
    const { taken, outOfOrder, lastError } = await sendChunk(entriesOfChunk, settings, deps);
    enqueued.push(...taken);
    enqueuedOutOfOrder.push(...outOfOrder);
    if (taken.length < entriesOfChunk.length) {
      const enqueuedNow = enqueued.length - alreadyEnqueued.size;
      return { enqueued, enqueuedOutOfOrder, enqueuedNow, shortfall: { cause: lastError } };
    }
  }
  return { enqueued, enqueuedOutOfOrder, enqueuedNow: entries.length };
}

/**
 * Writes the ledger entry and publishes the items. With an Idempotency-Key the entry comes first: an
 * earlier attempt's entry says what the dispatcher already has, and a repeat skips it, whenever it
 * comes. Without one the request id is new, so there is nothing to skip, and the entry is written
 * while the items are published: the batch writer's updates may reach the entry before it, and it
 * commutes with them (ledger-inputs.ts). Either way the answer waits for the entry, which decides
 * the status URL and must be in place before a 503 records what was taken.
 */
async function enqueueOnce(
  requestId: string,
  items: readonly number[],
  callerScope: string,
  keyed: boolean,
  settings: IngestSettings,
  deps: IngestDeps,
): Promise<Accepted> {
  const now = deps.clock();
  const recording = recordAccepted(requestId, items, callerScope, now, keyed, settings, deps);
  let recorded: Recorded;
  let published: Published;
  if (keyed) {
    recorded = await recording;
    published = await publishItems(requestId, items, recorded.previous, now, settings, deps);
  } else {
    [recorded, published] = await Promise.all([
      recording,
      publishItems(requestId, items, undefined, now, settings, deps),
    ]);
  }
  const { tracked } = recorded;
  const { enqueued, enqueuedOutOfOrder, enqueuedNow, shortfall } = published;
  if (shortfall !== undefined) {
    if (tracked) await recordEnqueued(requestId, enqueued, deps);
    throw new EnqueueFailedError(requestId, enqueued.length, items.length, enqueuedNow, {
      cause: shortfall.cause,
    });
  }
  return {
    requestId,
    accepted: items.length,
    enqueuedOutOfOrder: enqueuedOutOfOrder.sort((a, b) => a - b),
    tracked,
    enqueuedNow,
  };
}

/**
 * Accepts a request: its entry in the ledger and every item in the dispatcher. With an Idempotency-Key
 * the request id is derived from the key and the caller, and the request runs once per window: a
 * repeat gets the first answer (idempotency.ts).
 */
export async function acceptItems(
  request: ItemsRequest,
  callerScope: string,
  settings: IngestSettings,
  deps: IngestDeps,
): Promise<Accepted> {
  const requestId = requestIdFor(request.idempotencyKey, callerScope, deps.randomId);
  const keyed = request.idempotencyKey !== undefined;
  const enqueue = () => enqueueOnce(requestId, request.items, callerScope, keyed, settings, deps);
  if (!keyed) return enqueue();
  let ran = false;
  const answer = await deps.idempotency.once({ requestId, items: request.items }, () => {
    ran = true;
    return enqueue();
  });
  return ran ? answer : { ...answer, enqueuedNow: 0 };
}
