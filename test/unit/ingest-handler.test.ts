import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PublishBatchCommand, type PublishBatchCommandInput, SNSClient } from '@aws-sdk/client-sns';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import type { ApiEvent } from '../../lambdas/shared/http';
import {
  holdSends,
  ingestEnv,
  itemsUpTo,
  lambdaContext,
  TOPIC_ARN,
  v1Event,
  v2Event,
} from './factories.ingest';
import { fakeIdempotencyTable } from './factories.ledger';

// The handler backs off with node:timers/promises; answering at once keeps the 503 tests instant.
const { backoff } = vi.hoisted(() => ({ backoff: vi.fn(async (_ms: number): Promise<void> => undefined) }));
vi.mock('node:timers/promises', () => ({ setTimeout: backoff }));

const snsMock = mockClient(SNSClient);
const ddbMock = mockClient(DynamoDBClient);

type Handler = (event: ApiEvent) => Promise<APIGatewayProxyResult>;
let handler: Handler;
let consoleLog: MockInstance<typeof console.log>;

const acceptAll = (input: PublishBatchCommandInput) => ({
  Successful: (input.PublishBatchRequestEntries ?? []).map((entry) => ({
    Id: entry.Id,
    MessageId: `msg-${entry.Id}`,
    SequenceNumber: '1',
  })),
  Failed: [],
});

/** the dispatcher fails entry 1 of [1,2,3,4] once and takes the others, then takes everything. */
const failEntryOneOnce = () =>
  snsMock
    .on(PublishBatchCommand)
    .callsFakeOnce((input: PublishBatchCommandInput) => ({
      ...acceptAll({
        ...input,
        PublishBatchRequestEntries: input.PublishBatchRequestEntries?.filter((entry) => entry.Id !== '1'),
      }),
      Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }],
    }))
    .callsFake(acceptAll);

interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly [field: string]: unknown };
}

const bodyOf = (response: APIGatewayProxyResult): unknown => JSON.parse(response.body);
const sendCalls = () => snsMock.commandCalls(PublishBatchCommand);
const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

