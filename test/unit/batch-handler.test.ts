import { BatchGetItemCommand, DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resultKey } from '../../lambdas/domain/keys';
import {
  anyFailureRecord,
  BATCH_FUNCTION_ENV,
  batchEnv,
  conditionalRequestConflict,
  DEAD_LETTER_QUEUE_URL,
  FIXED_MINUTE_PATH,
  FIXED_NOW,
  failureObjects,
  fakeBucket,
  interleavedGroups,
  malformedRecord,
  queueRecords,
  resultHolding,
  sqsEvent,
  sqsRecord,
  storedSegments,
} from './factories.batch';
import { dynamoItem, LEDGER_TABLE, ledgerEntry } from './factories.ledger';
import { capturePrinted, type Printed, restoreFunctionRuntime } from './function-output';

// The store backs off with node:timers/promises; answering at once keeps the retry tests instant.
const { backoff } = vi.hoisted(() => ({ backoff: vi.fn(async (_ms: number): Promise<void> => undefined) }));
vi.mock('node:timers/promises', () => ({ setTimeout: backoff }));

const s3Mock = mockClient(S3Client);
const ddbMock = mockClient(DynamoDBClient);
const sqsMock = mockClient(SQSClient);

/** What the function moved to the dead-letter queue itself: message id (its dedup id), group, reason. */
const deadLettered = () =>
  sqsMock
    .commandCalls(SendMessageCommand)
    .map(({ args: [{ input }] }) => [
      input.MessageDeduplicationId,
      input.MessageGroupId,
      input.MessageAttributes?.reason?.StringValue,
    ]);

const context: Context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'batch-writer',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:batch-writer',
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/batch-writer',
  logStreamName: '2026/11/23/[$LATEST]abcdef',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

type BatchHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** The handler reads its settings at import, so each test imports a fresh copy after setting env. */
async function loadHandler(): Promise<BatchHandler> {
  const module = await import('../../lambdas/batch/handler');
  return module.handler;
}

const failedIds = (response: SQSBatchResponse): string[] =>
  response.batchItemFailures.map(({ itemIdentifier }) => itemIdentifier);

beforeEach(() => {
  vi.resetModules();
  s3Mock.reset();
  // The ledger answers every update at once and knows of nothing stored.
  ddbMock.reset();
  ddbMock.onAnyCommand().resolves({});
  // The dead-letter queue takes what it is sent.
  sqsMock.reset();
  sqsMock.on(SendMessageCommand).resolves({});
  backoff.mockClear();
  // Every variable the stack sets, so nothing from the developer's shell leaks into the tests.
  for (const [name, value] of Object.entries(batchEnv())) vi.stubEnv(name, value);
  // Only Date is faked, so keys are predictable; timers and promises run normally.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(FIXED_NOW));
});

afterEach(restoreFunctionRuntime);

