import {
  isOwnedBy,
  LedgerUnavailableError,
  RequestNotFoundError,
  type RequestStatus,
  requestStatus,
} from '../domain/ledger';
import type { StatusLedger } from '../ledger/ledger-interfaces';

/** Request ids are UUIDs; anything else cannot have an entry, and is not looked up. */
const REQUEST_ID = /^[A-Za-z0-9_-]{1,128}$/;

export interface StatusQuery {
  /** The `{requestId}` of the path, as API Gateway passes it. */
  readonly requestId: string | undefined;
  /** The caller's API key id: only the caller that made the request may read it. */
  readonly callerScope: string;
  readonly now: Date;
  /** Pending items with nothing recorded for this long are reported stale. */
  readonly staleAfterSeconds: number;
}

/**
 * `GET /requests/{requestId}`: the request's status from its ledger entry. An unknown id and another
 * caller's request are both RequestNotFoundError, with the same message, so an answer never tells that
 * someone else's request exists.
 */
export async function readRequestStatus(ledger: StatusLedger, query: StatusQuery): Promise<RequestStatus> {
  const { requestId = '', callerScope } = query;
  const notFound = new RequestNotFoundError(`No request ${requestId} for this caller`);
  if (!REQUEST_ID.test(requestId)) throw notFound;
  let entry: Awaited<ReturnType<StatusLedger['read']>>;
  try {
    entry = await ledger.read(requestId);
  } catch (error) {
    throw new LedgerUnavailableError('The request ledger could not be read; retry later', { cause: error });
  }
  if (entry === undefined || !isOwnedBy(entry, callerScope)) throw notFound;
  return requestStatus(entry, query.now, query.staleAfterSeconds);
}
