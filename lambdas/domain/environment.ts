import { type Analysis, checkAnalyses, formatAnalysis, parseAnalysis } from './analyses';
import type { Check } from './checks';
import { ConfigError } from './errors';
import { DERIVED_LIMITS, type ExclusionPair, type Ordering, SETTINGS } from './settings';

/**
 * The functions' environment: the constructs write it with `ingestEnvironment`, `batchEnvironment` and
 * `statusEnvironment`,
 * and the functions read it back once, at cold start. Every variable is required: the stack always
 * sets them all, so a missing one means a function that does not match its stack, and it fails with
 * the variable's name instead of running on a default nobody chose. Ranges are those of settings.ts.
 */

export const ENV = {
  topicArn: 'TOPIC_ARN',
  ordering: 'ORDERING',
  maxItemsPerRequest: 'MAX_ITEMS_PER_REQUEST',
  maxBodyBytes: 'MAX_BODY_BYTES',
  bucketName: 'BUCKET_NAME',
  batchSize: 'BATCH_SIZE',
  exclusionPairs: 'EXCLUSION_PAIRS',
  writeAttempts: 'WRITE_ATTEMPTS',
  deadLetterQueueUrl: 'DEAD_LETTER_QUEUE_URL',
  ledgerTableName: 'LEDGER_TABLE_NAME',
  ledgerRetentionDays: 'LEDGER_RETENTION_DAYS',
  idempotencyWindowHours: 'IDEMPOTENCY_WINDOW_HOURS',
  staleAfterSeconds: 'STALE_AFTER_SECONDS',
  windowsTableName: 'WINDOWS_TABLE_NAME',
  windowRetentionDays: 'WINDOW_RETENTION_DAYS',
  analysisFunctionTimeoutSeconds: 'ANALYSIS_FUNCTION_TIMEOUT_SECONDS',
  analysis: 'ANALYSIS',
  analyses: 'ANALYSES',
} as const;

export type Env = Readonly<Record<string, string | undefined>>;

/** Pairs travel as `1:2,3:4` in the environment. */
const formatExclusionPairs = (pairs: readonly ExclusionPair[]): string =>
  pairs.map(([a, b]) => `${a}:${b}`).join(',');

export const formatIntegers = (values: readonly number[]): string => values.join(',');

/** The variable's value, which must be set; `allowEmpty` for lists, where "" is the empty list. */
function required(env: Env, name: string, { allowEmpty = false } = {}): string {
  const value = env[name]?.trim();
  if (value === undefined || (value === '' && !allowEmpty)) throw new ConfigError(`${name} must be set`);
  return value;
}

/** A number, or the text itself when it is not one, so that the error quotes what was set. */
const toNumber = (text: string): number | string => (/^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text);

/** Splits a comma-separated list; "" is the empty list. */
function listOf<T>(env: Env, name: string, parse: (text: string) => T): T[] {
  const text = required(env, name, { allowEmpty: true });
  return text === '' ? [] : text.split(',').map(parse);
}

/** Reads a required number and checks it against its range in settings.ts. */
export const readNumber = (env: Env, name: string, check: Check<number>): number =>
  check(name, toNumber(required(env, name)));

/** Reads a required list of numbers, e.g. `3,9`; "" is the empty list. */
export const readNumbers = <T>(env: Env, name: string, check: Check<T>): T =>
  check(name, listOf(env, name, toNumber));

const readExclusionPairs = (env: Env, name: string): readonly ExclusionPair[] =>
  SETTINGS.exclusionPairs.check(
    name,
    listOf(env, name, (pair) => pair.split(':').map(toNumber)),
  );

/**
 * The request ledger, for the functions that write entries (ingest and the batch writer); read apart
 * from their other settings, which the tools also read from a deployed function.
 */
export interface LedgerSettings {
  readonly ledgerTableName: string;
  /** Days an entry is kept after it was first written. */
  readonly ledgerRetentionDays: number;
}

export const ledgerEnvironment = (settings: LedgerSettings): Record<string, string> => ({
  [ENV.ledgerTableName]: settings.ledgerTableName,
  [ENV.ledgerRetentionDays]: String(settings.ledgerRetentionDays),
});

export const readLedgerSettings = (env: Env): LedgerSettings => ({
  ledgerTableName: required(env, ENV.ledgerTableName),
  ledgerRetentionDays: readNumber(env, ENV.ledgerRetentionDays, SETTINGS.ledgerRetentionDays.check),
});

export interface IngestSettings {
  /** The dispatcher (SNS FIFO topic) every accepted item is published to. */
  readonly topicArn: string;
  readonly ordering: Ordering;
  readonly maxItemsPerRequest: number;
  readonly maxBodyBytes: number;
  /** Hours in which a repeat of an Idempotency-Key gets the first request's answer. */
  readonly idempotencyWindowHours: number;
}

export const ingestEnvironment = (settings: IngestSettings): Record<string, string> => ({
  [ENV.topicArn]: settings.topicArn,
  [ENV.ordering]: settings.ordering,
  [ENV.maxItemsPerRequest]: String(settings.maxItemsPerRequest),
  [ENV.maxBodyBytes]: String(settings.maxBodyBytes),
  [ENV.idempotencyWindowHours]: String(settings.idempotencyWindowHours),
});