describe('batch handler', () => {
  it('returns no batch item failures when every write succeeds', async () => {
    // Prepare
    const handler = await loadHandler();
    const bucket = fakeBucket(s3Mock);
    const records = queueRecords([
      ['A', 1],
      ['A', 2],
      ['B', 3],
    ]);

    // Act
    const response = await handler(sqsEvent(records), context);

    // Assert
    expect(response).toEqual({ batchItemFailures: [] });
    expect(storedSegments(bucket)).toEqual([[1], [2, 3]]);
    for (const call of s3Mock.commandCalls(PutObjectCommand)) {
      expect(call.args[0].input.Bucket).toBe('results-bucket');
    }
  });

  it("moves exactly the rejected group's records to the dead-letter queue itself, in order, after 3 attempts", async () => {
    // Prepare
    const handler = await loadHandler();
    const records = interleavedGroups();
    const bucket = fakeBucket(s3Mock, resultHolding('msg-A-0'));

    // Act
    const response = await handler(sqsEvent(records), context);

    // Assert: acknowledged, since they are in the dead-letter queue with their group.
    expect(response).toEqual({ batchItemFailures: [] });
    expect(deadLettered()).toEqual([
      ['msg-A-0', 'A', 'write_failed'],
      // Retried together with A1 in one object, which failed too.
      ['msg-A-1', 'A', 'write_failed'],
    ]);
    expect(sqsMock.commandCalls(SendMessageCommand)[0]?.args[0].input).toMatchObject({
      QueueUrl: DEAD_LETTER_QUEUE_URL,
      MessageBody: records[0]?.body,
      MessageAttributes: { deadLetteredBy: { DataType: 'String', StringValue: 'batch-writer' } },
    });
    expect(storedSegments(bucket)).toEqual([[4, 6]]);
    expect(backoff.mock.calls.map(([ms]) => ms)).toEqual([100, 200]);
  });

  it('reports for redelivery what the dead-letter queue refuses, and the rest of its group behind it', async () => {
    // Prepare
    sqsMock.on(SendMessageCommand).rejects(new Error('SQS is down'));
    const handler = await loadHandler();
    fakeBucket(s3Mock, resultHolding('msg-A-0'));

    // Act
    const response = await handler(sqsEvent(interleavedGroups()), context);

    // Assert: the group stops at its first refusal, so nothing of it overtakes the first.
    expect(failedIds(response)).toEqual(['msg-A-0', 'msg-A-1']);
    expect(deadLettered()).toHaveLength(1);
  });

  it('takes group, deduplication id and receive count from the SQS attributes', async () => {
    // Prepare: a failed item gets a failure record with its receive count.
    const handler = await loadHandler();
    const [a, b] = queueRecords(
      [
        ['A', 1],
        ['B', 2],
      ],
      3,
    );
    if (a === undefined || b === undefined) throw new Error('factory returned too few records');
    const bucket = fakeBucket(s3Mock, resultHolding(a.messageId));

    // Act
    const response = await handler(sqsEvent([a, b]), context);

    // Assert: 1 and 2 sit in different groups, so they were not split; the key hashes the dedup id.
    expect(failedIds(response)).toEqual([]);
    expect(deadLettered()).toEqual([[a.messageId, 'A', 'write_failed']]);
    expect(bucket.stored[0]?.key).toBe(resultKey(new Date(FIXED_NOW), [b.deduplicationId]));
    expect(failureObjects(bucket)).toEqual([
      {
        key: `failed/${FIXED_MINUTE_PATH}/${a.messageId}.json`,
        body: expect.objectContaining({ reason: 'write_failed', item: 1, receiveCount: 3, groupId: 'A' }),
      },
    ]);
  });

  it('applies the settings from the environment', async () => {
    // Prepare
    vi.stubEnv('FAULT_ITEMS', '7');
    vi.stubEnv('BATCH_SIZE', '1');
    const handler = await loadHandler();
    const bucket = fakeBucket(s3Mock);
    const records = queueRecords([
      ['A', 3],
      ['A', 4],
      ['B', 7],
    ]);

    // Act
    const response = await handler(sqsEvent(records), context);

    // Assert
    expect(failedIds(response)).toEqual([]);
    expect(deadLettered()).toEqual([['msg-B-0', 'B', 'write_failed']]);
    expect(storedSegments(bucket)).toEqual([[3], [4]]);
  });

  it('fails the invocation after its writes when CRASH_RATE draws a crash, so SQS redelivers every record', async () => {
    // Prepare: a rate of 1 crashes on every draw.
    vi.stubEnv('CRASH_RATE', '1');
    const handler = await loadHandler();
    const bucket = fakeBucket(s3Mock);
    const records = queueRecords([
      ['A', 1],
      ['A', 3],
    ]);

    // Act
    const run = handler(sqsEvent(records), context);

    // Assert: the write happened, and the invocation still fails.
    await expect(run).rejects.toThrow(/CRASH_RATE 1: simulated crash after 2 records/);
    expect(storedSegments(bucket)).toEqual([[1, 3]]);
  });

  it('never acknowledges failed writes that neither a failure record nor the dead-letter queue took', async () => {
    // Prepare: S3 and SQS are down for everything.
    sqsMock.on(SendMessageCommand).rejects(new Error('SQS is down'));
    const handler = await loadHandler();
    const records = queueRecords(
      [
        ['A', 1],
        ['A', 2],
        ['B', 3],
      ],
      3,
    );
    const bucket = fakeBucket(s3Mock, () => true);

    // Act
    const response = await handler(sqsEvent(records), context);

    // Assert
    expect(failedIds(response)).toEqual(['msg-A-0', 'msg-A-1', 'msg-B-0']);
    expect(bucket.stored).toEqual([]);
  });

  it('pauses before retrying a write S3 answers with 409 ConditionalRequestConflict', async () => {
    // Prepare
    const handler = await loadHandler();
    s3Mock.on(PutObjectCommand).rejectsOnce(conditionalRequestConflict()).resolves({});

    // Act
    const response = await handler(sqsEvent(queueRecords([['A', 3]])), context);

    // Assert
    expect(failedIds(response)).toEqual([]);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(2);
    expect(backoff.mock.calls).toEqual([[50]]);
  });

  it('acknowledges a malformed record once its failure record is written, and retries it otherwise', async () => {
    // Prepare
    const handler = await loadHandler();
    const event = sqsEvent([malformedRecord('not json')]);
    fakeBucket(s3Mock);
    const written = await handler(event, context);
    s3Mock.reset();
    fakeBucket(s3Mock, anyFailureRecord);

    // Act
    const notWritten = await handler(event, context);

    // Assert
    expect(failedIds(written)).toEqual([]);
    expect(failedIds(notWritten)).toEqual(['msg-bad']);
  });

  it('rejects (so SQS retries the whole batch) instead of swallowing an unexpected error', async () => {
    // Prepare: an event without Records cannot be processed at all. Dev mode routes the metrics
    // "nothing to publish" warning through the global console, where it is silenced.
    vi.stubEnv('POWERTOOLS_DEV', 'true');
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const handler = await loadHandler();
    const broken = {} as unknown as SQSEvent;

    // Act / Assert
    await expect(handler(broken, context)).rejects.toThrow(TypeError);
  });

  it.each(Object.keys(BATCH_FUNCTION_ENV))('fails to load without %s, naming the variable', async (name) => {
    // Prepare: the stack sets every one of these, so none has a fallback.
    vi.stubEnv(name, undefined);

    // Act / Assert
    await expect(loadHandler()).rejects.toThrow(`${name} must be set`);
  });

  it.each([
    { name: 'BATCH_SIZE', value: '0' },
    { name: 'EXCLUSION_PAIRS', value: '1-2' },
    { name: 'FAULT_RATE', value: '2' },
  ])('fails to load when $name is $value, naming the variable', async ({ name, value }) => {
    // Prepare
    vi.stubEnv(name, value);

    // Act / Assert
    await expect(loadHandler()).rejects.toThrow(name);
  });
});

