import { describe, expect, it } from 'vitest';
import {
  apiTypeCostRows,
  apiTypeCosts,
  type CapacityInput,
  capacityModel,
  capacityModelRows,
  DEFAULT_CAPACITY_INPUT,
  type LimitName,
  MEASURED_ANALYSIS_WORK,
  scalingPlan,
  steadyUsagePerItem,
} from '../bench/capacity-model';

/**
 * Round figures (maxConcurrency 2, as the stack had before the model; no analysis unless a case adds
 * one), so each expected value can be worked out by hand.
 */
const input = (overrides: Partial<CapacityInput> = {}): CapacityInput => ({
  batchInvocationMs: 60,
  mappingOverheadMs: 20,
  ingestInvocationMs: 40,
  analysisInvocationMs: 30,
  closerInvocationMs: 300,
  analyses: 0,
  analysisMaxConcurrency: 2,
  analysisWork: MEASURED_ANALYSIS_WORK,
  itemsPerPost: 4,
  apiType: 'rest',
  batchSize: 5,
  maxConcurrency: 2,
  activeMessageGroups: Number.POSITIVE_INFINITY,
  throttleRateLimit: 100,
  objectsPerItem: 0.23,
  memoryMb: 256,
  idempotencyKeys: false,
  lambdaConcurrentExecutions: 1_000,
  apiGatewayAccountRps: 10_000,
  ...overrides,
});

describe('capacityModel', () => {
  it.each<{ case: string; overrides: Partial<CapacityInput>; sustained: number; binding: LimitName }>([
    {
      case: 'the round input: 2 pollers x 5 items per 80 ms',
      overrides: {},
      sustained: 125,
      binding: 'batch consumer',
    },
    {
      case: 'one message group (global ordering) whatever maxConcurrency says',
      overrides: { maxConcurrency: 10, activeMessageGroups: 1 },
      sustained: 62.5,
      binding: 'batch consumer',
    },
    {
      case: 'a wide consumer: 100 requests/s x 4 items',
      overrides: { maxConcurrency: 1_000 },
      sustained: 400,
      binding: 'API throttle',
    },
    {
      case: 'the API opened too: 3,500 PUTs/s at 0.23 per item',
      overrides: { maxConcurrency: 1_000, throttleRateLimit: 10_000 },
      sustained: 3_500 / 0.23,
      binding: 'S3 PUTs per prefix',
    },
    {
      case: 'slow one-item POSTs: 1,000 executions / (0.4 + 0.012) s per item',
      overrides: {
        maxConcurrency: 1_000,
        throttleRateLimit: 10_000,
        itemsPerPost: 1,
        ingestInvocationMs: 400,
        objectsPerItem: 0.01,
      },
      sustained: 1_000 / 0.412,
      binding: 'Lambda concurrency',
    },
    {
      case: 'batches of one, 1 ms each: the dispatcher publishes 30,000 messages/s',
      overrides: {
        maxConcurrency: 1_000,
        throttleRateLimit: 10_000,
        itemsPerPost: 100,
        ingestInvocationMs: 1,
        batchInvocationMs: 1,
        mappingOverheadMs: 0,
        batchSize: 1,
        objectsPerItem: 0.001,
      },
      sustained: 30_000,
      binding: 'SNS FIFO publish, message-group scope',
    },
    {
      case: 'one message group: 300 messages/s, below even 2 pollers',
      overrides: {
        maxConcurrency: 1_000,
        activeMessageGroups: 1,
        batchInvocationMs: 1,
        mappingOverheadMs: 0,
      },
      sustained: 300,
      binding: 'SNS FIFO publish per message group',
    },
    {
      case: 'one analysis at 2 pollers x 10 items per 50 ms, the batch consumer wide',
      overrides: { analyses: 1, maxConcurrency: 1_000 },
      sustained: 400,
      binding: 'analysis consumer',
    },
    {
      case: 'a slow analysis: 2 pollers x 10 items per (180 + 20) ms',
      overrides: { analyses: 1, maxConcurrency: 1_000, analysisInvocationMs: 180 },
      sustained: 100,
      binding: 'analysis consumer',
    },
  ])('sustains $sustained items/s bound by $binding with $case', ({ overrides, sustained, binding }) => {
    // Act
    const model = capacityModel(input(overrides));

    // Assert
    expect(model.sustainedItemsPerSecond).toBeCloseTo(sustained, 6);
    expect(model.binding).toBe(binding);
    expect(model.limits[0]?.name).toBe(binding);
  });

  it.each<{ limit: LimitName; itemsPerSecond: number; used: number; headroom: number }>([
    { limit: 'batch consumer', itemsPerSecond: 125, used: 2, headroom: 1 },
    { limit: 'API throttle', itemsPerSecond: 400, used: 31.25, headroom: 3.2 },
    { limit: 'API Gateway account', itemsPerSecond: 40_000, used: 31.25, headroom: 320 },
    // (40 ms / 4 + 60 ms / 5) per item: 0.022 s, so 125 items/s keep 2.75 executions busy.
    { limit: 'Lambda concurrency', itemsPerSecond: 1_000 / 0.022, used: 2.75, headroom: 1_000 / 2.75 },
    { limit: 'SQS SendMessage (SNS deliveries)', itemsPerSecond: 70_000, used: 125, headroom: 560 },
    { limit: 'SNS FIFO publish, message-group scope', itemsPerSecond: 30_000, used: 125, headroom: 240 },
    { limit: 'SQS ReceiveMessage, DeleteMessageBatch', itemsPerSecond: 350_000, used: 25, headroom: 2_800 },
    { limit: 'S3 PUTs per prefix', itemsPerSecond: 3_500 / 0.23, used: 28.75, headroom: 3_500 / 28.75 },
  ])(
    'gives $limit $itemsPerSecond items/s, $used used with the round input',
    ({ limit, itemsPerSecond, used, headroom }) => {
      // Act
      const found = capacityModel(input()).limits.find((candidate) => candidate.name === limit);

      // Assert
      expect(found?.itemsPerSecond).toBeCloseTo(itemsPerSecond, 6);
      expect(found?.used).toBeCloseTo(used, 6);
      expect(found?.headroom).toBeCloseTo(headroom, 6);
    },
  );

  it('lists the limits lowest capacity first: the order they bind in as load grows', () => {
    // Act
    const capacities = capacityModel(input()).limits.map((limit) => limit.itemsPerSecond);

    // Assert
    expect(capacities).toStrictEqual([...capacities].sort((a, b) => a - b));
  });

  it('prices the steady state with the ledger: more per item with Idempotency-Keys', () => {
    // Act
    const plain = capacityModel(input()).costPerMillionItems;
    const keyed = capacityModel(input({ idempotencyKeys: true })).costPerMillionItems;

    // Assert: two more write units per POST of 4 items, $0.625 per million units
    expect(keyed.dynamoDb - plain.dynamoDb).toBeCloseTo(0.5 * 0.625, 9);
    expect(plain.total).toBeGreaterThan(plain.dynamoDb);
  });
});

