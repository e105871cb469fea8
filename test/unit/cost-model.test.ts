import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ANALYSES } from '../../lambdas/domain/analyses';
import { redrivenUpdate, storedUpdate } from '../../lambdas/ledger/ledger-inputs';
import { paneUpdates } from '../../lambdas/windows/window-inputs';
import {
  billedApiRequests,
  costPerMillionItems,
  type DynamoItem,
  dispatcherUsagePerItem,
  dynamoDbItemBytes,
  ENVELOPE_BYTES,
  expectedObjectsPerRequest,
  itemAfterUpdate,
  type LedgerRunCounts,
  ledgerUnitsPerItem,
  postBodyBytes,
  type RequestStorage,
  type RunCounts,
  requestWriteUnits,
  SNS_BILLING_CHUNK_BYTES,
  sendBatchesFor,
  snsCostPerMillionItems,
  US_EAST_1_PRICES,
  usagePerItem,
  writeUnits,
} from '../bench/cost-model';

const runCounts = (overrides: Partial<RunCounts> = {}): RunCounts => ({
  items: 100,
  via: 'queue',
  requestSizes: Array.from({ length: 25 }, () => 4),
  ingest: { invocations: 25, billedMs: 500, memoryMb: 256 },
  batch: { invocations: 20, billedMs: 400, memoryMb: 256 },
  objectsWritten: 20,
  ...overrides,
});

const noRequests = {
  apiRequests: 0,
  lambdaInvocations: 0,
  lambdaGbSeconds: 0,
  sqsRequests: 0,
  s3Puts: 0,
};

describe('sendBatchesFor', () => {
  it.each([
    [[1], 1],
    [[10], 1],
    [[11], 2],
    [[100], 10],
    [[4, 4, 4], 3],
    [[], 0],
  ])('sends %j items in %i SendMessageBatch calls', (sizes, expected) => {
    expect(sendBatchesFor(sizes)).toBe(expected);
  });
});

describe('the front door', () => {
  it.each([
    { apiType: 'rest' as const, bytes: 9, billed: 1 },
    { apiType: 'rest' as const, bytes: 3 * 1024 * 1024, billed: 1 },
    { apiType: 'http' as const, bytes: 0, billed: 1 },
    { apiType: 'http' as const, bytes: 512 * 1024, billed: 1 },
    { apiType: 'http' as const, bytes: 512 * 1024 + 1, billed: 2 },
    { apiType: 'http' as const, bytes: 1024 * 1024, billed: 2 },
  ])('bills a $apiType API request of $bytes bytes as $billed', ({ apiType, bytes, billed }) => {
    expect(billedApiRequests(apiType, bytes)).toBe(billed);
  });

  it.each([
    [1, 3],
    [4, 9],
    [100, 201],
  ])('sends %i one-digit items in a body of %i bytes', (items, bytes) => {
    expect(postBodyBytes(items)).toBe(bytes);
  });

  it('prices API requests by the API type: $3.50 per million on REST (the default), $1.00 on HTTP APIs', () => {
    // Act
    const [unset, rest, http] = [undefined, 'rest' as const, 'http' as const].map(
      (apiType) =>
        costPerMillionItems({ ...noRequests, apiRequests: 0.25, ...(apiType ? { apiType } : {}) }).apiGateway,
    );

    // Assert
    expect(unset).toBeCloseTo(0.875, 9);
    expect(rest).toBeCloseTo(0.875, 9);
    expect(http).toBeCloseTo(0.25, 9);
  });
});

describe('usagePerItem', () => {
  it('divides what a run counted by its items, with two SQS requests per batch invocation', () => {
    // Act
    const usage = usagePerItem(runCounts());

    // Assert: 25 POSTs, 45 invocations, 25 sends + 2 x 20 ESM calls, 20 PUTs over 100 items
    expect(usage.apiRequests).toBe(0.25);
    expect(usage.lambdaInvocations).toBe(0.45);
    expect(usage.sqsRequests).toBe(0.65);
    expect(usage.s3Puts).toBe(0.2);
    expect(usage.lambdaGbSeconds).toBeCloseTo((0.9 * 0.25) / 100, 12);
  });

  it('reports zero usage, not NaN, for a run that stored nothing', () => {
    expect(Object.values(usagePerItem(runCounts({ items: 0 })))).toEqual([0, 0, 0, 0, 0]);
    expect(Object.values(usagePerItem(runCounts({ items: 0, via: 'topic' })))).toEqual([0, 0, 0, 0, 0]);
  });

  it("counts SNS's delivery of each item through the topic, and the PublishBatch calls instead of sends", () => {
    // Act
    const usage = usagePerItem(runCounts({ via: 'topic' }));

    // Assert: 100 deliveries + 2 x 20 ESM calls over 100 items; 25 PublishBatch calls, one subscription
    expect(usage.sqsRequests).toBe(1.4);
    expect(usage.dispatcher).toStrictEqual(
      dispatcherUsagePerItem(
        Array.from({ length: 25 }, () => 4),
        1,
      ),
    );
    expect(usage.dispatcher?.publishRequests).toBe(0.25);
  });
});

