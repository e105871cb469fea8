import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { formatAnalysis } from '../../lambdas/domain/analyses';
import { lambdaContext } from '../support/lambda-events';
import {
  ANALYSIS_DEAD_LETTER_QUEUE_URL,
  ANALYSIS_FUNCTION_ENV,
  fiveMinutes,
  functionEnv,
  itemRecord,
  RETENTION_DAYS,
} from './factories.analyses';
import { malformedRecord, sqsEvent } from './factories.batch';
import { type FakeWindowsTable, fakeWindowsTable, msAfterT0, T0, WINDOW_TABLE } from './factories.windows';
import { functionRuntimeAt, type Printed, restoreFunctionRuntime } from './function-output';

const ddbMock = mockClient(DynamoDBClient);
const sqsMock = mockClient(SQSClient);
// The pauses between attempts take no time here, and each is recorded.
const { pause } = vi.hoisted(() => ({ pause: vi.fn(async (_ms: number): Promise<void> => undefined) }));
vi.mock('node:timers/promises', () => ({ setTimeout: pause }));
/** The invocation's clock: T0 + 45 s, late for window T0 - 50 of an item accepted at T0 + 5 s (on time before T0 + 40 s). */
const NOW_MS = msAfterT0(45);
/** A pane row of pane T0 expires 30 days after window T0 is final: T0 + 60 + 30 + 11 s (the 10 s timeout, plus 1). */
const PANE_T0_EXPIRES_AT = String(T0 + 101 + RETENTION_DAYS * 86_400);

type AnalysisHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

let table: FakeWindowsTable;
let printed: Printed;

/** The handler reads its settings at import, so each test imports a fresh copy after setting env. */
async function loadHandler(): Promise<AnalysisHandler> {
  vi.resetModules();
  const module = await import('../../lambdas/analysis/handler');
  return (event) => module.handler(event, lambdaContext('analysis-items-60s'));
}

const failedIds = (response: SQSBatchResponse): string[] =>
  response.batchItemFailures.map(({ itemIdentifier }) => itemIdentifier);
const updates = () => ddbMock.commandCalls(UpdateItemCommand).map((call) => call.args[0].input);
/** Message id and queue of each record moved to a dead-letter queue, in order. */
const deadLettered = () =>
  sqsMock
    .commandCalls(SendMessageCommand)
    .map((call) => [call.args[0].input.MessageDeduplicationId, call.args[0].input.QueueUrl]);
const paneWrites = (requestId: string) =>
  table.calls.filter((call) => call === `UpdateItem pane#items-60s#${T0} ${requestId}`);

beforeEach(() => {
  ddbMock.reset();
  sqsMock.reset();
  sqsMock.on(SendMessageCommand).resolves({});
  pause.mockClear();
  table = fakeWindowsTable(ddbMock);
  printed = functionRuntimeAt(functionEnv(ANALYSIS_FUNCTION_ENV, 'analysis-items-60s'), NOW_MS);
});

afterEach(restoreFunctionRuntime);

