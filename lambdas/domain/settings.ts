import { ConfigError } from './errors';

/**
 * Settings shared by the CDK app (which validates them at synth) and the functions (which read
 * them from environment variables once, at cold start). One set of rules serves both.
 */

export type Ordering = 'perRequest' | 'global';
export type ExclusionPair = readonly [number, number];

export const ENV = {
  queueUrl: 'QUEUE_URL',
  ordering: 'ORDERING',
  maxItemsPerRequest: 'MAX_ITEMS_PER_REQUEST',
  maxBodyBytes: 'MAX_BODY_BYTES',
  bucketName: 'BUCKET_NAME',
  batchSize: 'BATCH_SIZE',
  exclusionPairs: 'EXCLUSION_PAIRS',
  maxReceiveCount: 'MAX_RECEIVE_COUNT',
  faultRate: 'FAULT_RATE',
  faultItems: 'FAULT_ITEMS',
  crashRate: 'CRASH_RATE',
} as const;

export const LIMITS = {
  batchSize: { min: 1, max: 10 },
  maxItemsPerRequest: { min: 1, max: 500 },
  maxBodyBytes: { min: 2, max: 1024 * 1024 },
  maxReceiveCount: { min: 1, max: 1000 },
} as const;

const describe = (value: unknown): string =>
  typeof value === 'string' ? `"${value}"` : JSON.stringify(value);

export function checkInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max} (got ${describe(value)})`);
  }
  return value;
}

export function checkNumber(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a number from ${min} to ${max} (got ${describe(value)})`);
  }
  return value;
}

export function checkOrdering(name: string, value: unknown): Ordering {
  if (value !== 'perRequest' && value !== 'global') {
    throw new ConfigError(`${name} must be "perRequest" or "global" (got ${describe(value)})`);
  }
  return value;
}

export function checkSafeIntegers(name: string, value: unknown): number[] {
  if (!Array.isArray(value) || !value.every((n) => Number.isSafeInteger(n))) {
    throw new ConfigError(`${name} must be a list of safe integers (got ${describe(value)})`);
  }
  return value;
}

export function checkExclusionPairs(name: string, value: unknown): ExclusionPair[] {
  const isPair = (pair: unknown): pair is ExclusionPair =>
    Array.isArray(pair) &&
    pair.length === 2 &&
    pair.every((n) => Number.isSafeInteger(n)) &&
    pair[0] !== pair[1];
  if (!Array.isArray(value) || !value.every(isPair)) {
    throw new ConfigError(
      `${name} must be a list of pairs of two different safe integers, e.g. [[1,2]] (got ${describe(value)})`,
    );
  }
  return value;
}

/** Pairs travel as `1:2,3:4` in the environment. */
export const formatExclusionPairs = (pairs: readonly ExclusionPair[]): string =>
  pairs.map(([a, b]) => `${a}:${b}`).join(',');

export const formatIntegers = (values: readonly number[]): string => values.join(',');

type Env = Readonly<Record<string, string | undefined>>;

function required(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new ConfigError(`${name} must be set`);
  }
  return value.trim();
}

const optional = (env: Env, name: string): string | undefined => {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
};

/** A number, or the text itself when it is not one, so that the error quotes what was set. */
const toNumber = (text: string): number | string => (/^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text);

function readInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const text = optional(env, name);
  return text === undefined ? fallback : checkInteger(name, toNumber(text), min, max);
}

function readIntegerList(env: Env, name: string): number[] {
  const text = optional(env, name);
  if (text === undefined) return [];
  return checkSafeIntegers(name, text.split(',').map(toNumber));
}

function readExclusionPairs(env: Env, name: string): ExclusionPair[] {
  const text = optional(env, name);
  if (text === undefined) return [[1, 2]];
  return checkExclusionPairs(
    name,
    text.split(',').map((pair) => pair.split(':').map(toNumber)),
  );
}

export interface IngestSettings {
  readonly queueUrl: string;
  readonly ordering: Ordering;
  readonly maxItemsPerRequest: number;
  readonly maxBodyBytes: number;
}

export function readIngestSettings(env: Env): IngestSettings {
  const { maxItemsPerRequest, maxBodyBytes } = LIMITS;
  return {
    queueUrl: required(env, ENV.queueUrl),
    ordering: checkOrdering(ENV.ordering, optional(env, ENV.ordering) ?? 'perRequest'),
    maxItemsPerRequest: readInteger(
      env,
      ENV.maxItemsPerRequest,
      500,
      maxItemsPerRequest.min,
      maxItemsPerRequest.max,
    ),
    maxBodyBytes: readInteger(env, ENV.maxBodyBytes, 64 * 1024, maxBodyBytes.min, maxBodyBytes.max),
  };
}

export interface BatchSettings {
  readonly bucketName: string;
  readonly batchSize: number;
  readonly exclusionPairs: readonly ExclusionPair[];
  readonly maxReceiveCount: number;
  readonly faultRate: number;
  readonly faultItems: readonly number[];
  readonly crashRate: number;
}

export function readBatchSettings(env: Env): BatchSettings {
  const { batchSize, maxReceiveCount } = LIMITS;
  const faultRate = optional(env, ENV.faultRate);
  const crashRate = optional(env, ENV.crashRate);
  return {
    bucketName: required(env, ENV.bucketName),
    batchSize: readInteger(env, ENV.batchSize, 5, batchSize.min, batchSize.max),
    exclusionPairs: readExclusionPairs(env, ENV.exclusionPairs),
    maxReceiveCount: readInteger(env, ENV.maxReceiveCount, 3, maxReceiveCount.min, maxReceiveCount.max),
    faultRate: faultRate === undefined ? 0 : checkNumber(ENV.faultRate, toNumber(faultRate), 0, 1),
    faultItems: readIntegerList(env, ENV.faultItems),
    crashRate: crashRate === undefined ? 0 : checkNumber(ENV.crashRate, toNumber(crashRate), 0, 1),
  };
}
