import type {
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyEventV2WithIAMAuthorizer,
  Context,
} from 'aws-lambda';

/**
 * API Gateway events and a Lambda context as the functions receive them, for the unit tests and the
 * in-process benchmark (so no test framework is imported here).
 */

const FIXED_NOW = '2026-11-23T10:42:07.123Z';
export const API_KEY_ID = 'key-id-1';

export interface EventSpec {
  readonly body?: string | null;
  readonly headers?: Readonly<Record<string, string>>;
  readonly isBase64Encoded?: boolean;
}

/**
 * A REST API (payload v1) POST /items event; `apiKeyId` and `userArn` (the caller a method with IAM
 * authorization verified) are what API Gateway puts in the identity.
 */
export function v1Event({
  body = '[1,2,3,4]',
  headers = { 'Content-Type': 'application/json' },
  isBase64Encoded = false,
  apiKeyId = API_KEY_ID,
  userArn = null,
}: EventSpec & {
  readonly apiKeyId?: string | null;
  readonly userArn?: string | null;
} = {}): APIGatewayProxyEvent {
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
      domainName: 'api123.execute-api.eu-west-1.amazonaws.com',
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
        userArn,
      },
    },
  };
}

/**
 * `GET /requests/{requestId}` as API Gateway passes it to the status function, from the given API key
 * (or IAM principal, `userArn`).
 */
export function statusEvent(
  requestId: string,
  apiKeyId: string | null = API_KEY_ID,
  userArn: string | null = null,
): APIGatewayProxyEvent {
  const event = v1Event({ body: null, headers: {}, apiKeyId, userArn });
  return {
    ...event,
    httpMethod: 'GET',
    resource: '/requests/{requestId}',
    path: `/requests/${requestId}`,
    pathParameters: { requestId },
    requestContext: {
      ...event.requestContext,
      httpMethod: 'GET',
      resourcePath: '/requests/{requestId}',
      path: `/prod/requests/${requestId}`,
    },
  };
}

/**
 * An HTTP API (payload v2) POST /items event; HTTP APIs lower-case header names themselves. With
 * `userArn`, the route had IAM authorization and the request context names the caller it verified.
 */
export function v2Event({
  body = '[1,2,3,4]',
  headers = { 'content-type': 'application/json' },
  isBase64Encoded = false,
  userArn,
}: EventSpec & { readonly userArn?: string } = {}):
  | APIGatewayProxyEventV2
  | APIGatewayProxyEventV2WithIAMAuthorizer {
  const event: APIGatewayProxyEventV2 = {
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
  if (userArn === undefined) return event;
  const accountId = userArn.split(':')[4] ?? '';
  const iam = {
    accessKey: 'ASIAEXAMPLE',
    accountId,
    callerId: 'AROAEXAMPLE:session',
    cognitoIdentity: null,
    principalOrgId: '',
    userArn,
    userId: 'AROAEXAMPLE:session',
  };
  return { ...event, requestContext: { ...event.requestContext, authorizer: { iam } } };
}

export function lambdaContext(functionName = 'ingest'): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: 'lambda-request-1',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/23/[$LATEST]abc',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