describe('analysis handler', () => {
  it('writes the pane rows to the table of its environment, received now, and acknowledges every record', async () => {
    // Prepare
    const handler = await loadHandler();
    const event = sqsEvent([itemRecord({ item: 7 }), itemRecord({ requestId: 'req-B', item: 8 })]);

    // Act
    const response = await handler(event);

    // Assert
    expect(response).toStrictEqual({ batchItemFailures: [] });
    expect(updates().filter((input) => input.Key?.pk?.S?.startsWith('pane#'))).toMatchObject([
      {
        TableName: WINDOW_TABLE,
        Key: { pk: { S: `pane#items-60s#${T0}` }, sk: { S: 'req-A' } },
        ExpressionAttributeValues: {
          ':v0': { N: '7' },
          ':t0': { N: String(NOW_MS) },
          ':expiresAt': { N: PANE_T0_EXPIRES_AT },
        },
      },
      { TableName: WINDOW_TABLE, Key: { pk: { S: `pane#items-60s#${T0}` }, sk: { S: 'req-B' } } },
    ]);
    expect(table.row('window#items-60s', '2026-11-23T10:41:10.000Z')?.late).toEqual({
      SS: ['req-A:0', 'req-B:0'],
    });
  });

  it('counts for the analysis of its environment', async () => {
    // Prepare: 5-minute windows, so pane 10:40
    vi.stubEnv('ANALYSIS', formatAnalysis(fiveMinutes()));
    const handler = await loadHandler();

    // Act
    await handler(sqsEvent([itemRecord()]));

    // Assert
    expect(table.calls).toEqual([`UpdateItem pane#items-5m#${T0 - 120} req-A`]);
  });

  it("moves a group's records to the analysis's dead-letter queue after 3 attempts at its pane write, and acknowledges every record", async () => {
    // Prepare
    const handler = await loadHandler();
    table.failWhen = ({ sk }) => (sk === 'req-B' ? 'refused' : undefined);
    const event = sqsEvent([
      itemRecord({ requestId: 'req-A' }),
      itemRecord({ requestId: 'req-B', index: 0 }),
      itemRecord({ requestId: 'req-B', index: 1 }),
    ]);

    // Act
    const response = await handler(event);

    // Assert
    expect(failedIds(response)).toEqual([]);
    expect(paneWrites('req-B')).toHaveLength(3);
    expect(paneWrites('req-A')).toHaveLength(1);
    expect(pause.mock.calls.map(([ms]) => ms)).toEqual([100, 200]);
    expect(deadLettered()).toEqual([
      ['msg-req-B-0', ANALYSIS_DEAD_LETTER_QUEUE_URL],
      ['msg-req-B-1', ANALYSIS_DEAD_LETTER_QUEUE_URL],
    ]);
    expect(sqsMock.commandCalls(SendMessageCommand)[0]?.args[0].input).toMatchObject({
      MessageBody: event.Records[1]?.body,
      MessageAttributes: { reason: { DataType: 'String', StringValue: 'write_failed' } },
    });
  });

  it('reports as batch item failures the records its dead-letter queue refuses, so SQS redelivers them', async () => {
    // Prepare
    sqsMock.on(SendMessageCommand).rejects(new Error('SQS is down'));
    const handler = await loadHandler();
    table.failWhen = ({ sk }) => (sk === 'req-B' ? 'refused' : undefined);
    const event = sqsEvent([itemRecord({ requestId: 'req-A' }), itemRecord({ requestId: 'req-B' })]);

    // Act
    const response = await handler(event);

    // Assert
    expect(failedIds(response)).toEqual(['msg-req-B-0']);
  });

  it('fails the pane writes of FAULT_ITEMS items before they reach the table', async () => {
    // Prepare
    vi.stubEnv('FAULT_ITEMS', '13');
    const handler = await loadHandler();
    const event = sqsEvent([
      itemRecord({ requestId: 'req-A', item: 13 }),
      itemRecord({ requestId: 'req-B', item: 4 }),
    ]);

    // Act
    const response = await handler(event);

    // Assert: item 13 fails every attempt and goes to the dead-letter queue
    expect(failedIds(response)).toEqual([]);
    expect(deadLettered()).toEqual([['msg-req-A-0', ANALYSIS_DEAD_LETTER_QUEUE_URL]]);
    expect(table.calls.filter((call) => call.startsWith('UpdateItem pane#'))).toEqual([
      `UpdateItem pane#items-60s#${T0} req-B`,
    ]);
  });

  it('fails the invocation after its writes when CRASH_RATE draws a crash, so SQS redelivers every record', async () => {
    // Prepare: a rate of 1 crashes on every draw
    vi.stubEnv('CRASH_RATE', '1');
    const handler = await loadHandler();

    // Act
    const run = handler(sqsEvent([itemRecord({ index: 0 }), itemRecord({ index: 1 })]));

    // Assert
    await expect(run).rejects.toThrow('CRASH_RATE 1: simulated crash after 2 records');
    expect(table.row(`pane#items-60s#${T0}`, 'req-A')).toMatchObject({ v0: { N: '7' }, v1: { N: '7' } });
  });

  it('publishes the items counted, late, failed, dead-lettered and malformed once per invocation', async () => {
    // Prepare: req-A's item is late for one window, req-B's write fails, one record is malformed
    const handler = await loadHandler();
    table.failWhen = ({ sk }) => (sk === 'req-B' ? 'refused' : undefined);
    const event = sqsEvent([
      malformedRecord('not json'),
      itemRecord({ requestId: 'req-A' }),
      itemRecord({ requestId: 'req-B' }),
    ]);

    // Act
    const response = await handler(event);

    // Assert
    expect(failedIds(response)).toEqual([]);
    expect(printed.metrics).toEqual([
      expect.objectContaining({
        ItemsCounted: 1,
        ItemsLate: 1,
        ItemsFailed: 1,
        ItemsDeadLettered: 1,
        ItemsMalformed: 1,
        _aws: expect.objectContaining({
          CloudWatchMetrics: [expect.objectContaining({ Namespace: 'FifoBatchPipelineTest' })],
        }),
      }),
    ]);
  });

  it('logs each failed record with its receive count, each malformed record, and the late items', async () => {
    // Prepare
    const handler = await loadHandler();
    table.failWhen = ({ sk }) => (sk === 'req-B' ? 'refused' : undefined);
    const event = sqsEvent([
      itemRecord({ requestId: 'req-A' }),
      itemRecord({ requestId: 'req-B', item: 8, receiveCount: 2 }),
      malformedRecord('{"v":2}'),
    ]);

    // Act
    await handler(event);

    // Assert
    expect(printed.logs).toEqual([
      expect.objectContaining({
        level: 'WARN',
        message: 'Record failed',
        messageId: 'msg-req-B-0',
        item: 8,
        receiveCount: 2,
        attempts: 3,
        next: 'dead-lettered after 3 attempts',
        error: `Error: DynamoDB refused UpdateItem pane#items-60s#${T0}`,
      }),
      expect.objectContaining({
        level: 'WARN',
        message: 'Malformed record, acknowledged',
        messageId: 'msg-bad',
        error: 'Unsupported envelope version 2',
      }),
      expect.objectContaining({ level: 'INFO', message: 'Items late for some of their windows', items: 1 }),
    ]);
  });

  it('logs nothing when every item is counted on time', async () => {
    // Prepare
    vi.setSystemTime(new Date(msAfterT0(12)));
    const handler = await loadHandler();

    // Act
    await handler(sqsEvent([itemRecord()]));

    // Assert
    expect(printed.logs).toEqual([]);
    expect(printed.metrics).toEqual([
      expect.objectContaining({
        ItemsCounted: 1,
        ItemsLate: 0,
        ItemsFailed: 0,
        ItemsDeadLettered: 0,
        ItemsMalformed: 0,
      }),
    ]);
  });

  it('rejects (so SQS retries the whole batch) instead of swallowing an unexpected error', async () => {
    // Prepare: an event without Records cannot be processed at all
    const handler = await loadHandler();

    // Act / Assert
    await expect(handler({} as SQSEvent)).rejects.toThrow(TypeError);
  });

  it.each(Object.keys(ANALYSIS_FUNCTION_ENV))(
    'fails to load without %s, naming the variable',
    async (name) => {
      // Prepare: the stack sets every one of these, so none has a fallback
      vi.stubEnv(name, undefined);

      // Act / Assert
      await expect(loadHandler()).rejects.toThrow(`${name} must be set`);
    },
  );
});
