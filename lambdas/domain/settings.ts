import { type Analysis, checkAnalyses, DEFAULT_ANALYSES } from './analyses';
import {
  type Check,
  checkBoolean,
  checkInteger,
  checkNumber,
  checkSafeIntegers,
  describeValue,
} from './checks';
import { ConfigError } from './errors';

/**
 * Every setting's default and range, in one place (the contract's Configuration). The CDK app
 * builds its defaults and checks from this table (cdk/lib/config.ts), the constructs check their
 * props with the same checks, and the functions check their environment with them at cold start,
 * so a value is judged, and its error worded, the same everywhere. No aws-cdk-lib here: the
 * function bundles import this module too.
 */

export type Ordering = 'perRequest' | 'global';
/** How producers prove who they are: the usage plan's API key, or a SigV4 signature (IAM). */
export type Auth = 'apiKey' | 'iam';
/** API Gateway's REST API (usage plans, keys, WAF) or its HTTP API (a third of the request price). */
export type ApiType = 'rest' | 'http';
export type ExclusionPair = readonly [number, number];

export interface Limit<T> {
  readonly default: T;
  readonly check: Check<T>;
}

export interface IntegerLimit extends Limit<number> {
  readonly min: number;
  readonly max: number;
}

export function checkOrdering(name: string, value: unknown): Ordering {
  if (value !== 'perRequest' && value !== 'global') {
    throw new ConfigError(`${name} must be "perRequest" or "global" (got ${describeValue(value)})`);
  }
  return value;
}

/** A setting that is one of a few words; the message lists them. */
const oneOf =
  <T extends string>(...choices: readonly T[]): Check<T> =>
  (name, value) => {
    if (!choices.includes(value as T)) {
      throw new ConfigError(
        `${name} must be ${choices.map((choice) => `"${choice}"`).join(' or ')} (got ${describeValue(value)})`,
      );
    }
    return value as T;
  };

export const checkAuth: Check<Auth> = oneOf('apiKey', 'iam');
export const checkApiType: Check<ApiType> = oneOf('rest', 'http');

export function checkExclusionPairs(name: string, value: unknown): ExclusionPair[] {
  const isPair = (pair: unknown): pair is ExclusionPair =>
    Array.isArray(pair) &&
    pair.length === 2 &&
    pair.every((n) => Number.isSafeInteger(n)) &&
    pair[0] !== pair[1];
  if (!Array.isArray(value) || !value.every(isPair)) {
    throw new ConfigError(
      `${name} must be a list of pairs of two different safe integers, e.g. [[1,2]] (got ${describeValue(value)})`,
    );
  }
  return value;
}

/** The retention periods CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

function checkLogRetention(name: string, value: unknown): number {
  if (!LOG_RETENTION_DAYS.includes(value as (typeof LOG_RETENTION_DAYS)[number])) {
    throw new ConfigError(
      `${name} must be one of ${LOG_RETENTION_DAYS.join(', ')} (got ${describeValue(value)})`,
    );
  }
  return value as number;
}

function checkTopicArn(name: string, value: unknown): string {
  if (
    typeof value !== 'string' ||
    (value !== '' && !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$/.test(value))
  ) {
    throw new ConfigError(`${name} must be an SNS topic ARN or "" (got ${describeValue(value)})`);
  }
  return value;
}

type Range = { readonly min: number; readonly max: number };

const range = ({ min, max }: Range): Omit<IntegerLimit, 'default'> => ({
  min,
  max,
  check: (name, value) => checkInteger(name, value, min, max),
});

const integer = ({ default: fallback, ...bounds }: Range & { readonly default: number }): IntegerLimit => ({
  default: fallback,
  ...range(bounds),
});

const setting = <T>(fallback: T, check: Check<T>): Limit<T> => ({ default: fallback, check });

/** A share of attempts, from 0 to 1. */
const share = (fallback: number): Limit<number> =>
  setting(fallback, (name, value) => checkNumber(name, value, 0, 1));

/** The longest SQS keeps a message, on any queue. */
export const SQS_MAX_RETENTION_DAYS = 14;
/** AWS recommends a queue visibility timeout of at least 6 times the timeout of its consumer function. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;
const BATCH_FUNCTION_TIMEOUT_SECONDS = 30;
/** Lambda's own limit on a function's timeout. */
const LAMBDA_TIMEOUT_SECONDS: Range = { min: 1, max: 900 };

