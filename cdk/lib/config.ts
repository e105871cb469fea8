import { ConfigError } from '../../lambdas/domain/errors';
import {
  checkExclusionPairs,
  checkInteger,
  checkNumber,
  checkOrdering,
  checkSafeIntegers,
  type ExclusionPair,
  LIMITS,
  type Ordering,
} from '../../lambdas/domain/settings';

/** Everything a deployment can change (the contract's Configuration). Read from the `pipeline` context. */
export interface PipelineConfig {
  /** Records per batch-function invocation, and the most items one results object holds. */
  readonly batchSize: number;
  /** Items that may never share a results object. */
  readonly exclusionPairs: readonly ExclusionPair[];
  /** Receives before a message moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
  readonly batchFunctionTimeoutSeconds: number;
  /** At least 6 times the batch function's timeout, as AWS recommends for SQS event sources. */
  readonly visibilityTimeoutSeconds: number;
  /** Upper bound on concurrent batch-function instances (the consumer is bounded on purpose). */
  readonly maxConcurrency: number;
  /** `perRequest`: one message group per request; `global`: one strictly ordered stream. */
  readonly ordering: Ordering;
  readonly maxItemsPerRequest: number;
  readonly maxBodyBytes: number;
  readonly apiKeyRequired: boolean;
  /**
   * Set the account's API Gateway CloudWatch Logs role (`AWS::ApiGateway::Account`, one per account and
   * Region) so the stage's access logs work on a fresh account; false when the account already has one.
   */
  readonly apiGatewayCloudWatchRole: boolean;
  readonly throttleRateLimit: number;
  readonly throttleBurstLimit: number;
  readonly dailyQuota: number;
  /** Days before results and failure records expire; 0 keeps them forever. */
  readonly retentionDays: number;
  /** How long the dead-letter queue keeps messages for redrive (SQS allows at most 14 days). */
  readonly deadLetterRetentionDays: number;
  readonly logRetentionDays: number;
  /** Alarm when the oldest queued message is older than this. */
  readonly oldestMessageAlarmSeconds: number;
  /** SNS topic that receives alarm notifications; empty for none. */
  readonly alarmTopicArn: string;
  /** Share of segment writes that fail on purpose: demos and chaos tests only. */
  readonly faultRate: number;
  /** Items whose segment writes always fail: for dead-letter tests only. */
  readonly faultItems: readonly number[];
  /** Share of batch invocations that fail after their writes, before returning: chaos tests only. */
  readonly crashRate: number;
}

export const DEFAULT_CONFIG: PipelineConfig = {
  batchSize: 5,
  exclusionPairs: [[1, 2]],
  maxReceiveCount: 3,
  batchFunctionTimeoutSeconds: 30,
  visibilityTimeoutSeconds: 180,
  maxConcurrency: 2,
  ordering: 'perRequest',
  maxItemsPerRequest: 500,
  maxBodyBytes: 64 * 1024,
  apiKeyRequired: true,
  apiGatewayCloudWatchRole: true,
  throttleRateLimit: 100,
  throttleBurstLimit: 200,
  dailyQuota: 1_000_000,
  retentionDays: 0,
  deadLetterRetentionDays: 14,
  logRetentionDays: 30,
  oldestMessageAlarmSeconds: 300,
  alarmTopicArn: '',
  faultRate: 0,
  faultItems: [],
  crashRate: 0,
};

