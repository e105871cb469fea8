import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from './factories.ingest';
import {
  ACCEPTED_AT,
  dynamoItem,
  ledgerEntry,
  OTHER_API_KEY_ID,
  STATUS_FUNCTION_ENV,
  statusEvent,
} from './factories.ledger';
import { capturePrinted, type Printed } from './function-output';

const ddbMock = mockClient(DynamoDBClient);

let handler: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
let printed: Printed;

beforeEach(async () => {
  ddbMock.reset();
  const env = {
    ...STATUS_FUNCTION_ENV,
    AWS_REGION: 'eu-west-1',
    // Dev mode prints metrics and logs to the global console, where the spies below catch them.
    POWERTOOLS_DEV: 'true',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    POWERTOOLS_METRICS_DISABLED: 'false',
    POWERTOOLS_METRICS_NAMESPACE: 'PipelineTest',
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  printed = capturePrinted();
  vi.resetModules();
  const module = await import('../../lambdas/status/handler');
  handler = (event) => module.handler(event, lambdaContext('status'));
});

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

const bodyOf = (response: APIGatewayProxyResult): unknown => JSON.parse(response.body);

describe('status handler', () => {
  it("answers 200 with the caller's request status, read consistently from its table", async () => {
    // Prepare
    ddbMock.on(GetItemCommand).resolves({
      Item: dynamoItem(
        ledgerEntry({ stored: [0, 1, 2, 3], updatedAt: ACCEPTED_AT, objects: ['results/a.json'] }),
      ),
    });

    // Act
    const response = await handler(statusEvent('req-A'));

    // Assert
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toStrictEqual({
      requestId: 'req-A',
      status: 'stored',
      accepted: 4,
      stored: 4,
      pending: 0,
      failed: 0,
      acceptedAt: ACCEPTED_AT,
      completedAt: ACCEPTED_AT,
      objects: ['results/a.json'],
    });
    expect(ddbMock.commandCalls(GetItemCommand)[0]?.args[0].input).toMatchObject({
      TableName: STATUS_FUNCTION_ENV.LEDGER_TABLE_NAME,
      Key: { pk: { S: 'request#req-A' } },
      ConsistentRead: true,
    });
  });

  it.each([
    { name: 'an unknown id', item: undefined, event: statusEvent('req-A') },
    {
      name: "another API key's request",
      item: dynamoItem(ledgerEntry()),
      event: statusEvent('req-A', OTHER_API_KEY_ID),
    },
  ])('answers 404 REQUEST_NOT_FOUND to $name, the same either way', async ({ item, event }) => {
    // Prepare
    ddbMock.on(GetItemCommand).resolves({ Item: item });

    // Act
    const response = await handler(event);

    // Assert
    expect(response.statusCode).toBe(404);
    expect(bodyOf(response)).toStrictEqual({
      error: { code: 'REQUEST_NOT_FOUND', message: 'No request req-A for this caller' },
    });
  });

  describe('for callers signing with IAM', () => {
    const ROLE = 'arn:aws:sts::123456789012:assumed-role/producer';
    const owned = dynamoItem(ledgerEntry({ apiKeyId: `iam:${ROLE}` }));

    it.each([
      {
        name: 'the same role in a later session',
        event: statusEvent('req-A', null, `${ROLE}/session-2`),
        status: 200,
      },
      {
        name: 'another role',
        event: statusEvent('req-A', null, 'arn:aws:sts::123456789012:assumed-role/other/session-1'),
        status: 404,
      },
      { name: 'an API key', event: statusEvent('req-A'), status: 404 },
      { name: 'no authorization', event: statusEvent('req-A', null), status: 404 },
    ])("answers a role's request to $name with $status", async ({ event, status }) => {
      // Prepare
      ddbMock.on(GetItemCommand).resolves({ Item: owned });

      // Act
      const response = await handler(event);

      // Assert
      expect(response.statusCode).toBe(status);
    });
  });

  it('answers 503 LEDGER_UNAVAILABLE when the table cannot be read', async () => {
    // Prepare
    ddbMock.on(GetItemCommand).rejects(new Error('connect ECONNREFUSED'));

    // Act
    const response = await handler(statusEvent('req-A'));

    // Assert
    expect(response.statusCode).toBe(503);
    expect(bodyOf(response)).toMatchObject({ error: { code: 'LEDGER_UNAVAILABLE' } });
  });

  it('counts a 404 as a rejected request', async () => {
    // Prepare
    ddbMock.on(GetItemCommand).resolves({});

    // Act
    await handler(statusEvent('req-A'));

    // Assert
    expect(printed.metrics).toEqual([expect.objectContaining({ RequestsRejected: 1 })]);
  });

  it('answers 404 to an event without a request id, without reading the table', async () => {
    // Act
    const response = await handler({ ...statusEvent('req-A'), pathParameters: null });

    // Assert
    expect(response.statusCode).toBe(404);
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it('logs and counts a ledger that cannot be read', async () => {
    // Prepare
    ddbMock.on(GetItemCommand).rejects(new Error('connect ECONNREFUSED'));

    // Act
    await handler(statusEvent('req-A'));

    // Assert
    expect(printed.metrics).toEqual([expect.objectContaining({ LedgerErrors: 1 })]);
    expect(printed.logs).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'Ledger not readable',
        error: expect.objectContaining({ name: 'LedgerUnavailableError' }),
      }),
    ]);
  });
});