beforeEach(async () => {
  snsMock.reset();
  snsMock.on(PublishBatchCommand).callsFake(acceptAll);
  // The ledger: idempotency records in a fake table, entry writes answered at once.
  ddbMock.reset();
  fakeIdempotencyTable(ddbMock);
  backoff.mockClear();
  // The handler reads its settings and builds Powertools at import, so the env comes first.
  const env = ingestEnv({
    // Dev mode sends the metrics (EMF) to the global console, where the spy below catches them.
    POWERTOOLS_DEV: 'true',
    POWERTOOLS_METRICS_DISABLED: 'false',
  });
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  consoleLog = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  vi.resetModules();
  const module = await import('../../lambdas/ingest/handler');
  handler = (event) => module.handler(event, lambdaContext());
});

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('ingest handler', () => {
  it.each([
    { name: 'a payload v1 event (REST API)', event: v1Event() },
    { name: 'a payload v2 event (HTTP API)', event: v2Event() },
    {
      name: 'a base64-encoded v1 body',
      event: v1Event({ body: base64('[1,2,3,4]'), isBase64Encoded: true }),
    },
    {
      name: 'a base64-encoded v2 body',
      event: v2Event({ body: base64('[1,2,3,4]'), isBase64Encoded: true }),
    },
  ])(
    'answers 202 {requestId, accepted: 4, statusUrl} to $name after enqueueing every item',
    async ({ event }) => {
      // Act
      const response = await handler(event);

      // Assert
      expect(response.statusCode).toBe(202);
      const body = bodyOf(response) as { requestId: string; statusUrl: string };
      expect(body).toStrictEqual({
        requestId: expect.any(String),
        accepted: 4,
        statusUrl: expect.any(String),
      });
      expect(body.statusUrl).toMatch(
        new RegExp(
          `^https://api123\\.execute-api\\.eu-west-1\\.amazonaws\\.com(/prod)?/requests/${body.requestId}$`,
        ),
      );
      expect(response.headers).toEqual({ 'content-type': 'application/json', location: body.statusUrl });
      expect(sendCalls()).toHaveLength(1);
      const input = sendCalls()[0]?.args[0].input;
      expect(input?.TopicArn).toBe(TOPIC_ARN);
      expect(input?.PublishBatchRequestEntries?.map((entry) => JSON.parse(entry.Message ?? '').item)).toEqual(
        [1, 2, 3, 4],
      );
    },
  );

  it('publishes the ItemsAccepted metric once per invocation', async () => {
    // Act
    await handler(v2Event());

    // Assert
    const emf = consoleLog.mock.calls.map(([line]) => JSON.parse(String(line)));
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({
      ItemsAccepted: 4,
      _aws: { CloudWatchMetrics: [{ Namespace: 'PipelineTest' }] },
    });
  });

  it('tells the client and the metrics which items the dispatcher took after later ones (a partial batch failure)', async () => {
    // Prepare
    failEntryOneOnce();

    // Act
    const response = await handler(v2Event());

    // Assert
    expect(response.statusCode).toBe(202);
    expect(bodyOf(response)).toStrictEqual({
      requestId: expect.any(String),
      accepted: 4,
      statusUrl: expect.any(String),
      enqueuedOutOfOrder: [1],
    });
    const emf = consoleLog.mock.calls.map(([line]) => JSON.parse(String(line)));
    expect(emf.find((line) => 'ItemsEnqueuedOutOfOrder' in line)).toMatchObject({
      ItemsEnqueuedOutOfOrder: 1,
    });
  });

  it.each<{
    name: string;
    body?: string;
    headers?: Record<string, string>;
    status: number;
    code: string;
    index?: number;
  }>([
    { name: 'malformed JSON', body: '[1,2', status: 400, code: 'MALFORMED_JSON' },
    { name: 'an object', body: '{"items":[1]}', status: 400, code: 'NOT_AN_ARRAY' },
    { name: 'an empty array', body: '[]', status: 400, code: 'EMPTY_ARRAY' },
    { name: 'a string element', body: '[1,2,"3"]', status: 400, code: 'INVALID_ITEM', index: 2 },
    { name: 'a float element', body: '[0.5]', status: 400, code: 'INVALID_ITEM', index: 0 },
    { name: '501 items', body: JSON.stringify(itemsUpTo(501)), status: 413, code: 'TOO_MANY_ITEMS' },
    {
      name: 'a body over 64 KiB',
      body: `[1${' '.repeat(64 * 1024)}]`,
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    },
    {
      name: 'text/plain',
      headers: { 'Content-Type': 'text/plain' },
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    { name: 'no Content-Type', headers: {}, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    {
      name: 'a bad Idempotency-Key',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'has space' },
      status: 400,
      code: 'INVALID_IDEMPOTENCY_KEY',
    },
  ])(
    'rejects $name with $status $code and enqueues nothing',
    async ({ body, headers, status, code, index }) => {
      // Act
      const response = await handler(
        v1Event({ ...(body === undefined ? {} : { body }), ...(headers && { headers }) }),
      );

      // Assert
      expect(response.statusCode).toBe(status);
      expect(response.headers).toEqual({ 'content-type': 'application/json' });
      expect(bodyOf(response)).toStrictEqual({
        error: { code, message: expect.any(String), ...(index === undefined ? {} : { index }) },
      });
      expect(sendCalls()).toHaveLength(0);
    },
  );

  it('answers 503 ENQUEUE_FAILED with requestId and enqueued when the dispatcher fails every time', async () => {
    // Prepare
    snsMock.on(PublishBatchCommand).rejects(new Error('ServiceUnavailable'));

    // Act
    const response = await handler(v2Event());

    // Assert
    expect(response.statusCode).toBe(503);
    expect(bodyOf(response)).toStrictEqual({
      error: {
        code: 'ENQUEUE_FAILED',
        message:
          'Enqueued 0 of 4 items before the dispatcher kept failing. ' +
          'Retry with the same Idempotency-Key to complete it without duplicates.',
        requestId: expect.any(String),
        enqueued: 0,
      },
    });
    expect(backoff).toHaveBeenCalled();
  });

  it('rethrows an unexpected error, so Lambda reports the invocation as failed instead of answering 503', async () => {
    // Prepare: not an API Gateway event at all. Dev mode routes the metrics "nothing to publish"
    // warning through the global console, where it is silenced.
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);

    // Act
    const run = handler(null as unknown as ApiEvent);

    // Assert
    await expect(run).rejects.toThrow(TypeError);
    expect(sendCalls()).toHaveLength(0);
  });

  it('lets a client finish a 503 by repeating it with the same Idempotency-Key, without duplicates', async () => {
    // Prepare: the first 10 of 23 items go in, then the dispatcher keeps failing.
    snsMock.on(PublishBatchCommand).callsFakeOnce(acceptAll).rejects(new Error('ServiceUnavailable'));
    const event = v1Event({
      body: JSON.stringify(itemsUpTo(23)),
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'order-42' },
    });
    const failed = bodyOf(await handler(event)) as ErrorBody;
    const firstSent = sendCalls().flatMap((call) => call.args[0].input.PublishBatchRequestEntries ?? []);
    snsMock.reset();
    snsMock.on(PublishBatchCommand).callsFake(acceptAll);

    // Act
    const retried = await handler(event);

    // Assert
    expect(failed.error).toMatchObject({ code: 'ENQUEUE_FAILED', enqueued: 10 });
    expect(retried.statusCode).toBe(202);
    expect(bodyOf(retried)).toEqual({
      requestId: failed.error.requestId,
      accepted: 23,
      statusUrl: expect.stringMatching(new RegExp(`/requests/${failed.error.requestId}$`)),
    });
    // the dispatcher drops a resend whose deduplication id it saw in the last 5 minutes.
    const resent = sendCalls().flatMap((call) => call.args[0].input.PublishBatchRequestEntries ?? []);
    expect(resent.slice(0, 10).map((entry) => entry.MessageDeduplicationId)).toEqual(
      firstSent.slice(0, 10).map((entry) => entry.MessageDeduplicationId),
    );
  });

  it.each<{ name: string; headers: Record<string, string> }>([
    { name: 'Title-Case', headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'order-42' } },
    { name: 'lower-case', headers: { 'content-type': 'application/json', 'idempotency-key': 'order-42' } },
    { name: 'UPPER-CASE', headers: { 'CONTENT-TYPE': 'application/json', 'IDEMPOTENCY-KEY': 'order-42' } },
  ])('reads $name header names', async ({ headers }) => {
    // Prepare: the reference answer uses the canonical spelling.
    const reference = bodyOf(
      await handler(
        v1Event({ headers: { 'content-type': 'application/json', 'idempotency-key': 'order-42' } }),
      ),
    );

    // Act
    const response = await handler(v1Event({ headers }));

    // Assert: same requestId means the Idempotency-Key was read, 202 means the Content-Type was.
    expect(response.statusCode).toBe(202);
    expect(bodyOf(response)).toEqual(reference);
  });

  it('answers a repeat with the same Idempotency-Key and API key with the first answer, enqueueing nothing', async () => {
    // Prepare
    const event = v1Event({ headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'order-42' } });

    // Act
    const first = await handler(event);
    const repeat = await handler(event);

    // Assert
    expect(repeat).toEqual(first);
    expect(repeat.statusCode).toBe(202);
    expect(sendCalls()).toHaveLength(1);
  });

  it.each([
    { name: 'another API key sends the same Idempotency-Key', apiKeyId: 'key-id-2', key: 'order-42' },
    { name: 'the same API key sends no Idempotency-Key', apiKeyId: 'key-id-1', key: undefined },
  ])('answers a different requestId when $name', async ({ apiKeyId, key }) => {
    // Prepare
    const headers = (idempotencyKey: string | undefined): Record<string, string> => ({
      'Content-Type': 'application/json',
      ...(idempotencyKey === undefined ? {} : { 'Idempotency-Key': idempotencyKey }),
    });
    const first = bodyOf(await handler(v1Event({ headers: headers(key), apiKeyId: 'key-id-1' })));

    // Act
    const second = bodyOf(await handler(v1Event({ headers: headers(key), apiKeyId })));

    // Assert
    expect(second).not.toEqual(first);
  });
});

