import { describe, expect, it } from 'vitest';
import {
  costPerMillionItems,
  type RunCounts,
  sendBatchesFor,
  US_EAST_1_PRICES,
  usagePerItem,
} from '../bench/cost-model';

const runCounts = (overrides: Partial<RunCounts> = {}): RunCounts => ({
  items: 100,
  requestSizes: Array.from({ length: 25 }, () => 4),
  ingest: { invocations: 25, billedMs: 500, memoryMb: 256 },
  batch: { invocations: 20, billedMs: 400, memoryMb: 256 },
  objectsWritten: 20,
  ...overrides,
});

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
    });

    // Assert
    expect(cost.apiGateway).toBe(US_EAST_1_PRICES.apiGatewayRestPerMillionRequests);
    expect(cost.lambda).toBeCloseTo(0.2 + 13.3334, 6);
    expect(cost.sqs).toBe(0.5);
    expect(cost.s3).toBeCloseTo(5, 9);
    expect(cost.total).toBeCloseTo(3.5 + 0.2 + 13.3334 + 0.5 + 5, 6);
  });

  it('gives the floor for objects of five items: S3 PUTs at $1.00 per million items', () => {
    const cost = costPerMillionItems({
      apiRequests: 0,
      lambdaInvocations: 0,
      lambdaGbSeconds: 0,
      sqsRequests: 0,
      s3Puts: 0.2,
    });
    expect(cost.s3).toBeCloseTo(1, 9);
    expect(cost.total).toBeCloseTo(1, 9);
  });
});
