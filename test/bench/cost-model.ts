/**
 * The cost of storing items, from requests counted per item and documented prices. Pure: the
 * benchmark feeds it what it counted, the tests feed it tables.
 */

/** us-east-1 list prices as of 2026-11 (from third-party copies of the AWS price pages). */
export const US_EAST_1_PRICES = {
  checked: '2026-11',
  source: 'AWS list prices, us-east-1, 2026-11 (third-party copies of the AWS price pages)',
  apiGatewayRestPerMillionRequests: 3.5,
  lambdaPerMillionRequests: 0.2,
  lambdaArmPerGbSecond: 0.0000133334,
  sqsFifoPerMillionRequests: 0.5,
  s3PutPerThousand: 0.005,
} as const;

export type Prices = Omit<typeof US_EAST_1_PRICES, 'checked' | 'source'>;

/** What one stored item costs in requests and compute, as counted in a run. */
export interface UsagePerItem {
  readonly apiRequests: number;
  readonly lambdaInvocations: number;
  readonly lambdaGbSeconds: number;
  readonly sqsRequests: number;
  readonly s3Puts: number;
}

export interface CostPerMillionItems {
  readonly apiGateway: number;
  readonly lambda: number;
  readonly sqs: number;
  readonly s3: number;
  readonly total: number;
}

export function costPerMillionItems(
  usage: UsagePerItem,
  prices: Prices = US_EAST_1_PRICES,
): CostPerMillionItems {
  const million = 1_000_000;
  const apiGateway = usage.apiRequests * prices.apiGatewayRestPerMillionRequests;
  const lambda =
    usage.lambdaInvocations * prices.lambdaPerMillionRequests +
    usage.lambdaGbSeconds * million * prices.lambdaArmPerGbSecond;
  const sqs = usage.sqsRequests * prices.sqsFifoPerMillionRequests;
  const s3 = usage.s3Puts * million * (prices.s3PutPerThousand / 1000);
  return { apiGateway, lambda, sqs, s3, total: apiGateway + lambda + sqs + s3 };
}

/** SQS takes at most 10 entries per SendMessageBatch; the ingest function sends chunks of 10. */
export const sendBatchesFor = (itemsPerRequest: readonly number[]): number =>
  itemsPerRequest.reduce((sum, items) => sum + Math.ceil(items / 10), 0);

/**
 * SQS requests the event source mapping makes per invocation: one ReceiveMessage that returned the
 * batch and one DeleteMessageBatch for the records that succeeded. Empty long polls come on top on
 * AWS; they depend on idle time, not on items, so they are left out of a per-item figure.
 */
export const SQS_REQUESTS_PER_BATCH_INVOCATION = 2;

export interface RunCounts {
  readonly items: number;
  /** Items of each accepted POST. */
  readonly requestSizes: readonly number[];
  readonly ingest: FunctionCounts;
  readonly batch: FunctionCounts;
  /** Objects written under results/ and failed/ holding this run's items. */
  readonly objectsWritten: number;
}

export interface FunctionCounts {
  readonly invocations: number;
  readonly billedMs: number;
  readonly memoryMb: number;
}

const gbSeconds = ({ billedMs, memoryMb }: FunctionCounts): number => (billedMs / 1000) * (memoryMb / 1024);

export function usagePerItem(run: RunCounts): UsagePerItem {
  const perItem = (value: number): number => (run.items === 0 ? 0 : value / run.items);
  return {
    apiRequests: perItem(run.requestSizes.length),
    lambdaInvocations: perItem(run.ingest.invocations + run.batch.invocations),
    lambdaGbSeconds: perItem(gbSeconds(run.ingest) + gbSeconds(run.batch)),
    sqsRequests: perItem(
      sendBatchesFor(run.requestSizes) + SQS_REQUESTS_PER_BATCH_INVOCATION * run.batch.invocations,
    ),
    s3Puts: perItem(run.objectsWritten),
  };
}
