import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, APIGatewayProxyResult } from 'aws-lambda';
import type { ApiError } from '../domain/errors';
import type { HttpRequest } from '../domain/request';

/**
 * The HTTP side of the API functions (ingest, status), shared: API Gateway's events read alike in
 * payload v1 and v2, and answers in the contract's shape, errors included.
 */

export type ApiEvent = APIGatewayProxyEvent | APIGatewayProxyEventV2;

export interface ApiRequest extends HttpRequest {
  /** Who is calling: the API key id on REST APIs, so Idempotency-Keys of two callers never collide. */
  readonly callerScope: string;
}

const isV2 = (event: ApiEvent): event is APIGatewayProxyEventV2 =>
  'version' in event && event.version === '2.0';

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
  const callerScope = isV2(event) ? 'anonymous' : (event.requestContext?.identity?.apiKeyId ?? 'anonymous');
  return {
    headers: lowerCaseHeaders(event.headers),
    body: event.body ?? null,
    isBase64Encoded: event.isBase64Encoded ?? false,
    callerScope,
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