describe('dispatcherUsagePerItem', () => {
  it.each([
    { case: 'one item per POST', sizes: [1], subscriptions: 2, publishes: 1, deliveries: 2 },
    { case: 'four per POST', sizes: [4, 4], subscriptions: 2, publishes: 0.25, deliveries: 2 },
    {
      case: 'fifteen: a full chunk and a rest',
      sizes: [15],
      subscriptions: 1,
      publishes: 2 / 15,
      deliveries: 1,
    },
    { case: 'a hundred', sizes: [100], subscriptions: 21, publishes: 0.1, deliveries: 21 },
  ])('bills $publishes publishes and $deliveries deliveries per item for $case', (row) => {
    // Act
    const usage = dispatcherUsagePerItem(row.sizes, row.subscriptions);

    // Assert
    expect(usage.publishRequests).toBeCloseTo(row.publishes, 12);
    expect(usage.deliveries).toBe(row.deliveries);
    expect(usage.publishedGb).toBeCloseTo(ENVELOPE_BYTES / 1024 ** 3, 15);
    expect(usage.deliveredGb).toBeCloseTo((row.subscriptions * ENVELOPE_BYTES) / 1024 ** 3, 15);
  });

  it('bills each 64 KB chunk of a request as one: ten messages of 40,000 bytes are 7 publishes', () => {
    // Act
    const usage = dispatcherUsagePerItem([10], 1, 40_000);

    // Assert
    expect(usage.publishRequests).toBeCloseTo(Math.ceil(400_000 / SNS_BILLING_CHUNK_BYTES) / 10, 12);
    expect(usage.deliveries).toBe(1);
  });

  it('delivers a message over 64 KB as two chunks to each subscription', () => {
    expect(dispatcherUsagePerItem([1], 3, 70_000).deliveries).toBe(6);
  });

  it('bills nothing for no items', () => {
    expect(dispatcherUsagePerItem([], 2)).toStrictEqual({
      publishRequests: 0,
      publishedGb: 0,
      deliveries: 0,
      deliveredGb: 0,
    });
  });
});

describe('snsCostPerMillionItems', () => {
  it('prices publishes, published GB, deliveries and delivered GB at the FIFO topic rates', () => {
    // Act
    const cost = snsCostPerMillionItems({
      publishRequests: 1,
      publishedGb: 1e-6,
      deliveries: 2,
      deliveredGb: 2e-6,
    });

    // Assert: $0.30 + 1 GB x $0.017 + 2 x $0.01 + 2 GB x $0.001
    expect(cost).toBeCloseTo(0.3 + 0.017 + 0.02 + 0.002, 12);
  });
});

describe('costPerMillionItems', () => {
  it('prices each service at the documented us-east-1 rates and sums them', () => {
    // Act
    const cost = costPerMillionItems({
      apiRequests: 1,
      lambdaInvocations: 1,
      lambdaGbSeconds: 1,
      sqsRequests: 1,
      s3Puts: 1,
      dynamoDbWriteUnits: 1,
      dynamoDbReadUnits: 1,
      dispatcher: { publishRequests: 1, publishedGb: 0, deliveries: 1, deliveredGb: 0 },
    });

    // Assert
    expect(cost.apiGateway).toBe(US_EAST_1_PRICES.apiGatewayRestPerMillionRequests);
    expect(cost.lambda).toBeCloseTo(0.2 + 13.3334, 6);
    expect(cost.sqs).toBe(0.5);
    expect(cost.s3).toBeCloseTo(5, 9);
    expect(cost.dynamoDb).toBe(0.625 + 0.125);
    expect(cost.sns).toBeCloseTo(0.3 + 0.01, 12);
    expect(cost.total).toBeCloseTo(3.5 + 0.2 + 13.3334 + 0.31 + 0.5 + 5 + 0.75, 6);
  });

  it('gives the floor for objects of five items: S3 PUTs at $1.00 per million items', () => {
    const cost = costPerMillionItems({ ...noRequests, s3Puts: 0.2 });
    expect(cost.s3).toBeCloseTo(1, 9);
    expect(cost.total).toBeCloseTo(1, 9);
  });

  it.each([
    { case: 'not counted', ledger: {}, dynamoDb: 0 },
    { case: 'three writes per item', ledger: { dynamoDbWriteUnits: 3 }, dynamoDb: 1.875 },
    { case: 'reads only', ledger: { dynamoDbReadUnits: 2 }, dynamoDb: 0.25 },
  ])(
    'prices the ledger at on-demand rates: $dynamoDb per million items with $case',
    ({ ledger, dynamoDb }) => {
      // Act
      const cost = costPerMillionItems({ ...noRequests, ...ledger });

      // Assert
      expect(cost.dynamoDb).toBeCloseTo(dynamoDb, 12);
      expect(cost.total).toBeCloseTo(dynamoDb, 12);
    },
  );
});