describe('toQueueRecord', () => {
  it('falls back to one shared group, the message id and receive 1 when attributes are missing', async () => {
    // Prepare
    const { toQueueRecord } = await import('../../lambdas/shared/queue-records');
    const [record] = queueRecords([['A', 3]]);
    if (record === undefined) throw new Error('factory returned no record');
    const sqs = sqsRecord(record);
    const bare = {
      ...sqs,
      attributes: {
        ...sqs.attributes,
        MessageGroupId: undefined,
        MessageDeduplicationId: undefined,
        ApproximateReceiveCount: '',
      },
    };

    // Act
    const queueRecord = toQueueRecord(bare);

    // Assert
    expect(queueRecord).toEqual({
      messageId: record.messageId,
      body: record.body,
      groupId: '',
      deduplicationId: record.messageId,
      receiveCount: 1,
    });
  });

  it('copies group, deduplication id and receive count from the attributes', async () => {
    // Prepare
    const { toQueueRecord } = await import('../../lambdas/shared/queue-records');
    const [record] = queueRecords([['B', 4]], 2);
    if (record === undefined) throw new Error('factory returned no record');

    // Act
    const queueRecord = toQueueRecord(sqsRecord(record));

    // Assert
    expect(queueRecord).toEqual(record);
  });
});