/** The pipeline's settings (the `pipeline` context): each one's default and range. */
export const SETTINGS = {
  // The storage rule (the contract's Batch writer)
  /** Records per batch-function invocation, and the most items one results object holds (SQS FIFO: 10). */
  batchSize: integer({ default: 5, min: 1, max: 10 }),
  /** Items that may never share a results object. */
  exclusionPairs: setting<readonly ExclusionPair[]>([[1, 2]], checkExclusionPairs),
  /**
   * Upper bound on concurrent batch-function instances (the consumer is bounded on purpose; SQS: 2-1000).
   * 10 drains what the default throttle admits at 4 items per POST (400 items/s) for batches of up to
   * 125 ms (test/bench/capacity-model.ts, docs/BENCHMARKS.md), while bounding S3 and ledger writes.
   */
  maxConcurrency: integer({ default: 10, min: 2, max: 1000 }),

  // Retries and the dead-letter queue (applied in cdk/lib/constructs/item-queues.ts)
  /**
   * SQS's backstop: receives before SQS itself moves a message to the dead-letter queue. Throttled
   * batches and timeouts spend receives the function never sees, so AWS advises at least 5 for Lambda
   * consumers; the function's own attempts are `writeAttempts`.
   */
  maxReceiveCount: integer({ default: 5, min: 5, max: 1000 }),
  /**
   * Attempts the batch function makes at a failing results write within one invocation (the original
   * system's 3 retries of a save); after the last, it writes the failure record, marks the items failed
   * in the ledger and moves them to the dead-letter queue itself. Each analysis's consumer makes as many
   * at a failing pane write, then moves the items to its own dead-letter queue.
   */
  writeAttempts: integer({ default: 3, min: 1, max: 10 }),
  /** The batch function's timeout (Lambda: at most 900 s). */
  batchFunctionTimeoutSeconds: integer({
    default: BATCH_FUNCTION_TIMEOUT_SECONDS,
    ...LAMBDA_TIMEOUT_SECONDS,
  }),
  /**
   * How long a received message stays hidden before SQS redelivers it: at least 6 x the batch function's
   * timeout, and by default exactly that (it follows a changed timeout). SQS allows at most 12 hours.
   */
  visibilityTimeoutSeconds: integer({
    default: VISIBILITY_TIMEOUT_FACTOR * BATCH_FUNCTION_TIMEOUT_SECONDS,
    min: VISIBILITY_TIMEOUT_FACTOR,
    max: 43_200,
  }),
  /** How long the dead-letter queue keeps messages for `npm run redrive` (SQS allows at most 14 days). */
  deadLetterRetentionDays: integer({ default: SQS_MAX_RETENTION_DAYS, min: 1, max: SQS_MAX_RETENTION_DAYS }),

  // The HTTP API
  /** `perRequest`: one message group per request; `global`: one strictly ordered stream. */
  ordering: setting<Ordering>('perRequest', checkOrdering),
  /** Items per POST; more answer 413 TOO_MANY_ITEMS. */
  maxItemsPerRequest: integer({ default: 500, min: 1, max: 500 }),
  /** Body bytes per POST; more answer 413 PAYLOAD_TOO_LARGE. */
  maxBodyBytes: integer({ default: 64 * 1024, min: 2, max: 1024 * 1024 }),
  /**
   * `apiKey`: the usage plan's key in `x-api-key` (when `apiKeyRequired`); `iam`: every route requires a
   * SigV4 signature (AWS_IAM), and the stack's producer policy grants exactly its routes.
   */
  auth: setting<Auth>('apiKey', checkAuth),
  /** `rest`: REST API with usage plans and per-key quotas; `http`: HTTP API, no keys, cheaper requests. */
  apiType: setting<ApiType>('rest', checkApiType),
  /** Require `x-api-key` on every route (with `auth` apiKey). */
  apiKeyRequired: setting(true, checkBoolean),
  /**
   * Include the account stack that sets API Gateway's CloudWatch Logs role (one per account and Region,
   * which access logs need on a fresh account) where none is set; false leaves it out of the app.
   */
  apiGatewayCloudWatchRole: setting(true, checkBoolean),
  /** Usage plan and stage throttle, requests per second. */
  throttleRateLimit: integer({ default: 100, min: 1, max: 10_000 }),
  /** Usage plan and stage burst; at least the rate limit. */
  throttleBurstLimit: integer({ default: 200, min: 1, max: 5_000 }),
  /** Requests per API key per day. */
  dailyQuota: integer({ default: 1_000_000, min: 1, max: 2_000_000_000 }),

  // Storage and operations
  /** Days before results and failure records expire; 0 keeps them forever. */
  retentionDays: integer({ default: 0, min: 0, max: 36_500 }),
  /** Function and access log retention, one of LOG_RETENTION_DAYS. */
  logRetentionDays: setting(30, checkLogRetention),
  /** Alarm when the oldest queued message is older than this (SQS metrics are per minute: at least 60). */
  oldestMessageAlarmSeconds: integer({ default: 300, min: 60, max: 1_209_600 }),
  /** SNS topic that receives alarm notifications; "" for none. */
  alarmTopicArn: setting('', checkTopicArn),

  // The request ledger (cdk/lib/constructs/request-ledger.ts)
  /** Days a request's ledger entry is kept (its status URL answers until then); at least the idempotency window. */
  ledgerRetentionDays: integer({ default: 30, min: 1, max: 3_650 }),
  /** Hours in which a repeat of an Idempotency-Key gets the first request's answer (SQS alone: 5 minutes). */
  idempotencyWindowHours: integer({ default: 24, min: 1, max: 720 }),

  // The analyses the dispatcher feeds (lambdas/domain/analyses.ts, cdk/lib/constructs/analysis.ts)
  /** Sliding-window analyses of the item stream, each with its own queue and function; one by default. */
  analyses: setting<readonly Analysis[]>(DEFAULT_ANALYSES, checkAnalyses),
  /** Upper bound on concurrent functions of each analysis (its queue's event source mapping; SQS: 2-1000). */
  analysisMaxConcurrency: integer({ default: 2, min: 2, max: 1000 }),
  /**
   * An analysis function's timeout. Its queue's visibility timeout is 6 times this, and a window is
   * final this long plus a second after its end plus its lateness (no on-time write can land later).
   */
  analysisFunctionTimeoutSeconds: integer({ default: 10, ...LAMBDA_TIMEOUT_SECONDS }),
  /** Days the windows table keeps a row after its window became final (final windows stay in S3). */
  windowRetentionDays: integer({ default: 30, min: 1, max: 3_650 }),

  // Fault injection, for demos and chaos runs only (lambdas/batch/fault-injection.ts)
  /** Share of results writes that fail on purpose. */
  faultRate: share(0),
  /** Items whose results writes always fail (dead-letter tests). */
  faultItems: setting<readonly number[]>([], checkSafeIntegers),
  /** Share of batch invocations that fail after their writes, before returning. */
  crashRate: share(0),
  /** Share of an analysis's pane writes that fail on purpose (chaos runs of the analyses). */
  analysisFaultRate: share(0),
  /** Items whose pane writes always fail, in every analysis (dead-letter tests of the analyses). */
  analysisFaultItems: setting<readonly number[]>([], checkSafeIntegers),
  /** Share of an analysis's invocations that fail after their writes (chaos runs of the analyses). */
  analysisCrashRate: share(0),
} as const;

/** Values the stack derives from settings, checked like them where a construct or function reads them. */
export const DERIVED_LIMITS = {
  /**
   * A request with pending items and nothing recorded for this long is reported stale: (maxReceiveCount
   * + 1) x the visibility timeout, the time its items take to be stored or dead-lettered at most.
   */
  staleAfterSeconds: range({
    min: 2 * VISIBILITY_TIMEOUT_FACTOR,
    max: (SETTINGS.maxReceiveCount.max + 1) * SETTINGS.visibilityTimeoutSeconds.max,
  }),
} as const;

/** Limits of the functions themselves: props of the constructs, not pipeline settings. */
export const FUNCTION_LIMITS = {
  /** A function's timeout; no default, each function sets its own. */
  timeoutSeconds: range(LAMBDA_TIMEOUT_SECONDS),
  /** Memory in MB; Lambda allows 128 to 10,240. */
  memorySizeMb: integer({ default: 256, min: 128, max: 10_240 }),
} as const;
