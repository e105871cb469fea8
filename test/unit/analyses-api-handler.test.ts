import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isoOf } from '../../lambdas/domain/windows';
import { dynamoDbWindows } from '../../lambdas/windows/dynamodb-windows';
import { lambdaContext } from '../support/lambda-events';
import {
  ANALYSES_API_ENV,
  analysesListEvent,
  FUNCTION_SETTLE_MS,
  functionEnv,
  RETENTION_DAYS,
  windowsEvent,
} from './factories.analyses';
import {
  analysis,
  type FakeWindowsTable,
  fakeWindowsTable,
  msAfterT0,
  T0,
  WINDOW_TABLE,
} from './factories.windows';
import { functionRuntimeAt, type Printed, restoreFunctionRuntime } from './function-output';

const ddbMock = mockClient(DynamoDBClient);
/** Window T0 of items-60s is final at T0 + 60 + 30 + 11 s (the functions' 10 s timeout, plus 1). */
const NOW_MS = msAfterT0(101);

type ApiHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

let table: FakeWindowsTable;
let printed: Printed;

/** The handler reads its settings at import, so each test imports a fresh copy after setting env. */
async function loadHandler(): Promise<ApiHandler> {
  vi.resetModules();
  const module = await import('../../lambdas/analyses-api/handler');
  return (event) => module.handler(event, lambdaContext('analyses-api'));
}

const bodyOf = (response: APIGatewayProxyResult): unknown => JSON.parse(response.body);

beforeEach(async () => {
  ddbMock.reset();
  table = fakeWindowsTable(ddbMock);
  // Item 5 of req-A in pane T0, received at once.
  await dynamoDbWindows(new DynamoDBClient({ region: 'eu-west-1' }), {
    tableName: WINDOW_TABLE,
    analysis: analysis(),
    retention: { settleMs: FUNCTION_SETTLE_MS, retentionDays: RETENTION_DAYS },
  }).writePane({
    paneStart: T0,
    requestId: 'req-A',
    items: [{ index: 0, value: 5 }],
    receivedAtMs: msAfterT0(6),
  });
  table.calls.length = 0;
  printed = functionRuntimeAt(functionEnv(ANALYSES_API_ENV, 'analyses-api'), NOW_MS);
});

afterEach(restoreFunctionRuntime);

describe('analyses API handler', () => {
  it('answers GET /analyses with the analyses of its environment, reading no table', async () => {
    // Prepare
    const handler = await loadHandler();

    // Act
    const response = await handler(analysesListEvent());

    // Assert
    expect(response).toStrictEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        analyses: [
          {
            name: 'items-60s',
            windowSeconds: 60,
            advanceSeconds: 10,
            aggregates: ['count', 'sum', 'min', 'max', 'mean'],
            latenessSeconds: 30,
          },
          {
            name: 'items-5m',
            windowSeconds: 300,
            advanceSeconds: 300,
            aggregates: ['count', 'sum'],
            latenessSeconds: 0,
          },
        ],
      }),
    });
    expect(table.calls).toEqual([]);
  });

  it('answers the windows in the range from the table of its environment, final after its settle time', async () => {
    // Prepare
    const handler = await loadHandler();

    // Act
    const response = await handler(windowsEvent('items-60s', { from: isoOf(T0 - 10), to: isoOf(T0 + 20) }));

    // Assert: window T0 + 10 is final 10 s after window T0
    const item = { count: 1, sum: 5, min: 5, max: 5, mean: 5, late: 0 };
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toStrictEqual({
      name: 'items-60s',
      windows: [
        { start: isoOf(T0 - 10), end: isoOf(T0 + 50), ...item, final: true },
        { start: isoOf(T0), end: isoOf(T0 + 60), ...item, final: true },
        { start: isoOf(T0 + 10), end: isoOf(T0 + 70), count: 0, sum: 0, late: 0, final: false },
      ],
    });
  });

  it('answers the 30 minutes before now without a range', async () => {
    // Prepare
    const handler = await loadHandler();

    // Act
    const response = await handler(windowsEvent('items-60s'));

    // Assert
    const { windows } = bodyOf(response) as { windows: { start: string }[] };
    expect(windows).toHaveLength(180);
    expect(windows.at(-1)?.start).toBe(isoOf(T0 + 100));
  });

  it.each([
    {
      name: 'an unknown analysis',
      event: windowsEvent('nope'),
      statusCode: 404,
      error: { code: 'ANALYSIS_NOT_FOUND', message: 'No analysis nope (registered: items-60s, items-5m)' },
    },
    {
      name: 'a range that is not ISO 8601',
      event: windowsEvent('items-60s', { from: 'yesterday' }),
      statusCode: 400,
      error: {
        code: 'INVALID_RANGE',
        message: 'from must be an ISO 8601 time like 2026-11-23T10:42:00Z (got yesterday)',
      },
    },
  ])('answers $name with $statusCode', async ({ event, statusCode, error }) => {
    // Prepare
    const handler = await loadHandler();

    // Act
    const response = await handler(event);

    // Assert
    expect(response).toStrictEqual({
      statusCode,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ error }),
    });
  });

  it.each([
    { name: 'an unknown analysis', event: windowsEvent('nope'), code: 'ANALYSIS_NOT_FOUND' },
    {
      name: 'a range that is not ISO 8601',
      event: windowsEvent('items-60s', { to: '2026' }),
      code: 'INVALID_RANGE',
    },
  ])('logs the code and the reason of a request rejected for $name, in one line', async ({ event, code }) => {
    // Prepare
    const handler = await loadHandler();

    // Act
    const response = await handler(event);

    // Assert
    const { error } = bodyOf(response) as { error: { message: string } };
    expect(printed.logs).toEqual([
      expect.objectContaining({ level: 'INFO', message: 'Request rejected', code, reason: error.message }),
    ]);
  });

  it('answers 503 WINDOWS_UNAVAILABLE when the table cannot be read, and logs the error', async () => {
    // Prepare
    const handler = await loadHandler();
    table.failWhen = () => 'refused';

    // Act
    const response = await handler(windowsEvent('items-60s'));

    // Assert
    expect(response.statusCode).toBe(503);
    expect(bodyOf(response)).toStrictEqual({
      error: { code: 'WINDOWS_UNAVAILABLE', message: 'The windows could not be read; retry later' },
    });
    expect(printed.logs).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'Windows not readable',
        error: expect.objectContaining({ name: 'WindowsUnavailableError' }),
      }),
    ]);
  });

  it.each([
    { name: 'GET /analyses', event: analysesListEvent() },
    { name: 'a 404', event: windowsEvent('nope') },
  ])('publishes the stored metrics once after $name, as every function does', async ({ event }) => {
    // Prepare: the module's metrics, as the freshly loaded handler uses them
    const handler = await loadHandler();
    const { metrics } = await import('../../lambdas/shared/observability');
    const publish = vi.spyOn(metrics, 'publishStoredMetrics');

    // Act
    await handler(event);

    // Assert
    expect(publish).toHaveBeenCalledTimes(1);
  });

  it('rejects an event it cannot read instead of answering', async () => {
    // Prepare
    const handler = await loadHandler();

    // Act / Assert
    await expect(handler(null as unknown as APIGatewayProxyEvent)).rejects.toThrow(TypeError);
  });

  it.each(Object.keys(ANALYSES_API_ENV))('fails to load without %s, naming the variable', async (name) => {
    // Prepare
    vi.stubEnv(name, undefined);

    // Act / Assert
    await expect(loadHandler()).rejects.toThrow(`${name} must be set`);
  });
});