describe('batch handler metrics and logs', () => {
  let printed: Printed;

  beforeEach(() => {
    // Dev mode prints metrics and logs to the global console, where these spies catch them.
    vi.stubEnv('POWERTOOLS_DEV', 'true');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
    printed = capturePrinted();
  });

  it('publishes the items stored, objects written, exclusion splits and items failed once per invocation', async () => {
    // Prepare: cut into [1] and [2,3]; B's part of the second object fails.
    const handler = await loadHandler();
    fakeBucket(s3Mock, resultHolding('msg-B-0'));
    const records = queueRecords([
      ['A', 1],
      ['A', 2],
      ['B', 3],
    ]);

    // Act
    await handler(sqsEvent(records), context);

    // Assert
    expect(printed.metrics).toEqual([
      expect.objectContaining({
        ItemsStored: 2,
        SegmentsWritten: 2,
        ExclusionSplits: 1,
        ItemsFailed: 1,
        _aws: expect.objectContaining({
          CloudWatchMetrics: [expect.objectContaining({ Namespace: 'FifoBatchPipelineTest' })],
        }),
      }),
    ]);
  });

  it.each([
    {
      receiveCount: 1,
      refused: false,
      next: 'dead-lettered after 3 attempts (failure record under failed/)',
    },
    {
      receiveCount: 7,
      refused: false,
      next: 'dead-lettered after 3 attempts (failure record under failed/)',
    },
    {
      receiveCount: 1,
      refused: true,
      next: 'retried after the visibility timeout: the dead-letter queue refused it (Error: SQS is down)',
    },
  ])(
    'says what happens next to a record failed on receive $receiveCount (DLQ refuses: $refused)',
    async ({ receiveCount, refused, next }) => {
      // Prepare
      if (refused) sqsMock.on(SendMessageCommand).rejects(new Error('SQS is down'));
      const handler = await loadHandler();
      fakeBucket(s3Mock, (input) => String(input.Key).startsWith('results/'));

      // Act
      await handler(sqsEvent(queueRecords([['A', 3]], receiveCount)), context);

      // Assert
      const failed = printed.logs.find((line) => line.message === 'Record failed');
      expect(failed).toMatchObject({ item: 3, reason: 'write_failed', receiveCount, next });
    },
  );

  it('logs one line per stored segment with its items and key', async () => {
    // Prepare: [1] and [2,3] (1 and 2 apart)
    const handler = await loadHandler();
    fakeBucket(s3Mock);

    // Act
    await handler(
      sqsEvent(
        queueRecords([
          ['A', 1],
          ['A', 2],
          ['A', 3],
        ]),
      ),
      context,
    );

    // Assert
    const stored = printed.logs.filter((line) => line.message === 'Segment stored');
    expect(stored.map((line) => line.items)).toEqual([[1], [2, 3]]);
    for (const line of stored)
      expect(line.key).toMatch(/^results\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/\d{2}\/[0-9a-f]{32}\.json$/);
  });

  it('logs each failed record with its reason, and each failure record it could not write', async () => {
    // Prepare: S3 is down for everything.
    const handler = await loadHandler();
    fakeBucket(s3Mock, () => true);

    // Act
    await handler(sqsEvent(queueRecords([['A', 3]], 3)), context);

    // Assert
    expect(printed.logs).toEqual([
      expect.objectContaining({
        level: 'WARN',
        message: 'Record failed',
        messageId: 'msg-A-0',
        reason: 'write_failed',
        error: expect.stringContaining('S3 rejected results/'),
        item: 3,
        receiveCount: 3,
        attempts: 3,
        next: 'dead-lettered after 3 attempts (failure record under failed/)',
      }),
      expect.objectContaining({
        level: 'ERROR',
        message: 'Failure record not written',
        error: expect.stringMatching(/^msg-A-0: Error: S3 rejected failed\//),
      }),
    ]);
  });

  it('records each stored segment in the ledger table, per request, with the object key', async () => {
    // Prepare
    const handler = await loadHandler();
    const bucket = fakeBucket(s3Mock);

    // Act
    await handler(sqsEvent(queueRecords([['A', 3]])), context);

    // Assert
    const [update] = ddbMock.commandCalls(UpdateItemCommand).map((call) => call.args[0].input);
    expect(update).toMatchObject({
      TableName: LEDGER_TABLE,
      Key: { pk: { S: 'request#req-A' } },
      ExpressionAttributeValues: expect.objectContaining({
        ':indexes': { NS: ['0'] },
        ':objects': { SS: [bucket.stored[0]?.key] },
      }),
    });
  });

  it('acknowledges a redelivered record the ledger shows stored, without a PutObject, and counts it', async () => {
    // Prepare: the ledger answers in 50 ms, well within the budget of an invocation with 30 s left
    const handler = await loadHandler();
    fakeBucket(s3Mock);
    ddbMock.on(BatchGetItemCommand).callsFake(async () => {
      await new Promise((resolve) => globalThis.setTimeout(resolve, 50));
      return {
        Responses: { [LEDGER_TABLE]: [dynamoItem(ledgerEntry({ requestId: 'req-A', stored: [0] }))] },
      };
    });

    // Act
    const response = await handler(sqsEvent(queueRecords([['A', 3]], 2)), context);

    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(printed.metrics).toEqual([expect.objectContaining({ ItemsAlreadyStored: 1, ItemsStored: 0 })]);
    expect(printed.logs).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'Redelivered items already stored, acknowledged',
        items: 1,
      }),
    ]);
  });

  it('spends a share of its remaining time on a ledger that never answers, and stores as before', async () => {
    // Prepare: 400 ms left, so each ledger call may take 100 ms
    const handler = await loadHandler();
    const bucket = fakeBucket(s3Mock);
    ddbMock.onAnyCommand().callsFake(() => new Promise(() => undefined));
    const started = Date.now();

    // Act
    const response = await handler(sqsEvent(queueRecords([['A', 3]], 2)), {
      ...context,
      getRemainingTimeInMillis: () => 400,
    });

    // Assert: the lookup and the stored update each gave up after their budget
    expect(Date.now() - started).toBeLessThan(400);
    expect(response.batchItemFailures).toEqual([]);
    expect(storedSegments(bucket)).toEqual([[3]]);
    expect(printed.metrics).toEqual([expect.objectContaining({ LedgerErrors: 2 })]);
  });

  it('stores and acknowledges as before when the ledger is unreachable, and logs and counts each ledger error', async () => {
    // Prepare: a redelivered record (looked up) that is then written (recorded)
    const handler = await loadHandler();
    const bucket = fakeBucket(s3Mock);
    ddbMock.onAnyCommand().rejects(new Error('connect ECONNREFUSED'));

    // Act
    const response = await handler(sqsEvent(queueRecords([['A', 3]], 2)), context);

    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(storedSegments(bucket)).toEqual([[3]]);
    expect(printed.metrics).toEqual([expect.objectContaining({ LedgerErrors: 2, ItemsStored: 1 })]);
    expect(
      printed.logs.filter((line) => line.message === 'Ledger not updated').map((line) => line.error),
    ).toEqual(['read stored: Error: connect ECONNREFUSED', 'stored req-A: Error: connect ECONNREFUSED']);
  });
});
