import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { statusUrlOf } from '../../lambdas/ingest/status-url';
import { v1Event, v2Event } from './factories.ingest';

/** A REST API event as API Gateway sends it for `host` and the path the client called. */
function restEvent(
  host: string,
  calledPath: string,
  headers: Record<string, string> = {},
): APIGatewayProxyEvent {
  const event = v1Event({ headers: { Host: host, 'X-Forwarded-Proto': 'https', ...headers } });
  return { ...event, requestContext: { ...event.requestContext, domainName: host, path: calledPath } };
}

/** A REST API event as the local emulator (MiniStack) sends it: no domainName, the path without its prefix. */
function emulatorEvent(
  host: string,
  apiId: string,
  headers: Record<string, string> = {},
): APIGatewayProxyEvent {
  const event = v1Event({ headers: { host, ...headers } });
  const { domainName: _, ...requestContext } = event.requestContext;
  return { ...event, requestContext: { ...requestContext, apiId, path: '/prod/items' } };
}

describe('statusUrlOf', () => {
  it.each([
    {
      name: "API Gateway's own domain, stage prod",
      event: restEvent('abc123.execute-api.eu-west-1.amazonaws.com', '/prod/items'),
      url: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/requests/req-1',
    },
    {
      name: 'another stage',
      event: restEvent('abc123.execute-api.eu-west-1.amazonaws.com', '/staging/items'),
      url: 'https://abc123.execute-api.eu-west-1.amazonaws.com/staging/requests/req-1',
    },
    {
      name: 'a custom domain with a base path',
      event: restEvent('api.example.com', '/pipeline/items'),
      url: 'https://api.example.com/pipeline/requests/req-1',
    },
    {
      name: 'a custom domain whose base path starts with "items"',
      event: restEvent('api.example.com', '/items-v2/items'),
      url: 'https://api.example.com/items-v2/requests/req-1',
    },
    {
      name: 'API Gateway, which serves HTTPS only, whatever X-Forwarded-Proto says',
      event: restEvent('api.example.com', '/prod/items', { 'X-Forwarded-Proto': 'http' }),
      url: 'https://api.example.com/prod/requests/req-1',
    },
    {
      name: 'the local emulator behind TLS (X-Forwarded-Proto https)',
      event: emulatorEvent('localhost:4566', 'cd196a94', { 'X-Forwarded-Proto': 'https' }),
      url: 'https://localhost:4566/_aws/execute-api/cd196a94/prod/requests/req-1',
    },
    {
      name: 'a custom domain at its root, path with a trailing slash',
      event: restEvent('api.example.com', '/items/'),
      url: 'https://api.example.com/requests/req-1',
    },
    {
      name: 'the local emulator (its events carry no domainName and only /<stage>/items)',
      event: emulatorEvent('127.0.0.1:4566', 'cd196a94'),
      url: 'http://127.0.0.1:4566/_aws/execute-api/cd196a94/prod/requests/req-1',
    },
    {
      name: 'an HTTP API (payload v2)',
      event: v2Event({ headers: { host: 'api123.execute-api.eu-west-1.amazonaws.com' } }),
      url: 'https://api123.execute-api.eu-west-1.amazonaws.com/requests/req-1',
    },
  ])('points at GET /requests/{id} on the same stage: $name', ({ event, url }) => {
    // Act
    const statusUrl = statusUrlOf(event, 'req-1');

    // Assert
    expect(statusUrl).toBe(url);
  });

  it('takes the host from the domain name when the headers have none', () => {
    // Prepare
    const event = restEvent('abc123.execute-api.eu-west-1.amazonaws.com', '/prod/items');

    // Act
    const statusUrl = statusUrlOf({ ...event, headers: {} }, 'req-1');

    // Assert
    expect(statusUrl).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com/prod/requests/req-1');
  });

  it('has no URL for an event without any host', () => {
    expect(statusUrlOf({ ...emulatorEvent('', 'cd196a94'), headers: {} }, 'req-1')).toBeUndefined();
  });
});
