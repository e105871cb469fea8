import { createHash } from 'node:crypto';
import { ApiError } from './errors';
import { HTTP_ERRORS } from './http-errors';

/**
 * The request ledger's rules (the contract's Request ledger), free of AWS: what an entry holds, how a
 * request's status follows from it, and which redelivered records it shows as stored already. The
 * DynamoDB side is lambdas/ledger/.
 */

/** A request's entry as read back; the sets come back as sorted arrays. */
export interface LedgerEntry {
  readonly requestId: string;
  /**
   * Written by ingest before it enqueues: the caller, the item count and hash, the time of acceptance.
   * Absent when only the batch writer could write the entry (ingest found the ledger unreachable).
   */
  readonly apiKeyId?: string;
  readonly itemCount?: number;
  readonly itemsHash?: string;
  readonly acceptedAt?: string;
  /** The last time anything was recorded for the request (once all are stored: when the last one was). */
  readonly updatedAt?: string;
  /** Indexes of the request stored in results objects. */
  readonly stored: readonly number[];
  /** Indexes that failed their final attempt and went to the dead-letter queue (until redriven). */
  readonly failed: readonly number[];
  /** Indexes in SQS, recorded only when enqueueing stopped short (a 503), so a repeat sends only the rest. */
  readonly enqueued: readonly number[];
  /** Keys of the results objects that hold the request's items. */
  readonly objects: readonly string[];
}

/** An entry ingest wrote: it has an owner, its item count and its time of acceptance. */
export type OwnedEntry = LedgerEntry & {
  readonly apiKeyId: string;
  readonly itemCount: number;
  readonly acceptedAt: string;
};

export type RequestState = 'queued' | 'storing' | 'stored' | 'failed';

/** The body of `200` to `GET /requests/{requestId}`. */
export interface RequestStatus {
  readonly requestId: string;
  readonly status: RequestState;
  readonly accepted: number;
  readonly stored: number;
  readonly pending: number;
  readonly failed: number;
  readonly acceptedAt: string;
  readonly completedAt?: string;
  readonly objects: readonly string[];
  /** Items still pending and nothing recorded for longer than an item normally takes (see `isStale`). */
  readonly stale?: true;
}

/** Entries share the table with the idempotency records: one key prefix each. */
export const REQUEST_KEY_PREFIX = 'request#';
/** Powertools keys its idempotency records `<prefix>#<hash>` (ingest/idempotency.ts). */
export const IDEMPOTENCY_KEY_PREFIX = 'idempotency';

export const entryKey = (requestId: string): string => `${REQUEST_KEY_PREFIX}${requestId}`;

/**
 * SHA-256 of the items as parsed: numbers have one JSON form, so `[1.0, 2]`, `[1,2]` and `[ 1e0, 2 ]`
 * hash alike, while another order or another item does not.
 */
export const itemsHash = (items: readonly number[]): string =>
  createHash('sha256').update(JSON.stringify(items)).digest('hex');

const SECONDS_PER_DAY = 86_400;

/** DynamoDB's TTL attribute: epoch seconds, `days` after `from`. */
export const expiresAtEpoch = (from: Date, days: number): number =>
  Math.floor(from.getTime() / 1000) + days * SECONDS_PER_DAY;

/** The earliest acceptance time a repeat may still be answered for: `hours` before `now`, ISO 8601. */
export const windowStart = (now: Date, hours: number): string =>
  new Date(now.getTime() - hours * 3_600_000).toISOString();

/**
 * The entry is `callerScope`'s, and ingest wrote its part: only then is there a status to answer (an
 * entry only the batch writer could write has no owner).
 */
export const isOwnedBy = (entry: LedgerEntry, callerScope: string): entry is OwnedEntry =>
  entry.apiKeyId === callerScope && entry.itemCount !== undefined && entry.acceptedAt !== undefined;

/**
 * An item stored after it had failed (stored, then a lost acknowledgement, then its final attempt
 * failing) counts as stored: the results object is the truth.
 */
function counts(entry: OwnedEntry): { stored: number; failed: number; pending: number } {
  const stored = new Set(entry.stored);
  const failed = entry.failed.filter((index) => !stored.has(index)).length;
  return { stored: stored.size, failed, pending: Math.max(0, entry.itemCount - stored.size - failed) };
}

function stateOf(counted: { stored: number; failed: number; pending: number }): RequestState {
  if (counted.pending === 0) return counted.failed === 0 ? 'stored' : 'failed';
  return counted.stored === 0 && counted.failed === 0 ? 'queued' : 'storing';
}