describe('steadyUsagePerItem', () => {
  // BENCHMARKS.md's counts per item, end to end with batches of 5: SNS's delivery plus a receive and a
  // delete per batch on the item queue; a PublishBatch per 10 items of a POST.
  it.each([
    { itemsPerPost: 1, api: 1, invocations: 1.2, publishes: 1 },
    { itemsPerPost: 4, api: 0.25, invocations: 0.45, publishes: 0.25 },
    { itemsPerPost: 100, api: 0.01, invocations: 0.21, publishes: 0.1 },
  ])(
    'counts what the bench measured at $itemsPerPost items per POST',
    ({ itemsPerPost, api, invocations, publishes }) => {
      // Act
      const usage = steadyUsagePerItem(input({ itemsPerPost }));

      // Assert
      expect(usage.apiRequests).toBeCloseTo(api, 9);
      expect(usage.lambdaInvocations).toBeCloseTo(invocations, 9);
      expect(usage.sqsRequests).toBeCloseTo(1.4, 9);
      expect(usage.s3Puts).toBe(0.23);
      expect(usage.dispatcher?.publishRequests).toBeCloseTo(publishes, 9);
    },
  );

  it.each([
    { analyses: 0, deliveries: 1 },
    { analyses: 3, deliveries: 4 },
  ])(
    'delivers each item to the item queue and $analyses analyses: $deliveries',
    ({ analyses, deliveries }) => {
      expect(steadyUsagePerItem(input({ analyses })).dispatcher?.deliveries).toBe(deliveries);
    },
  );
});

