import { describe, expect, it } from 'vitest';
import {
  type AnalysisCostInput,
  analysisCostPerMillionItems,
  analysisUsagePerItem,
  COST_TARGETS,
  topicCostPerMillionItems,
} from '../bench/analysis-cost';
import { analysisCostAt, DEFAULT_CAPACITY_INPUT } from '../bench/capacity-model';
import { ENVELOPE_BYTES } from '../bench/cost-model';

/** Round figures: 100 items/s, a window every 10 s and a closer run every 60 s, so 1,000 items a window. */
const input = (overrides: Partial<AnalysisCostInput> = {}): AnalysisCostInput => ({
  invocationsPerItem: 0.1,
  consumerWriteUnitsPerItem: 0.3,
  consumerReadUnitsPerItem: 0,
  closerWriteUnitsPerWindow: 2,
  closerReadUnitsPerWindow: 50,
  objectsPerWindow: 1,
  itemsPerSecond: 100,
  advanceSeconds: 10,
  closerIntervalSeconds: 60,
  invocationMs: 40,
  closerInvocationMs: 600,
  memoryMb: 512,
  ...overrides,
});

describe('analysisUsagePerItem', () => {
  it("counts the queue's delivery, receive and delete, both functions, the table and the windows' PUTs", () => {
    // Act
    const usage = analysisUsagePerItem(input());

    // Assert
    expect(usage.apiRequests).toBe(0);
    expect(usage.sqsRequests).toBeCloseTo(1 + 2 * 0.1, 12);
    expect(usage.lambdaInvocations).toBeCloseTo(0.1 + 1 / 6_000, 12);
    // 0.1 x 0.04 s x 0.5 GB + 1/6,000 x 0.6 s x 0.5 GB
    expect(usage.lambdaGbSeconds).toBeCloseTo(0.002 + 0.3 / 6_000, 12);
    expect(usage.dynamoDbWriteUnits).toBeCloseTo(0.3 + 2 / 1_000, 12);
    expect(usage.dynamoDbReadUnits).toBeCloseTo(50 / 1_000, 12);
    expect(usage.s3Puts).toBeCloseTo(1 / 1_000, 12);
    expect(usage.dispatcher).toBeUndefined();
  });

  it('charges the windows to fewer items, so more per item, as the stream slows', () => {
    // Act
    const slow = analysisCostPerMillionItems(input({ itemsPerSecond: 1 }));
    const fast = analysisCostPerMillionItems(input({ itemsPerSecond: 1_000 }));

    // Assert: 100,000 windows per million items at 1 item/s, one PUT each
    expect(slow.s3).toBeCloseTo(0.5, 9);
    expect(fast.s3).toBeCloseTo(0.0005, 12);
    expect(slow.sqs).toBe(fast.sqs);
  });
});

describe('topicCostPerMillionItems', () => {
  it('bills a PublishBatch per POST of 4 and a delivery per subscription', () => {
    // Act
    const one = topicCostPerMillionItems(4, 1);
    const two = topicCostPerMillionItems(4, 2);

    // Assert: $0.30 x 0.25 publishes per item, $0.017 per GB published; each subscription $0.01 and $0.001 per GB
    const gbPerMillion = (ENVELOPE_BYTES * 1e6) / 1024 ** 3;
    expect(one).toBeCloseTo(0.075 + 0.017 * gbPerMillion + 0.01 + 0.001 * gbPerMillion, 12);
    expect(two - one).toBeCloseTo(0.01 + 0.001 * gbPerMillion, 12);
  });
});

describe("the issue's targets at 4 items per POST", () => {
  it('the topic, with the item queue and the default analysis subscribed, stays within $0.10 per million items', () => {
    const subscriptions = 1 + DEFAULT_CAPACITY_INPUT.analyses;
    expect(topicCostPerMillionItems(COST_TARGETS.itemsPerPost, subscriptions)).toBeLessThanOrEqual(
      COST_TARGETS.topicPerMillionItems,
    );
  });

  it('one analysis, as measured in process, stays within $1.00 per million items at the default throttle', () => {
    const rate = DEFAULT_CAPACITY_INPUT.throttleRateLimit * COST_TARGETS.itemsPerPost;
    expect(analysisCostAt(DEFAULT_CAPACITY_INPUT, rate).total).toBeLessThanOrEqual(
      COST_TARGETS.analysisPerMillionItems,
    );
  });
});
