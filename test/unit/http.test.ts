import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { type ApiEvent, errorResponse, jsonResponse, toApiRequest } from '../../lambdas/shared/http';
import { API_KEY_ID, v1Event, v2Event } from './factories.ingest';

/** A REST API event without the parts a test invoke (or another integration) may leave out. */
const v1EventWithout = (part: 'identity' | 'requestContext'): ApiEvent => {
  const event = v1Event();
  if (part === 'requestContext') return { ...event, requestContext: undefined } as unknown as ApiEvent;
  return {
    ...event,
    requestContext: { ...event.requestContext, identity: undefined },
  } as unknown as ApiEvent;
};

const USER = 'arn:aws:iam::123456789012:user/producers/alice';
const ROLE_SESSION = 'arn:aws:sts::123456789012:assumed-role/orders-producer/i-0abc123def';
const ROLE = 'arn:aws:sts::123456789012:assumed-role/orders-producer';
const GOV_ROLE_SESSION = 'arn:aws-us-gov:sts::123456789012:assumed-role/orders-producer/botocore-session-1';

describe('toApiRequest: caller scope', () => {
  it.each<{ name: string; event: ApiEvent; callerScope: string }>([
    {
      name: 'a REST API (payload v1) event with an API key: its id',
      event: v1Event(),
      callerScope: API_KEY_ID,
    },
    {
      name: 'an HTTP API event in payload format 1.0 (version "1.0"): its API key id',
      event: { ...v1Event(), version: '1.0' } as APIGatewayProxyEvent,
      callerScope: API_KEY_ID,
    },
    {
      name: 'a v1 event without an API key (apiKeyRequired false)',
      event: v1Event({ apiKeyId: null }),
      callerScope: 'anonymous',
    },
    { name: 'a v1 event without an identity', event: v1EventWithout('identity'), callerScope: 'anonymous' },
    {
      name: 'a v1 event without a request context',
      event: v1EventWithout('requestContext'),
      callerScope: 'anonymous',
    },
    {
      name: 'a v1 event an IAM user signed: the user',
      event: v1Event({ apiKeyId: null, userArn: USER }),
      callerScope: `iam:${USER}`,
    },
    {
      name: 'a v1 event an assumed role signed: the role, not the session',
      event: v1Event({ apiKeyId: null, userArn: ROLE_SESSION }),
      callerScope: `iam:${ROLE}`,
    },
    {
      name: 'a v1 event signed and with an API key: the principal',
      event: v1Event({ userArn: USER }),
      callerScope: `iam:${USER}`,
    },
    {
      name: 'an HTTP API (payload v2) event without authorization',
      event: v2Event(),
      callerScope: 'anonymous',
    },
    {
      name: 'a v2 event an IAM user signed: the user',
      event: v2Event({ userArn: USER }),
      callerScope: `iam:${USER}`,
    },
    {
      name: 'a v2 event an assumed role signed: the role, not the session',
      event: v2Event({ userArn: ROLE_SESSION }),
      callerScope: `iam:${ROLE}`,
    },
    {
      name: 'a v2 event an assumed role of another partition signed: the role',
      event: v2Event({ userArn: GOV_ROLE_SESSION }),
      callerScope: 'iam:arn:aws-us-gov:sts::123456789012:assumed-role/orders-producer',
    },
    {
      name: 'a v2 event, even one whose request context carries an API key identity',
      event: {
        ...v2Event(),
        requestContext: { ...v2Event().requestContext, identity: { apiKeyId: API_KEY_ID } },
      } as unknown as ApiEvent,
      callerScope: 'anonymous',
    },
    {
      name: 'a v2 event another kind of authorizer let through (no iam block)',
      event: {
        ...v2Event(),
        requestContext: { ...v2Event().requestContext, authorizer: { jwt: { claims: {}, scopes: [] } } },
      } as unknown as ApiEvent,
      callerScope: 'anonymous',
    },
    {
      name: 'a v2 event with an empty authorizer',
      event: {
        ...v2Event(),
        requestContext: { ...v2Event().requestContext, authorizer: undefined },
      } as unknown as ApiEvent,
      callerScope: 'anonymous',
    },
    {
      name: 'a v1 event whose principal only looks like a role session (a path after the session)',
      event: v1Event({ apiKeyId: null, userArn: `${ROLE_SESSION}/extra` }),
      callerScope: `iam:${ROLE_SESSION}/extra`,
    },
    {
      name: 'a v1 event whose principal holds a role session ARN after a prefix',
      event: v1Event({ apiKeyId: null, userArn: `x-${ROLE_SESSION}` }),
      callerScope: `iam:x-${ROLE_SESSION}`,
    },
  ])('takes the caller scope of $name', ({ event, callerScope }) => {
    // Act
    const request = toApiRequest(event);

    // Assert
    expect(request.callerScope).toBe(callerScope);
  });

  it('keeps the scope of a role across its sessions, and apart from other roles and API key ids', () => {
    // Act
    const [first, refreshed, otherRole, apiKey] = [
      v1Event({ apiKeyId: null, userArn: ROLE_SESSION }),
      v2Event({ userArn: 'arn:aws:sts::123456789012:assumed-role/orders-producer/i-0abc123def-refreshed' }),
      v1Event({ apiKeyId: null, userArn: 'arn:aws:sts::123456789012:assumed-role/billing-producer/s' }),
      v1Event(),
    ].map((event) => toApiRequest(event).callerScope);

    // Assert
    expect(refreshed).toBe(first);
    expect(new Set([first, otherRole, apiKey]).size).toBe(3);
  });
});

