import type {
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyEventV2WithIAMAuthorizer,
  APIGatewayProxyResult,
} from 'aws-lambda';
import type { ApiError } from '../domain/errors';
import type { HttpRequest } from '../domain/request';

/**
 * The HTTP side of the API functions (ingest, status), shared: API Gateway's events read alike in
 * payload v1 and v2, and answers in the contract's shape, errors included.
 */

type V2Event = APIGatewayProxyEventV2 | APIGatewayProxyEventV2WithIAMAuthorizer;
export type ApiEvent = APIGatewayProxyEvent | V2Event;

export interface ApiRequest extends HttpRequest {
  /**
   * Who is calling (callerScopeOf): the ledger entry's owner, and part of an Idempotency-Key's request
   * id, so the keys of two callers never collide and a status answers only its own caller.
   */
  readonly callerScope: string;
}

const isV2 = (event: ApiEvent): event is V2Event => 'version' in event && event.version === '2.0';

/** Scopes of IAM principals, kept apart from API key ids (10 letters and digits) and `anonymous`. */
export const IAM_SCOPE_PREFIX = 'iam:';
export const ANONYMOUS_SCOPE = 'anonymous';

/** `arn:<partition>:sts::<account>:assumed-role/<role>/<session>`: role names hold no `/`. */
const ASSUMED_ROLE_SESSION = /^(arn:[^:]+:sts::\d{12}:assumed-role\/[^/]+)\/[^/]+$/;

/**
 * The scope of an IAM principal. An assumed role's ARN names the session, and a role's credentials get
 * a new session at each refresh: the role is the caller, so a producer's retry with refreshed
 * credentials keeps its Idempotency-Key's request id and its requests' statuses.
 */
export const iamScope = (userArn: string): string =>
  `${IAM_SCOPE_PREFIX}${userArn.replace(ASSUMED_ROLE_SESSION, '$1')}`;

/**
 * The caller: the IAM principal when the gateway authorized the request by IAM (SigV4), else the API
 * key id on REST APIs with keys, else `anonymous`. No setting says which to read: only API Gateway
 * fills these fields, `userArn` only for a method or route with IAM authorization and `apiKeyId` only
 * for one that requires a key, whatever a client sends.
 */
function callerScopeOf(event: ApiEvent): string {
  if (isV2(event)) {
    const userArn =
      'authorizer' in event.requestContext ? event.requestContext.authorizer?.iam?.userArn : undefined;
    return userArn ? iamScope(userArn) : ANONYMOUS_SCOPE;
  }
  const identity = event.requestContext?.identity;
  if (identity?.userArn) return iamScope(identity.userArn);
  return identity?.apiKeyId ?? ANONYMOUS_SCOPE;
}

function lowerCaseHeaders(
  headers: Record<string, string | undefined> | null | undefined,
): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) result[name.toLowerCase()] = value;
  }
  return result;
}

/** Reads payload v1 (REST API) and v2 (HTTP API) events alike. */
export function toApiRequest(event: ApiEvent): ApiRequest {
  return {
    headers: lowerCaseHeaders(event.headers),
    body: event.body ?? null,
    isBase64Encoded: event.isBase64Encoded ?? false,
    callerScope: callerScopeOf(event),
  };
}

export function jsonResponse(statusCode: number, body: unknown): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

export interface ErrorBody {
  readonly code: string;
  readonly message: string;
  readonly index?: number;
  readonly [extra: string]: unknown;
}

export const errorResponse = (statusCode: number, error: ErrorBody): APIGatewayProxyResult =>
  jsonResponse(statusCode, { error });

/** The answer to an error the API answers itself: its status, code, message and fields. */
export const errorAnswer = (error: ApiError): APIGatewayProxyResult =>
  errorResponse(error.status, { code: error.code, message: error.message, ...error.fields });
