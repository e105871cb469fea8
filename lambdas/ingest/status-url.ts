import { requestStatusPath } from '../domain/api-paths';
import type { ApiEvent } from '../shared/http';

/**
 * The absolute URL of `GET /requests/{requestId}` on the stage a POST /items came in on, built from
 * the request itself (scheme, host, and the path before `/items`: the stage, or a custom domain's
 * base path), so it is right on every stage and domain without configuration.
 */

const ITEMS_PATH = /\/items\/?$/;

const headerOf = (event: ApiEvent, name: string): string | undefined =>
  Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === name)?.[1] ?? undefined;

/** The scheme, host and path prefix the client called, e.g. `https://abc.execute-api.../prod`. */
function stageUrl(event: ApiEvent): string | undefined {
  const { requestContext } = event;
  const host = headerOf(event, 'host') ?? requestContext.domainName;
  if (host === undefined) return undefined;
  const calledPath = 'rawPath' in event ? event.rawPath : event.requestContext.path;
  const prefix = calledPath.replace(ITEMS_PATH, '');
  // API Gateway serves HTTPS only.
  if (requestContext.domainName !== undefined) return `https://${host}${prefix}`;
  // The local emulator (MiniStack) serves the API under /_aws/execute-api/<apiId>/<stage>/, but its
  // events say only /<stage>/items and carry no domainName (API Gateway always sets one): put its path
  // form back, or the URL would point at the emulator's root. It serves plain HTTP unless told otherwise.
  const scheme = headerOf(event, 'x-forwarded-proto') ?? 'http';
  return `${scheme}://${host}/_aws/execute-api/${requestContext.apiId}${prefix}`;
}

/** The status URL of `requestId`, or undefined when the event names no host (never on API Gateway). */
export function statusUrlOf(event: ApiEvent, requestId: string): string | undefined {
  const base = stageUrl(event);
  return base === undefined ? undefined : `${base}${requestStatusPath(requestId)}`;
}