describe('apiTypeCosts', () => {
  it('prices a REST row and an HTTP API row at 1, 4 and 100 items per POST', () => {
    // Act
    const rows = apiTypeCosts(DEFAULT_CAPACITY_INPUT);

    // Assert
    expect(rows.map(({ itemsPerPost, apiType }) => `${itemsPerPost} ${apiType}`)).toStrictEqual([
      '1 rest',
      '1 http',
      '4 rest',
      '4 http',
      '100 rest',
      '100 http',
    ]);
  });

  it.each([1, 4, 100])(
    'differs between the API types at %i items per POST by the price of the POSTs only: $3.50 against $1.00 per million',
    (itemsPerPost) => {
      // Act
      const [rest, http] = apiTypeCosts(input()).filter((row) => row.itemsPerPost === itemsPerPost);

      // Assert
      expect(rest?.cost.apiGateway).toBeCloseTo(3.5 / itemsPerPost, 9);
      expect(http?.cost.apiGateway).toBeCloseTo(1 / itemsPerPost, 9);
      expect({ ...http?.cost, apiGateway: 0, total: 0 }).toStrictEqual({
        ...rest?.cost,
        apiGateway: 0,
        total: 0,
      });
      expect(rest?.ofRest).toBe(1);
    },
  );

  it('puts the HTTP API at 1 item per POST at 0.659x the REST API: $2.50 less of $7.34 per million items', () => {
    // Act
    const [rest, http] = apiTypeCosts(DEFAULT_CAPACITY_INPUT).filter((row) => row.itemsPerPost === 1);

    // Assert: API Gateway was $3.50 of $6.94 before the dispatcher (0.640x then); SNS and SQS add $0.39
    expect(rest?.cost.total).toBeCloseTo(7.335, 3);
    expect(http?.cost.total).toBeCloseTo(4.835, 3);
    expect(http?.ofRest).toBeCloseTo(0.659, 3);
  });

  it("prints them as rows of the bench's five columns, the HTTP API's beside the REST API's", () => {
    // Act
    const rows = apiTypeCostRows(DEFAULT_CAPACITY_INPUT);

    // Assert
    expect(rows.every((row) => row.length === 5)).toBe(true);
    expect(rows[0]?.slice(1, 4)).toStrictEqual([
      'cost per 1M items, 1 item/POST, REST API',
      'storage path and the dispatcher, 2 subscriptions',
      '$7.34',
    ]);
    expect(rows[1]?.[1]).toBe('cost per 1M items, 1 item/POST, HTTP API');
    expect(rows[1]?.[4]).toMatch(/^\$4\.84 = API \$1\.00 \+ .*; 0\.659x the REST API's$/);
  });
});

describe('scalingPlan', () => {
  it.each<{
    case: string;
    overrides: Partial<CapacityInput>;
    factor: number;
    steps: [string, number, number][];
    groups: number;
  }>([
    {
      case: '10x the round input: the consumer, then the API throttle',
      overrides: {},
      factor: 10,
      steps: [
        ['maxConcurrency', 2, 20],
        ['throttleRateLimit', 100, 313],
      ],
      groups: 20,
    },
    {
      case: '100x the round input: still under the Lambda and S3 quotas',
      overrides: {},
      factor: 100,
      steps: [
        ['maxConcurrency', 2, 200],
        ['throttleRateLimit', 100, 3_125],
      ],
      groups: 200,
    },
    {
      case: '100x with a 400 ms ingest: (0.1 + 0.012) s per item x 12,500 items/s executions',
      overrides: { ingestInvocationMs: 400 },
      factor: 100,
      steps: [
        ['maxConcurrency', 2, 200],
        ['throttleRateLimit', 100, 3_125],
        ['lambdaConcurrentExecutions', 1_000, 1_400],
      ],
      groups: 200,
    },
    {
      case: '200x the round input: one minute prefix takes no more PUTs',
      overrides: {},
      factor: 200,
      steps: [
        ['maxConcurrency', 2, 400],
        ['throttleRateLimit', 100, 6_250],
        ['S3 PUTs per prefix', 3_500, 5_750],
      ],
      groups: 400,
    },
  ])('raises, in order, for $case', ({ overrides, factor, steps, groups }) => {
    // Act
    const plan = scalingPlan(input(overrides), factor);

    // Assert
    expect(plan.steps.map((step) => [step.field ?? step.limit, step.from, step.to])).toStrictEqual(steps);
    expect(plan.activeMessageGroupsNeeded).toBe(groups);
  });

  it('reaches the target once its settings and quotas are raised', () => {
    // Act
    const plan = scalingPlan(input(), 100);

    // Assert
    expect(plan.targetItemsPerSecond).toBeCloseTo(12_500, 6);
    expect(plan.after.sustainedItemsPerSecond).toBeGreaterThanOrEqual(plan.targetItemsPerSecond - 1e-6);
  });

  it.each([
    {
      case: 'a throttle above the burst limit can follow',
      overrides: {},
      factor: 200,
      field: 'throttleRateLimit',
      caveat: /throttleBurstLimit must be at least the rate and is at most 5,000/,
    },
    {
      case: 'more pollers than message groups',
      overrides: { activeMessageGroups: 8 },
      factor: 10,
      field: 'maxConcurrency',
      caveat: /at least 20 active message groups \(now 8\)/,
    },
  ])('says what else a step needs: $case', ({ overrides, factor, field, caveat }) => {
    // Act
    const step = scalingPlan(input(overrides), factor).steps.find((candidate) => candidate.field === field);

    // Assert
    expect(step?.caveat).toMatch(caveat);
  });
});

describe('capacityModelRows', () => {
  it("prints rows of the bench's five columns: binding limit, every limit, the throttle check and each factor", () => {
    // Act
    const rows = capacityModelRows(DEFAULT_CAPACITY_INPUT);

    // Assert
    expect(rows.every((row) => row.length === 5)).toBe(true);
    expect(rows.map((row) => row[1])).toStrictEqual([
      'inputs',
      'sustained',
      ...capacityModel(DEFAULT_CAPACITY_INPUT).limits.map((limit) => limit.name),
      'SNS FIFO sizes',
      'batch consumer vs API throttle',
      'analysis consumer vs API throttle',
      '10x (4,000 items/s)',
      '100x (40,000 items/s)',
    ]);
    // The defaults: 10 pollers x 5 items per (60 + 20) ms = 625 items/s; the throttle admits 100 x 4;
    // the analysis's 2 pollers x 10 items per (30 + 20) ms, exactly as much.
    expect(rows.find((row) => row[1] === 'sustained')?.[3]).toBe('400; analysis consumer');
    expect(rows.find((row) => row[1] === 'batch consumer vs API throttle')?.[3]).toBe('625 vs 400; 1.56x');
    expect(rows.find((row) => row[1] === 'analysis consumer vs API throttle')?.[3]).toBe('400 vs 400; 1.00x');
    // 4 envelopes in one PublishBatch; the item queue and the default analysis's queue.
    expect(rows.find((row) => row[1] === 'SNS FIFO sizes')?.[3]).toMatch(/^\d{3} of 262,144; 2 of 100$/);
  });
});

describe('the default maxConcurrency', () => {
  const capacities = (overrides: Partial<CapacityInput>) => {
    const { limits } = capacityModel({ ...DEFAULT_CAPACITY_INPUT, ...overrides });
    const of = (name: string) => limits.find((limit) => limit.name === name)?.itemsPerSecond ?? 0;
    return { consumer: of('batch consumer'), throttle: of('API throttle') };
  };

  it.each([
    { case: 'the assumed 60 ms batch', batchInvocationMs: 60 },
    { case: 'a batch of 105 ms (125 ms with the mapping)', batchInvocationMs: 105 },
  ])('drains what the default throttle admits at 4 items per POST with $case', ({ batchInvocationMs }) => {
    const { consumer, throttle } = capacities({ batchInvocationMs });
    expect(consumer).toBeGreaterThanOrEqual(throttle);
  });

  it('would fall behind the throttle at 2 pollers (0.31x), the reason it is not 2', () => {
    const { consumer, throttle } = capacities({ maxConcurrency: 2 });
    expect(consumer / throttle).toBeCloseTo(0.3125, 6);
  });
});

describe('the analyses in the model', () => {
  it('counts each analysis in the Lambda executions: (40 / 4 + 60 / 5 + 30 / 10) ms per item', () => {
    // Act
    const lambda = capacityModel(input({ analyses: 1 })).limits.find(
      (limit) => limit.name === 'Lambda concurrency',
    );

    // Assert
    expect(lambda?.itemsPerSecond).toBeCloseTo(1_000 / 0.025, 6);
  });

  it('raises analysisMaxConcurrency first for 10x when the analysis binds', () => {
    // Act
    const plan = scalingPlan(input({ analyses: 1, maxConcurrency: 1_000 }), 10);

    // Assert: 4,000 items/s at 10 items per 50 ms is 20 pollers
    expect(plan.steps[0]).toMatchObject({ field: 'analysisMaxConcurrency', from: 2, to: 20 });
  });

  it('prices an analysis on top of the storage path, less per item as the rate grows (windows are per second)', () => {
    // Act
    const slow = capacityModel(input({ analyses: 1, throttleRateLimit: 1 })).analysisCostPerMillionItems;
    const fast = capacityModel(input({ analyses: 1 })).analysisCostPerMillionItems;

    // Assert
    expect(slow.total).toBeGreaterThan(fast.total);
    expect(fast.sqs).toBeCloseTo(0.5 * 1.2, 9);
  });
});

describe('the default analysisMaxConcurrency', () => {
  it('drains what the default throttle admits at 4 items per POST with no headroom at the assumed 30 ms per batch', () => {
    // Act
    const { limits } = capacityModel(DEFAULT_CAPACITY_INPUT);
    const of = (name: LimitName) => limits.find((limit) => limit.name === name)?.itemsPerSecond ?? 0;

    // Assert
    expect(of('analysis consumer') / of('API throttle')).toBeCloseTo(1, 9);
  });
});