describe('toApiRequest: headers and body', () => {
  it('lower-cases header names and leaves out headers without a value', () => {
    // Prepare
    const event: ApiEvent = {
      ...v1Event(),
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'order-42', 'X-Empty': undefined },
    };

    // Act
    const request = toApiRequest(event);

    // Assert
    expect(request.headers).toStrictEqual({
      'content-type': 'application/json',
      'idempotency-key': 'order-42',
    });
  });

  it('reads an event without headers as one with none', () => {
    // Prepare: REST APIs send null when the request has no headers.
    const event = { ...v1Event(), headers: null } as unknown as ApiEvent;

    // Act
    const request = toApiRequest(event);

    // Assert
    expect(request.headers).toStrictEqual({});
  });

  it.each<{ name: string; event: ApiEvent; body: string | null; isBase64Encoded: boolean }>([
    { name: 'a v1 event', event: v1Event({ body: '[1]' }), body: '[1]', isBase64Encoded: false },
    {
      name: 'a base64-encoded v2 event',
      event: v2Event({ body: 'WzFd', isBase64Encoded: true }),
      body: 'WzFd',
      isBase64Encoded: true,
    },
    { name: 'a v2 event without a body', event: v2Event({ body: null }), body: null, isBase64Encoded: false },
    {
      name: 'an event that does not say whether it is base64-encoded',
      event: { ...v2Event(), isBase64Encoded: undefined } as unknown as ApiEvent,
      body: '[1,2,3,4]',
      isBase64Encoded: false,
    },
  ])('takes the body of $name as it is', ({ event, body, isBase64Encoded }) => {
    // Act
    const request = toApiRequest(event);

    // Assert
    expect({ body: request.body, isBase64Encoded: request.isBase64Encoded }).toEqual({
      body,
      isBase64Encoded,
    });
  });
});

describe('jsonResponse and errorResponse', () => {
  it('answers JSON with its content type', () => {
    // Act
    const response = jsonResponse(202, { requestId: 'req-1', accepted: 4 });

    // Assert
    expect(response).toEqual({
      statusCode: 202,
      headers: { 'content-type': 'application/json' },
      body: '{"requestId":"req-1","accepted":4}',
    });
  });

  it("wraps an error in the contract's error shape", () => {
    // Act
    const response = errorResponse(400, { code: 'INVALID_ITEM', message: 'Item 1 ...', index: 1 });

    // Assert
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({
      error: { code: 'INVALID_ITEM', message: 'Item 1 ...', index: 1 },
    });
  });
});