export function readIngestSettings(env: Env): IngestSettings {
  return {
    topicArn: required(env, ENV.topicArn),
    ordering: SETTINGS.ordering.check(ENV.ordering, required(env, ENV.ordering)),
    maxItemsPerRequest: readNumber(env, ENV.maxItemsPerRequest, SETTINGS.maxItemsPerRequest.check),
    maxBodyBytes: readNumber(env, ENV.maxBodyBytes, SETTINGS.maxBodyBytes.check),
    idempotencyWindowHours: readNumber(
      env,
      ENV.idempotencyWindowHours,
      SETTINGS.idempotencyWindowHours.check,
    ),
  };
}

/** A consumer's own attempts (the batch writer's, each analysis's): how many, and where what failed them all goes. */
export interface AttemptSettings {
  /** Attempts at a failing write before the function dead-letters the items itself. */
  readonly writeAttempts: number;
  /** Where the function moves what failed every attempt. */
  readonly deadLetterQueueUrl: string;
}

export const attemptEnvironment = (settings: AttemptSettings): Record<string, string> => ({
  [ENV.writeAttempts]: String(settings.writeAttempts),
  [ENV.deadLetterQueueUrl]: settings.deadLetterQueueUrl,
});

export const readAttemptSettings = (env: Env): AttemptSettings => ({
  writeAttempts: readNumber(env, ENV.writeAttempts, SETTINGS.writeAttempts.check),
  deadLetterQueueUrl: required(env, ENV.deadLetterQueueUrl),
});

/** What the batch writer's rules need (the contract's Batch writer). */
export interface BatchRules extends Pick<AttemptSettings, 'writeAttempts'> {
  readonly batchSize: number;
  readonly exclusionPairs: readonly ExclusionPair[];
}

export interface BatchSettings extends BatchRules, AttemptSettings {
  readonly bucketName: string;
}

export const batchEnvironment = (settings: BatchSettings): Record<string, string> => ({
  [ENV.bucketName]: settings.bucketName,
  [ENV.batchSize]: String(settings.batchSize),
  [ENV.exclusionPairs]: formatExclusionPairs(settings.exclusionPairs),
  ...attemptEnvironment(settings),
});

/** The bucket of the batch writer's objects and the closed windows. */
export const readBucketName = (env: Env): string => required(env, ENV.bucketName);

export function readBatchSettings(env: Env): BatchSettings {
  return {
    bucketName: readBucketName(env),
    batchSize: readNumber(env, ENV.batchSize, SETTINGS.batchSize.check),
    exclusionPairs: readExclusionPairs(env, ENV.exclusionPairs),
    ...readAttemptSettings(env),
  };
}

/** What `GET /requests/{requestId}` needs: the ledger to read, and when a quiet request is stale. */
export interface StatusSettings {
  readonly ledgerTableName: string;
  readonly staleAfterSeconds: number;
}

export const statusEnvironment = (settings: StatusSettings): Record<string, string> => ({
  [ENV.ledgerTableName]: settings.ledgerTableName,
  [ENV.staleAfterSeconds]: String(settings.staleAfterSeconds),
});

export function readStatusSettings(env: Env): StatusSettings {
  return {
    ledgerTableName: required(env, ENV.ledgerTableName),
    staleAfterSeconds: readNumber(env, ENV.staleAfterSeconds, DERIVED_LIMITS.staleAfterSeconds.check),
  };
}

/**
 * The windows table, for every function that reads or writes windows (an analysis's consumer, the
 * closer, the analyses API): its name, how long rows are kept after their window is final, and the
 * analysis functions' timeout, from which a window's final instant follows (windows.ts, settleMsFor).
 */
export interface WindowSettings {
  readonly windowsTableName: string;
  readonly windowRetentionDays: number;
  readonly analysisFunctionTimeoutSeconds: number;
}

export const windowEnvironment = (settings: WindowSettings): Record<string, string> => ({
  [ENV.windowsTableName]: settings.windowsTableName,
  [ENV.windowRetentionDays]: String(settings.windowRetentionDays),
  [ENV.analysisFunctionTimeoutSeconds]: String(settings.analysisFunctionTimeoutSeconds),
});

export const readWindowSettings = (env: Env): WindowSettings => ({
  windowsTableName: required(env, ENV.windowsTableName),
  windowRetentionDays: readNumber(env, ENV.windowRetentionDays, SETTINGS.windowRetentionDays.check),
  analysisFunctionTimeoutSeconds: readNumber(
    env,
    ENV.analysisFunctionTimeoutSeconds,
    SETTINGS.analysisFunctionTimeoutSeconds.check,
  ),
});

/** One analysis, for its consumer function. */
export const analysisEnvironment = (analysis: Analysis): Record<string, string> => ({
  [ENV.analysis]: formatAnalysis(analysis),
});

export const readAnalysis = (env: Env): Analysis => parseAnalysis(ENV.analysis, env[ENV.analysis]);

/** Every analysis, for the closer and the analyses API. */
export const analysesEnvironment = (analyses: readonly Analysis[]): Record<string, string> => ({
  [ENV.analyses]: `[${analyses.map(formatAnalysis).join(',')}]`,
});

export function readAnalyses(env: Env): Analysis[] {
  const text = required(env, ENV.analyses);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConfigError(`${ENV.analyses} must be a list of analyses as JSON (got ${text})`);
  }
  return checkAnalyses(ENV.analyses, value);
}