describe('dynamoDbItemBytes', () => {
  it.each<{ case: string; item: DynamoItem; bytes: number }>([
    { case: 'a string: name and UTF-8 bytes', item: { pk: { S: 'request#abc' } }, bytes: 2 + 11 },
    { case: 'a multi-byte string', item: { name: { S: 'é' } }, bytes: 4 + 2 },
    {
      case: 'a number: 1 byte per 2 significant digits, plus 1',
      item: { n: { N: '1798022527' } },
      bytes: 1 + 6,
    },
    { case: 'a number with trailing zeros', item: { n: { N: '100' } }, bytes: 1 + 2 },
    { case: 'a signed decimal with leading zeros', item: { n: { N: '-0.0500' } }, bytes: 1 + 2 },
    { case: 'a boolean', item: { ok: { BOOL: true } }, bytes: 2 + 1 },
    { case: 'a string set: its elements', item: { s: { SS: ['ab', 'cde'] } }, bytes: 1 + 5 },
    { case: 'a number set: its elements', item: { ns: { NS: ['1', '23'] } }, bytes: 2 + 2 + 2 },
    {
      case: 'a list: 3 bytes and 1 per element',
      item: { l: { L: [{ S: 'ab' }, { N: '1' }] } },
      bytes: 1 + 3 + 3 + 3,
    },
    {
      case: 'a map: 3 bytes, 1 per element, names',
      item: { m: { M: { a: { S: 'xy' } } } },
      bytes: 1 + 3 + 1 + 3,
    },
    {
      case: 'several attributes',
      item: { pk: { S: 'k' }, count: { N: '4' } },
      bytes: 2 + 1 + 5 + 2,
    },
  ])('sizes $case as $bytes bytes', ({ item, bytes }) => {
    expect(dynamoDbItemBytes(item)).toBe(bytes);
  });
});

describe('writeUnits', () => {
  it.each([
    { sizes: [0], units: 1 },
    { sizes: [1024], units: 1 },
    { sizes: [1025], units: 2 },
    { sizes: [300, 1100], units: 2 },
    { sizes: [2049, 10], units: 3 },
  ])('charges $units units for an item of $sizes bytes before and after', ({ sizes, units }) => {
    expect(writeUnits(...sizes)).toBe(units);
  });
});

describe('itemAfterUpdate', () => {
  const context = { tableName: 'ledger', now: new Date('2026-11-23T10:42:07.123Z'), retentionDays: 30 };
  const key = 'results/2026/11/23/10/42/0123456789abcdef0123456789abcdef.json';

  it('adds a stored update to the entry: indexes and object key joined, expiry kept, time set', () => {
    // Prepare
    const before: DynamoItem = {
      pk: { S: 'request#req-A' },
      stored: { NS: ['0'] },
      expiresAt: { N: '1' },
    };

    // Act
    const after = itemAfterUpdate(before, storedUpdate('req-A', [0, 1, 2], key, context));

    // Assert
    expect(after).toStrictEqual<Record<string, AttributeValue>>({
      pk: { S: 'request#req-A' },
      stored: { NS: ['0', '1', '2'] },
      objects: { SS: [key] },
      expiresAt: { N: '1' },
      updatedAt: { S: '2026-11-23T10:42:07.123Z' },
    });
  });

  it('creates the item with its key when there was none (an upsert)', () => {
    // Act
    const after = itemAfterUpdate(undefined, storedUpdate('req-A', [3], key, context));

    // Assert
    expect(after.pk).toStrictEqual({ S: 'request#req-A' });
    expect(after.expiresAt).toStrictEqual({
      N: String(Math.floor(context.now.getTime() / 1000) + 30 * 86_400),
    });
  });

  it("writes a pane row's items under their own names (v3, t3), first arrivals kept", () => {
    // Prepare
    const analysis = DEFAULT_ANALYSES[0];
    if (analysis === undefined) throw new Error('No default analysis');
    const retention = { settleMs: 11_000, retentionDays: 30 };
    const write = (receivedAtMs: number, indexes: number[]) =>
      paneUpdates(
        'windows',
        analysis,
        {
          paneStart: 1_795_428_000,
          requestId: 'req-A',
          items: indexes.map((index) => ({ index, value: 7 })),
          receivedAtMs,
        },
        retention,
      )[0];
    const first = write(1_000, [0, 1]);
    const again = write(2_000, [1, 3]);
    if (first === undefined || again === undefined) throw new Error('No pane update');

    // Act
    const after = itemAfterUpdate(itemAfterUpdate(undefined, first), again);

    // Assert
    expect(after).toStrictEqual<Record<string, AttributeValue>>({
      pk: { S: 'pane#items-60s#1795428000' },
      sk: { S: 'req-A' },
      v0: { N: '7' },
      t0: { N: '1000' },
      v1: { N: '7' },
      t1: { N: '1000' },
      v3: { N: '7' },
      t3: { N: '2000' },
      expiresAt: first.ExpressionAttributeValues?.[':expiresAt'] as AttributeValue,
    });
  });

  it('refuses to price an update it does not model, such as a DELETE from a set', () => {
    expect(() => itemAfterUpdate(undefined, redrivenUpdate('req-A', [1], context))).toThrow(
      /not modelled: DELETE/,
    );
  });
});