/** The retention periods CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

type Checks = { [K in keyof PipelineConfig]: (name: string, value: unknown) => PipelineConfig[K] };

const integer = (min: number, max: number) => (name: string, value: unknown) =>
  checkInteger(name, value, min, max);

function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean')
    throw new ConfigError(`${name} must be true or false (got ${JSON.stringify(value)})`);
  return value;
}

function checkLogRetention(name: string, value: unknown): number {
  if (!LOG_RETENTION_DAYS.includes(value as (typeof LOG_RETENTION_DAYS)[number])) {
    throw new ConfigError(
      `${name} must be one of ${LOG_RETENTION_DAYS.join(', ')} (got ${JSON.stringify(value)})`,
    );
  }
  return value as number;
}

function checkTopicArn(name: string, value: unknown): string {
  if (
    typeof value !== 'string' ||
    (value !== '' && !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$/.test(value))
  ) {
    throw new ConfigError(`${name} must be an SNS topic ARN or "" (got ${JSON.stringify(value)})`);
  }
  return value;
}

const checks: Checks = {
  batchSize: integer(LIMITS.batchSize.min, LIMITS.batchSize.max),
  exclusionPairs: checkExclusionPairs,
  maxReceiveCount: integer(LIMITS.maxReceiveCount.min, LIMITS.maxReceiveCount.max),
  batchFunctionTimeoutSeconds: integer(1, 900),
  visibilityTimeoutSeconds: integer(6, 43_200),
  maxConcurrency: integer(2, 1000),
  ordering: checkOrdering,
  maxItemsPerRequest: integer(LIMITS.maxItemsPerRequest.min, LIMITS.maxItemsPerRequest.max),
  maxBodyBytes: integer(LIMITS.maxBodyBytes.min, LIMITS.maxBodyBytes.max),
  apiKeyRequired: checkBoolean,
  apiGatewayCloudWatchRole: checkBoolean,
  throttleRateLimit: integer(1, 10_000),
  throttleBurstLimit: integer(1, 5_000),
  dailyQuota: integer(1, 2_000_000_000),
  retentionDays: integer(0, 36_500),
  deadLetterRetentionDays: integer(1, 14),
  logRetentionDays: checkLogRetention,
  oldestMessageAlarmSeconds: integer(60, 1_209_600),
  alarmTopicArn: checkTopicArn,
  faultRate: (name, value) => checkNumber(name, value, 0, 1),
  faultItems: checkSafeIntegers,
  crashRate: (name, value) => checkNumber(name, value, 0, 1),
};

function parseContext(raw: unknown): Record<string, unknown> {
  const value = typeof raw === 'string' ? parseJsonContext(raw) : (raw ?? {});
  if (typeof value !== 'object' || Array.isArray(value) || value === null) {
    throw new ConfigError(`pipeline context must be an object of settings (got ${JSON.stringify(value)})`);
  }
  return value as Record<string, unknown>;
}

function parseJsonContext(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError(`pipeline context must be JSON, e.g. -c 'pipeline={"batchSize":5}' (got ${text})`);
  }
}

/**
 * Merges the `pipeline` context (an object in cdk.json, or a JSON string from `-c pipeline=...`)
 * over the defaults and validates every setting; the first bad one fails synth with its name.
 * When only the batch function's timeout is given, the visibility timeout follows it (6x).
 */
export function resolveConfig(raw: unknown): PipelineConfig {
  const overrides = parseContext(raw);
  const unknown = Object.keys(overrides).filter((key) => !Object.hasOwn(checks, key));
  if (unknown.length > 0) {
    throw new ConfigError(
      `Unknown setting ${unknown.join(', ')}; known settings: ${Object.keys(checks).join(', ')}`,
    );
  }
  const merged: Record<string, unknown> = { ...DEFAULT_CONFIG, ...overrides };
  if (overrides.visibilityTimeoutSeconds === undefined) {
    merged.visibilityTimeoutSeconds = 6 * Number(merged.batchFunctionTimeoutSeconds);
  }
  const config = Object.fromEntries(
    Object.entries(checks).map(([name, check]) => [name, check(`pipeline.${name}`, merged[name])]),
  ) as unknown as PipelineConfig;
  if (config.visibilityTimeoutSeconds < 6 * config.batchFunctionTimeoutSeconds) {
    throw new ConfigError(
      `pipeline.visibilityTimeoutSeconds must be at least 6 x pipeline.batchFunctionTimeoutSeconds ` +
        `(${6 * config.batchFunctionTimeoutSeconds}) (got ${config.visibilityTimeoutSeconds})`,
    );
  }
  if (config.throttleBurstLimit < config.throttleRateLimit) {
    throw new ConfigError(
      `pipeline.throttleBurstLimit must be at least pipeline.throttleRateLimit (${config.throttleRateLimit}) ` +
        `(got ${config.throttleBurstLimit})`,
    );
  }
  return config;
}