describe('ingest handler logs', () => {
  /** The structured log lines of the invocation, in order (dev mode prints them to the console). */
  let logLines: Record<string, unknown>[];

  beforeEach(async () => {
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
    logLines = [];
    for (const level of ['info', 'warn', 'error'] as const) {
      vi.spyOn(console, level).mockImplementation((line: unknown) => {
        logLines.push(JSON.parse(String(line)));
      });
    }
    vi.resetModules();
    const module = await import('../../lambdas/ingest/handler');
    handler = (event) => module.handler(event, lambdaContext());
  });

  const keyedHeaders = { 'content-type': 'application/json', 'idempotency-key': 'order-42' };

  it.each<{
    name: string;
    prepare?: () => unknown;
    body?: string;
    headers?: Record<string, string>;
    lines: Record<string, unknown>[];
  }>([
    {
      name: 'an accepted request',
      lines: [{ level: 'INFO', message: 'Request accepted', requestId: expect.any(String), accepted: 4 }],
    },
    {
      name: 'items enqueued out of order',
      prepare: failEntryOneOnce,
      lines: [
        { level: 'INFO', message: 'Request accepted', requestId: expect.any(String), accepted: 4 },
        {
          level: 'WARN',
          message: 'Items enqueued out of order',
          requestId: expect.any(String),
          enqueuedOutOfOrder: [1],
        },
      ],
    },
    {
      name: 'a rejected request',
      body: '[1,"2"]',
      lines: [{ level: 'INFO', message: 'Request rejected', code: 'INVALID_ITEM', index: 1 }],
    },
    {
      name: 'an Idempotency-Key used with other items',
      prepare: () => handler(v2Event({ body: '[1,2,3]', headers: keyedHeaders })),
      body: '[1,2,3,4]',
      headers: keyedHeaders,
      lines: [
        {
          level: 'INFO',
          message: 'Request rejected',
          code: 'IDEMPOTENCY_KEY_REUSED',
          requestId: expect.any(String),
        },
      ],
    },
    {
      name: 'a ledger that cannot be reached',
      prepare: () => {
        ddbMock.reset();
        ddbMock.onAnyCommand().rejects(new Error('connect ECONNREFUSED'));
      },
      lines: [
        {
          level: 'WARN',
          message: 'Ledger entry not written',
          error: expect.objectContaining({ message: 'connect ECONNREFUSED' }),
        },
        { level: 'INFO', message: 'Request accepted', accepted: 4 },
      ],
    },
    {
      name: 'a queue that kept failing',
      prepare: () => snsMock.on(PublishBatchCommand).rejects(new Error('ServiceUnavailable')),
      lines: [
        {
          level: 'ERROR',
          message: 'Dispatcher kept failing',
          error: expect.objectContaining({
            name: 'EnqueueFailedError',
            message: expect.stringMatching(
              /^Enqueued 0 of 4 items before the dispatcher kept failing\. Retry with the same Idempotency-Key/,
            ),
          }),
        },
      ],
    },
  ])(
    'logs $name with its fields, for the operators and the dashboard',
    async ({ prepare, body, headers, lines }) => {
      // Prepare
      await prepare?.();
      logLines.length = 0;

      // Act
      await handler(
        v2Event({ ...(body === undefined ? {} : { body }), ...(headers === undefined ? {} : { headers }) }),
      );

      // Assert
      expect(logLines).toEqual(lines.map((line) => expect.objectContaining(line)));
    },
  );
});