describe('requestWriteUnits', () => {
  it.each<RequestStorage & { units: number; why: string }>([
    { items: 1, objects: 1, units: 2, why: 'ingest, one object: each under 1 KB' },
    { items: 4, objects: 1, units: 2, why: 'ingest, one object' },
    { items: 4, objects: 2, units: 3, why: 'ingest, two objects' },
    { items: 4, objects: 0, units: 1, why: 'ingest only: nothing stored' },
    // About 243 bytes + 71 per object: over 1 KB from the 12th object on, so 12 updates cost 2.
    { items: 100, objects: 23, units: 1 + 11 + 12 * 2, why: 'the entry outgrows 1 KB' },
  ])('writes $units units for $items items in $objects objects ($why)', ({ items, objects, units }) => {
    expect(requestWriteUnits({ items, objects })).toBe(units);
  });
});

describe('ledgerUnitsPerItem', () => {
  it.each<{ case: string; run: LedgerRunCounts; writes: number; reads: number }>([
    {
      case: 'one-item requests',
      run: { requests: [{ items: 1, objects: 1 }], idempotencyKeys: false },
      writes: 2,
      reads: 0,
    },
    {
      case: 'one-item requests with an Idempotency-Key (its put and update)',
      run: { requests: [{ items: 1, objects: 1 }], idempotencyKeys: true },
      writes: 4,
      reads: 0,
    },
    {
      case: 'four-item requests in one and two objects',
      run: {
        requests: [
          { items: 4, objects: 1 },
          { items: 4, objects: 2 },
        ],
        idempotencyKeys: false,
      },
      writes: (2 + 3) / 8,
      reads: 0,
    },
    {
      case: 'redelivered records looked up',
      run: { requests: [{ items: 4, objects: 1 }], idempotencyKeys: false, entriesReadForRedeliveries: 2 },
      writes: 2 / 4,
      reads: 2 / 4,
    },
    { case: 'no requests', run: { requests: [], idempotencyKeys: true }, writes: 0, reads: 0 },
  ])('counts $writes write and $reads read units per item for $case', ({ run, writes, reads }) => {
    // Act
    const units = ledgerUnitsPerItem(run);

    // Assert
    expect(units.dynamoDbWriteUnits).toBeCloseTo(writes, 12);
    expect(units.dynamoDbReadUnits).toBeCloseTo(reads, 12);
  });

  it("keeps the ledger within the issue's +25% at 4 items per POST without Idempotency-Keys", () => {
    // Prepare: BENCHMARKS.md's measured $2.48 per million items, 0.23 objects per item
    const withoutLedger = 2.48;
    const objects = expectedObjectsPerRequest(4, 0.23);
    const requests = [
      { items: 4, objects: Math.floor(objects) },
      { items: 4, objects: Math.ceil(objects) },
    ];

    // Act
    const ledger = costPerMillionItems({
      ...noRequests,
      ...ledgerUnitsPerItem({ requests, idempotencyKeys: false }),
    });

    // Assert
    expect(ledger.total / withoutLedger).toBeLessThanOrEqual(0.25);
  });
});

describe('expectedObjectsPerRequest', () => {
  it.each([
    { items: 1, objectsPerItem: 0.23, objects: 1 },
    { items: 4, objectsPerItem: 0.2, objects: 1.6 },
    { items: 100, objectsPerItem: 0.23, objects: 23.77 },
    { items: 3, objectsPerItem: 1, objects: 3 },
    { items: 3, objectsPerItem: 2, objects: 3 },
  ])('expects $objects objects for $items contiguous items at $objectsPerItem objects per item', (row) => {
    expect(expectedObjectsPerRequest(row.items, row.objectsPerItem)).toBeCloseTo(row.objects, 9);
  });
});
