import {
  BatchGetItemCommand,
  DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { IdempotencyKeyReusedError } from '../../lambdas/domain/ledger';
import { dynamoDbLedger, markRedriven, readEntry } from '../../lambdas/ledger/dynamodb-ledger';
import { type AcceptedEntry, acceptedUpdate, entryFrom } from '../../lambdas/ledger/ledger-inputs';
import { rejectionOf } from './factories.ingest';
import {
  API_KEY_ID,
  conditionalCheckFailed,
  dynamoItem,
  FIXED_NOW,
  LEDGER_TABLE,
  ledgerEntry,
} from './factories.ledger';

const ddbMock = mockClient(DynamoDBClient);
const ddb = new DynamoDBClient({ region: 'eu-west-1' });
const now = new Date(FIXED_NOW);
/** 30 days after FIXED_NOW, in epoch seconds (the TTL of an entry first written now). */
const EXPIRES_AT = String(Math.floor(now.getTime() / 1000) + 30 * 86_400);
const OBJECT_KEY = 'results/2026/11/23/10/42/aaaa.json';

const ledger = () => dynamoDbLedger(ddb, { tableName: LEDGER_TABLE, retentionDays: 30, clock: () => now });

const acceptedRequest = (overrides: Partial<AcceptedEntry> = {}): AcceptedEntry => ({
  requestId: 'req-A',
  apiKeyId: API_KEY_ID,
  itemCount: 4,
  itemsHash: 'hash-of-1-2-3-4',
  acceptedAt: now,
  windowStart: '2026-11-22T10:42:07.123Z',
  repeatable: true,
  ...overrides,
});

const updates = (): UpdateItemCommandInput[] =>
  ddbMock.commandCalls(UpdateItemCommand).map((call) => call.args[0].input);

beforeEach(() => {
  ddbMock.reset();
});

describe('ingest writes', () => {
  it.each([
    {
      name: 'an Idempotency-Key: refreshes the time of the last update, keeps the first expiry',
      repeatable: true,
      times: '#updatedAt = :now, #expiresAt = if_not_exists(#expiresAt, :expiresAt)',
    },
    {
      name: "a new request id: keeps the batch writer's later update time, expires from the acceptance",
      repeatable: false,
      times: '#updatedAt = if_not_exists(#updatedAt, :now), #expiresAt = :expiresAt',
    },
  ])(
    'creates the entry with its owner, count, hash and times, refusing other items or an old window, for $name',
    ({ repeatable, times }) => {
      // Act
      const input = acceptedUpdate(acceptedRequest({ repeatable }), {
        tableName: LEDGER_TABLE,
        now,
        retentionDays: 30,
      });

      // Assert
      expect(input).toStrictEqual({
        TableName: LEDGER_TABLE,
        Key: { pk: { S: 'request#req-A' } },
        UpdateExpression:
          'SET #apiKeyId = :apiKeyId, #itemCount = :itemCount, #itemsHash = :itemsHash, ' +
          `#acceptedAt = if_not_exists(#acceptedAt, :acceptedAt), ${times}`,
        ConditionExpression:
          'attribute_not_exists(#itemsHash) OR (#itemsHash = :itemsHash AND #acceptedAt >= :windowStart)',
        ExpressionAttributeNames: {
          '#apiKeyId': 'apiKeyId',
          '#itemCount': 'itemCount',
          '#itemsHash': 'itemsHash',
          '#acceptedAt': 'acceptedAt',
          '#updatedAt': 'updatedAt',
          '#expiresAt': 'expiresAt',
        },
        ExpressionAttributeValues: {
          ':apiKeyId': { S: API_KEY_ID },
          ':itemCount': { N: '4' },
          ':itemsHash': { S: 'hash-of-1-2-3-4' },
          ':acceptedAt': { S: FIXED_NOW },
          ':now': { S: FIXED_NOW },
          ':expiresAt': { N: EXPIRES_AT },
          ':windowStart': { S: '2026-11-22T10:42:07.123Z' },
        },
        ReturnValues: 'ALL_OLD',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
    },
  );

  it.each([
    { name: 'a new request', attributes: undefined, previous: undefined },
    {
      name: 'a repeat after a 503',
      attributes: dynamoItem(ledgerEntry({ enqueued: [0, 1] })),
      previous: ledgerEntry({ enqueued: [0, 1] }),
    },
  ])('returns the entry as it was before: $name', async ({ attributes, previous }) => {
    // Prepare
    ddbMock.on(UpdateItemCommand).resolves({ Attributes: attributes });

    // Act
    const result = await ledger().recordAccepted(acceptedRequest());

    // Assert
    expect(result).toEqual(previous);
  });

  it.each([
    { name: 'other items', old: ledgerEntry({ itemsHash: 'hash-of-9' }), message: /with other items/ },
    {
      name: 'the same items after the window',
      old: ledgerEntry(),
      message: /outside the idempotency window/,
    },
    { name: 'an entry DynamoDB did not return', old: undefined, message: /with other items/ },
  ])('refuses a repeat with $name as IDEMPOTENCY_KEY_REUSED', async ({ old, message }) => {
    // Prepare
    ddbMock.on(UpdateItemCommand).rejects(conditionalCheckFailed(old && dynamoItem(old)));

    // Act
    const error = await rejectionOf(ledger().recordAccepted(acceptedRequest()));

    // Assert
    expect(error).toBeInstanceOf(IdempotencyKeyReusedError);
    expect(error).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', status: 422, requestId: 'req-A' });
    expect((error as Error).message).toMatch(message);
  });

  it('records the indexes SQS took before a 503, and nothing for none', async () => {
    // Prepare
    ddbMock.on(UpdateItemCommand).resolves({});

    // Act
    await ledger().recordEnqueued('req-A', [0, 1, 3]);
    await ledger().recordEnqueued('req-A', []);

    // Assert
    expect(updates()).toEqual([
      expect.objectContaining({
        UpdateExpression:
          'ADD #enqueued :indexes SET #updatedAt = :now, #expiresAt = if_not_exists(#expiresAt, :expiresAt)',
        ExpressionAttributeValues: expect.objectContaining({ ':indexes': { NS: ['0', '1', '3'] } }),
      }),
    ]);
  });
});

describe('batch writer writes', () => {
  it('adds stored indexes and the object key with ADD, an idempotent upsert', async () => {
    // Prepare
    ddbMock.on(UpdateItemCommand).resolves({});

    // Act
    await ledger().recordStored('req-A', [0, 1], OBJECT_KEY);

    // Assert
    expect(updates()).toStrictEqual([
      {
        TableName: LEDGER_TABLE,
        Key: { pk: { S: 'request#req-A' } },
        UpdateExpression:
          'ADD #stored :indexes, #objects :objects SET #updatedAt = :now, ' +
          '#expiresAt = if_not_exists(#expiresAt, :expiresAt)',
        ExpressionAttributeNames: {
          '#stored': 'stored',
          '#objects': 'objects',
          '#updatedAt': 'updatedAt',
          '#expiresAt': 'expiresAt',
        },
        ExpressionAttributeValues: {
          ':indexes': { NS: ['0', '1'] },
          ':objects': { SS: [OBJECT_KEY] },
          ':now': { S: FIXED_NOW },
          ':expiresAt': { N: EXPIRES_AT },
        },
      },
    ]);
  });

  it('writes once per stored segment: the completion time is the last update, not a write of its own', async () => {
    // Prepare
    ddbMock.on(UpdateItemCommand).resolves({});

    // Act
    await ledger().recordStored('req-A', [2, 3], OBJECT_KEY);

    // Assert
    expect(updates()).toHaveLength(1);
  });

  it('lets an error of the write reach the caller, which counts it', async () => {
    // Prepare
    ddbMock.on(UpdateItemCommand).rejects(new Error('throttled'));

    // Act
    const error = await rejectionOf(ledger().recordStored('req-A', [3], OBJECT_KEY));

    // Assert
    expect(error).toMatchObject({ message: 'throttled' });
  });

  it('records the indexes of a final attempt as failed, naming only what the expression uses', async () => {
    // Prepare
    ddbMock.on(UpdateItemCommand).resolves({});

    // Act
    await ledger().recordFailed('req-A', [2]);

    // Assert: DynamoDB refuses names and values an expression does not use
    expect(updates()).toStrictEqual([
      {
        TableName: LEDGER_TABLE,
        Key: { pk: { S: 'request#req-A' } },
        UpdateExpression:
          'ADD #failed :indexes SET #updatedAt = :now, #expiresAt = if_not_exists(#expiresAt, :expiresAt)',
        ExpressionAttributeNames: {
          '#failed': 'failed',
          '#updatedAt': 'updatedAt',
          '#expiresAt': 'expiresAt',
        },
        ExpressionAttributeValues: {
          ':indexes': { NS: ['2'] },
          ':now': { S: FIXED_NOW },
          ':expiresAt': { N: EXPIRES_AT },
        },
      },
    ]);
  });

  it('reads the stored indexes of several requests in one consistent BatchGetItem', async () => {
    // Prepare
    ddbMock.on(BatchGetItemCommand).resolves({
      Responses: { [LEDGER_TABLE]: [dynamoItem(ledgerEntry({ requestId: 'req-A', stored: [0, 2] }))] },
      UnprocessedKeys: { [LEDGER_TABLE]: { Keys: [{ pk: { S: 'request#req-C' } }] } },
    });

    // Act
    const stored = await ledger().storedIndexes(['req-A', 'req-B', 'req-C']);

    // Assert: req-B has no entry, req-C was not processed: both are written as before
    expect(stored).toEqual(new Map([['req-A', new Set([0, 2])]]));
    expect(ddbMock.commandCalls(BatchGetItemCommand)[0]?.args[0].input).toStrictEqual({
      RequestItems: {
        [LEDGER_TABLE]: {
          Keys: ['req-A', 'req-B', 'req-C'].map((id) => ({ pk: { S: `request#${id}` } })),
          ProjectionExpression: '#pk, #stored',
          ExpressionAttributeNames: { '#pk': 'pk', '#stored': 'stored' },
          ConsistentRead: true,
        },
      },
    });
  });

  it('knows of nothing stored when DynamoDB returns no responses', async () => {
    // Prepare
    ddbMock.on(BatchGetItemCommand).resolves({});

    // Act
    const stored = await ledger().storedIndexes(['req-A']);

    // Assert
    expect(stored.size).toBe(0);
  });

  it('asks nothing when no record was redelivered', async () => {
    // Act
    const stored = await ledger().storedIndexes([]);

    // Assert
    expect(stored.size).toBe(0);
    expect(ddbMock.calls()).toHaveLength(0);
  });
});

describe('reading and redriving', () => {
  it('reads an entry consistently, sets as sorted arrays', async () => {
    // Prepare
    const entry = ledgerEntry({ stored: [3, 0], objects: [OBJECT_KEY], updatedAt: FIXED_NOW });
    ddbMock.on(GetItemCommand).resolves({ Item: dynamoItem(entry) });

    // Act
    const read = await readEntry(ddb, LEDGER_TABLE, 'req-A');

    // Assert
    expect(read).toEqual({ ...entry, stored: [0, 3] });
    expect(ddbMock.commandCalls(GetItemCommand)[0]?.args[0].input).toStrictEqual({
      TableName: LEDGER_TABLE,
      Key: { pk: { S: 'request#req-A' } },
      ConsistentRead: true,
    });
  });

  it('reads no entry as undefined', async () => {
    // Prepare
    ddbMock.on(GetItemCommand).resolves({});

    // Act
    const read = await readEntry(ddb, LEDGER_TABLE, 'req-missing');

    // Assert
    expect(read).toBeUndefined();
  });

  it('reads the object keys in key order', () => {
    // Act
    const entry = entryFrom({
      pk: { S: 'request#req-A' },
      objects: { SS: ['results/b.json', 'results/a.json'] },
    });

    // Assert
    expect(entry.objects).toEqual(['results/a.json', 'results/b.json']);
  });

  it('reads an entry only the batch writer wrote: no owner, no count', () => {
    // Act
    const entry = entryFrom({ pk: { S: 'request#req-A' }, stored: { NS: ['1'] } });

    // Assert
    expect(entry).toStrictEqual({ requestId: 'req-A', stored: [1], failed: [], enqueued: [], objects: [] });
  });

  it('removes redriven indexes from failed on an existing entry only', async () => {
    // Prepare
    ddbMock.on(UpdateItemCommand).resolves({});

    // Act
    const found = await markRedriven(ddb, LEDGER_TABLE, 'req-A', [2, 3], now);

    // Assert
    expect(found).toBe(true);
    expect(updates()).toStrictEqual([
      {
        TableName: LEDGER_TABLE,
        Key: { pk: { S: 'request#req-A' } },
        UpdateExpression: 'DELETE #failed :indexes SET #updatedAt = :now',
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { '#pk': 'pk', '#failed': 'failed', '#updatedAt': 'updatedAt' },
        ExpressionAttributeValues: { ':indexes': { NS: ['2', '3'] }, ':now': { S: FIXED_NOW } },
      },
    ]);
  });

  it.each([
    { name: 'has no entry for the request', answer: conditionalCheckFailed(), found: false, calls: 1 },
    { name: 'is given no indexes', answer: conditionalCheckFailed(), found: true, calls: 0, indexes: [] },
  ])('tells the redrive tool when the ledger $name', async ({ answer, found, calls, indexes = [2] }) => {
    // Prepare
    ddbMock.on(UpdateItemCommand).rejects(answer);

    // Act
    const result = await markRedriven(ddb, LEDGER_TABLE, 'req-A', indexes, now);

    // Assert
    expect(result).toBe(found);
    expect(updates()).toHaveLength(calls);
  });

  it('lets other DynamoDB errors reach the redrive tool', async () => {
    // Prepare
    ddbMock.on(UpdateItemCommand).rejects(new Error('throttled'));

    // Act
    const error = await rejectionOf(markRedriven(ddb, LEDGER_TABLE, 'req-A', [2], now));

    // Assert
    expect(error).toMatchObject({ message: 'throttled' });
  });
});
