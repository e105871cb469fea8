import type { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { type Mock, vi } from 'vitest';
import type { HttpRequest, RequestLimits } from '../../lambdas/domain/request';
import type { IngestSettings } from '../../lambdas/domain/settings';
import type { IngestDeps } from '../../lambdas/ingest/accept-items';

/** The clock of every ingest test; envelopes carry it as `acceptedAt`. */
export const FIXED_NOW = '2026-11-23T10:42:07.123Z';
export const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/items.fifo';
export const API_KEY_ID = 'key-id-1';

/** The production defaults of SPEC section 2: 500 items, 64 KiB. */
export const DEFAULT_LIMITS: RequestLimits = { maxItemsPerRequest: 500, maxBodyBytes: 64 * 1024 };

export const JSON_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/json' };

/** A request as `parseItemsRequest` sees it (header names lower case), valid unless overridden. */
export function httpRequest(overrides: Partial<HttpRequest> = {}): HttpRequest {
  return { headers: JSON_HEADERS, body: '[1,2,3,4]', isBase64Encoded: false, ...overrides };
}

export function ingestSettings(overrides: Partial<IngestSettings> = {}): IngestSettings {
  return { queueUrl: QUEUE_URL, ordering: 'perRequest', ...DEFAULT_LIMITS, ...overrides };
}

/** The environment the stack gives the ingest function, plus quiet Powertools for tests. */
export function ingestEnv(overrides: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    QUEUE_URL,
    ORDERING: 'perRequest',
    AWS_REGION: 'eu-west-1',
    POWERTOOLS_SERVICE_NAME: 'ingest-test',
    POWERTOOLS_METRICS_NAMESPACE: 'PipelineTest',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    ...overrides,
  };
}

export type TestIngestDeps = IngestDeps & { readonly sleep: Mock<(ms: number) => Promise<void>> };

/** Fixed clock, ids `random-1`, `random-2`, ... and a `sleep` that returns at once but records the wait. */
export function ingestDeps(
  sqs: SQSClient,
  overrides: Partial<Pick<IngestDeps, 'clock' | 'randomId'>> = {},
): TestIngestDeps {
  let next = 0;
  return {
    sqs,
    clock: () => new Date(FIXED_NOW),
    randomId: () => {
      next += 1;
      return `random-${next}`;
    },
    ...overrides,
    sleep: vi.fn(async (_ms: number): Promise<void> => undefined),
  };
}

export interface EventSpec {
  readonly body?: string | null;
  readonly headers?: Readonly<Record<string, string>>;
  readonly isBase64Encoded?: boolean;
}

/** A REST API (payload v1) POST /items event; `apiKeyId` is what API Gateway puts in the identity. */
export function v1Event({
  body = '[1,2,3,4]',
  headers = { 'Content-Type': 'application/json' },
  isBase64Encoded = false,
  apiKeyId = API_KEY_ID,
}: EventSpec & { readonly apiKeyId?: string | null } = {}): APIGatewayProxyEvent {
  return {
    resource: '/items',
    path: '/items',
    httpMethod: 'POST',
    headers: { ...headers },
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    body,
    isBase64Encoded,
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api123',
      authorizer: undefined,
      protocol: 'HTTP/1.1',
      httpMethod: 'POST',
      path: '/prod/items',
      stage: 'prod',
      requestId: 'gateway-request-1',
      requestTimeEpoch: Date.parse(FIXED_NOW),
      resourceId: 'res123',
      resourcePath: '/items',
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: apiKeyId === null ? null : 'the-secret-key',
        apiKeyId,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '203.0.113.7',
        user: null,
        userAgent: 'vitest',
        userArn: null,
      },
    },
  };
}

/** An HTTP API (payload v2) POST /items event; HTTP APIs lower-case header names themselves. */
export function v2Event({
  body = '[1,2,3,4]',
  headers = { 'content-type': 'application/json' },
  isBase64Encoded = false,
}: EventSpec = {}): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /items',
    rawPath: '/items',
    rawQueryString: '',
    headers: { ...headers },
    ...(body === null ? {} : { body }),
    isBase64Encoded,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api123',
      domainName: 'api123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'api123',
      http: {
        method: 'POST',
        path: '/items',
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: 'vitest',
      },
      requestId: 'gateway-request-2',
      routeKey: 'POST /items',
      stage: '$default',
      time: '23/Nov/2026:10:42:07 +0000',
      timeEpoch: Date.parse(FIXED_NOW),
    },
  };
}

export function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'ingest',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:ingest',
    memoryLimitInMB: '256',
    awsRequestId: 'lambda-request-1',
    logGroupName: '/aws/lambda/ingest',
    logStreamName: '2026/11/23/[$LATEST]abc',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** `count` distinct items 1..count, e.g. 23 items for chunks of 10, 10 and 3. */
export const itemsUpTo = (count: number): number[] => Array.from({ length: count }, (_, i) => i + 1);

/** Awaits a promise that must reject and returns the rejection, so tests can assert on its fields. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

/** Calls `fn`, which must throw, and returns what it threw. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw, but it returned');
}
