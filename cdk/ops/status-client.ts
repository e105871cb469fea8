import { setTimeout as delay } from 'node:timers/promises';
import { ITEMS_PATH, requestStatusPath } from '../../lambdas/domain/api-paths';
import { RequestNotFoundError, type RequestStatus } from '../../lambdas/domain/ledger';
import { type ApiTarget, sendApiRequest, signedRequestDenied } from './api-request';
import type { Deployment } from './deployment';

/** What the tools do with `GET /requests/{requestId}`: the producer's own view, through the API. */

export class StatusTimeoutError extends Error {
  readonly code = 'STATUS_TIMEOUT';
  constructor(
    readonly last: RequestStatus,
    seconds: number,
  ) {
    super(
      `Request ${last.requestId} still ${last.status} after ${seconds} s (${last.stored}/${last.accepted} stored)`,
    );
    this.name = 'StatusTimeoutError';
  }
}

/** A path of a deployment's API (e.g. `/analyses`): its items URL with that path instead of /items. */
export function deploymentApiUrl(deployment: Pick<Deployment, 'apiUrl'>, path: string): string {
  const { apiUrl } = deployment;
  const stageUrl = apiUrl.endsWith(ITEMS_PATH) ? apiUrl.slice(0, -ITEMS_PATH.length) : apiUrl;
  return `${stageUrl}${path}`;
}

/** A request's status URL on a deployment: its items URL with the request's path instead of /items (as the 202 says). */
export const deploymentStatusUrl = (deployment: Pick<Deployment, 'apiUrl'>, requestId: string): string =>
  deploymentApiUrl(deployment, requestStatusPath(requestId));

export async function getRequestStatus(
  deployment: ApiTarget,
  requestId: string,
  http: typeof fetch = fetch,
): Promise<RequestStatus> {
  const response = await sendApiRequest(
    deployment,
    { method: 'GET', url: deploymentStatusUrl(deployment, requestId) },
    http,
  );
  const text = await response.text();
  if (response.status === 404) {
    const caller =
      deployment.auth === 'iam'
        ? "these credentials (unknown, expired, or another caller's)"
        : "this API key (unknown, expired, or another key's)";
    throw new RequestNotFoundError(`No request ${requestId} for ${caller}`);
  }
  const what = `GET /requests/${requestId}`;
  if (response.status !== 200)
    throw (
      signedRequestDenied(deployment, what, response.status, text) ??
      new Error(`${what} answered ${response.status}: ${text}`)
    );
  return JSON.parse(text) as RequestStatus;
}

const FINAL: ReadonlySet<RequestStatus['status']> = new Set(['stored', 'failed']);

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly pollMs?: number;
  readonly http?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /** Called on every change of status or stored count. */
  readonly onProgress?: (status: RequestStatus) => void;
}

/** Polls the request's status until it is `stored` or `failed`, or the deadline. */
export async function waitForRequest(
  deployment: ApiTarget,
  requestId: string,
  {
    timeoutMs,
    pollMs = 500,
    http = fetch,
    sleep = (ms) => delay(ms),
    now = Date.now,
    onProgress,
  }: WaitOptions,
): Promise<RequestStatus> {
  const deadline = now() + timeoutMs;
  let shown = '';
  for (;;) {
    const status = await getRequestStatus(deployment, requestId, http);
    const progress = `${status.status} ${status.stored}/${status.accepted}`;
    if (progress !== shown) {
      shown = progress;
      onProgress?.(status);
    }
    if (FINAL.has(status.status)) return status;
    if (now() >= deadline) throw new StatusTimeoutError(status, Math.round(timeoutMs / 1000));
    await sleep(Math.min(pollMs, Math.max(0, deadline - now())));
  }
}

/** One line for a terminal: `stored 4/4 (0 pending, 0 failed) in 2 objects`. */
export const statusLine = (status: RequestStatus): string =>
  `${status.status} ${status.stored}/${status.accepted} (${status.pending} pending, ${status.failed} failed)` +
  ` in ${status.objects.length} object${status.objects.length === 1 ? '' : 's'}${status.stale ? ', stale' : ''}`;