/**
 * Pending items with nothing recorded for longer than `staleAfterSeconds` (the stack derives it from the
 * retries: every item is stored or dead-lettered within them unless the queue is backed up): the ledger
 * may have missed an update it could not write, or a 503 left items that were never enqueued.
 */
export function isStale(entry: OwnedEntry, now: Date, staleAfterSeconds: number): boolean {
  const lastChange = Date.parse(entry.updatedAt ?? entry.acceptedAt);
  return now.getTime() - lastChange > staleAfterSeconds * 1000;
}

/** What `GET /requests/{requestId}` answers for an entry. */
export function requestStatus(entry: OwnedEntry, now: Date, staleAfterSeconds: number): RequestStatus {
  const counted = counts(entry);
  const status = stateOf(counted);
  const stale = counted.pending > 0 && isStale(entry, now, staleAfterSeconds);
  return {
    requestId: entry.requestId,
    status,
    accepted: entry.itemCount,
    stored: counted.stored,
    pending: counted.pending,
    failed: counted.failed,
    acceptedAt: entry.acceptedAt,
    // No write of its own: the update that stored the last item is the entry's last update.
    ...(status === 'stored' && entry.updatedAt !== undefined ? { completedAt: entry.updatedAt } : {}),
    objects: [...entry.objects].sort(),
    ...(stale ? { stale: true } : {}),
  };
}

/** Where an item came from: its request and its index there. */
export interface ItemRef {
  readonly requestId: string;
  readonly index: number;
}

/** Indexes by request, in the order given: one ledger update per request. */
export function indexesByRequest(items: readonly ItemRef[]): Map<string, number[]> {
  const byRequest = new Map<string, number[]>();
  for (const { requestId, index } of items) {
    const indexes = byRequest.get(requestId) ?? [];
    indexes.push(index);
    byRequest.set(requestId, indexes);
  }
  return byRequest;
}

/**
 * Splits the records of an invocation: redelivered ones (receive count above 1) whose item the ledger
 * shows stored are acknowledged without a second write; the rest are written. A first delivery is
 * never looked up: the ledger cannot know it yet.
 */
export function withoutAlreadyStored<T>(
  records: readonly T[],
  refOf: (record: T) => ItemRef & { readonly receiveCount: number },
  storedByRequest: ReadonlyMap<string, ReadonlySet<number>>,
): { toWrite: T[]; alreadyStored: T[] } {
  const toWrite: T[] = [];
  const alreadyStored: T[] = [];
  for (const record of records) {
    const { requestId, index, receiveCount } = refOf(record);
    const stored = receiveCount > 1 && storedByRequest.get(requestId)?.has(index) === true;
    (stored ? alreadyStored : toWrite).push(record);
  }
  return { toWrite, alreadyStored };
}

/** The requests to look up before writing: those of redelivered records, each once. */
export const redeliveredRequests = <T>(
  records: readonly T[],
  refOf: (record: T) => ItemRef & { readonly receiveCount: number },
): string[] => [
  ...new Set(
    records
      .map(refOf)
      .filter(({ receiveCount }) => receiveCount > 1)
      .map(({ requestId }) => requestId),
  ),
];

/** A repeat of an Idempotency-Key whose first request is still being accepted (409). */
export class RequestInProgressError extends ApiError {
  readonly code = 'REQUEST_IN_PROGRESS';
  readonly status = HTTP_ERRORS.REQUEST_IN_PROGRESS.status;

  constructor(readonly requestId: string) {
    super(
      'A request with this Idempotency-Key is still being accepted; repeat it once that one has been answered',
    );
  }

  override get fields() {
    return { requestId: this.requestId };
  }
}

/** An Idempotency-Key used again with other items, or after its window (422). */
export class IdempotencyKeyReusedError extends ApiError {
  readonly code = 'IDEMPOTENCY_KEY_REUSED';
  readonly status = HTTP_ERRORS.IDEMPOTENCY_KEY_REUSED.status;

  constructor(
    readonly requestId: string,
    message: string,
  ) {
    super(message);
  }

  override get fields() {
    return { requestId: this.requestId };
  }
}

/** No entry for the id, or the entry of another caller: both answer the same, so nothing leaks (404). */
export class RequestNotFoundError extends ApiError {
  readonly code = 'REQUEST_NOT_FOUND';
  readonly status = HTTP_ERRORS.REQUEST_NOT_FOUND.status;
}

/** The ledger could not be read: the status is unknown for now, the request itself is unaffected (503). */
export class LedgerUnavailableError extends ApiError {
  readonly code = 'LEDGER_UNAVAILABLE';
  readonly status = HTTP_ERRORS.LEDGER_UNAVAILABLE.status;
}