describe('ingest handler and the request ledger', () => {
  const keyed = (body: string, key = 'order-42') =>
    v1Event({ body, headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key } });

  it('waits for a ledger that answers within its budget (50 ms of the 1 s a call may take)', async () => {
    // Prepare
    ddbMock.on(UpdateItemCommand).callsFake(async () => {
      await new Promise((resolve) => globalThis.setTimeout(resolve, 50));
      return {};
    });

    // Act
    const response = await handler(v1Event());

    // Assert
    expect(bodyOf(response)).toHaveProperty('statusUrl');
  });

  it("writes the request's entry with the caller's API key id before enqueueing", async () => {
    // Act
    const response = await handler(v1Event({ apiKeyId: 'key-id-7' }));

    // Assert
    const { requestId } = bodyOf(response) as { requestId: string };
    const entry = ddbMock
      .commandCalls(UpdateItemCommand)
      .map((call) => call.args[0].input)
      .find((input) => input.Key?.pk?.S === `request#${requestId}`);
    expect(entry?.ExpressionAttributeValues).toMatchObject({
      ':apiKeyId': { S: 'key-id-7' },
      ':itemCount': { N: '4' },
    });
  });

  it('answers 422 IDEMPOTENCY_KEY_REUSED with the request id to a key repeated with other items', async () => {
    // Prepare
    const first = bodyOf(await handler(keyed('[1,2,3,4]'))) as { requestId: string };

    // Act
    const response = await handler(keyed('[1,2,3,5]'));

    // Assert
    expect(response.statusCode).toBe(422);
    expect(bodyOf(response)).toEqual({
      error: { code: 'IDEMPOTENCY_KEY_REUSED', message: expect.any(String), requestId: first.requestId },
    });
    expect(sendCalls()).toHaveLength(1);
  });

  it('answers 409 REQUEST_IN_PROGRESS to a repeat while the first is still being accepted', async () => {
    // Prepare: the first invocation holds its record INPROGRESS and is still sending
    const queue = holdSends(snsMock, acceptAll);
    const first = handler(keyed('[1,2]'));
    await vi.waitUntil(() => sendCalls().length === 1);

    // Act
    const response = await handler(keyed('[1,2]'));
    queue.release();

    // Assert
    expect(response.statusCode).toBe(409);
    expect(bodyOf(response)).toMatchObject({ error: { code: 'REQUEST_IN_PROGRESS' } });
    expect((await first).statusCode).toBe(202);
  });

  it('accepts and enqueues as before when the ledger is unreachable, without a status URL, and counts it', async () => {
    // Prepare
    ddbMock.reset();
    ddbMock.onAnyCommand().rejects(new Error('connect ECONNREFUSED'));

    // Act
    const response = await handler(keyed('[1,2,3,4]'));

    // Assert
    expect(response.statusCode).toBe(202);
    expect(bodyOf(response)).toStrictEqual({ requestId: expect.any(String), accepted: 4 });
    expect(response.headers).toStrictEqual({ 'content-type': 'application/json' });
    expect(sendCalls()).toHaveLength(1);
    const emf = consoleLog.mock.calls.map(([line]) => JSON.parse(String(line)));
    // One value per failed call (CloudWatch sums them): the idempotency record and the entry.
    expect(emf).toEqual([expect.objectContaining({ LedgerErrors: [1, 1], ItemsAccepted: 4 })]);
  });

  it('answers a repeat with the first out-of-order list, counting those items once only', async () => {
    // Prepare
    failEntryOneOnce();
    await handler(keyed('[1,2,3,4]'));
    consoleLog.mockClear();

    // Act
    const repeat = await handler(keyed('[1,2,3,4]'));

    // Assert
    expect(bodyOf(repeat)).toMatchObject({ enqueuedOutOfOrder: [1] });
    const emf = consoleLog.mock.calls.map(([line]) => JSON.parse(String(line)));
    expect(emf).toEqual([expect.not.objectContaining({ ItemsEnqueuedOutOfOrder: expect.anything() })]);
  });

  it('counts the items of a repeat answered from its record as accepted once only', async () => {
    // Prepare
    await handler(keyed('[1,2,3,4]'));
    consoleLog.mockClear();

    // Act
    await handler(keyed('[1,2,3,4]'));

    // Assert
    const emf = consoleLog.mock.calls.map(([line]) => JSON.parse(String(line)));
    expect(emf).toEqual([expect.objectContaining({ ItemsAccepted: 0 })]);
  });
});
