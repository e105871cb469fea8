import { AGGREGATE_NAMES, type AggregateName, isAggregateName } from './aggregates/registry';
import { checkInteger, describeValue } from './checks';
import { ConfigError } from './errors';

/**
 * The registered analyses: sliding-window computations the dispatcher feeds every accepted item to.
 * Each window is `[k*A, k*A + W)` seconds after the Unix epoch (A = advanceSeconds, W =
 * windowSeconds), so every item is in W/A windows; lambdas/domain/windows.ts has the time math.
 * Like limits.ts, free of AWS: the CDK app checks the configuration with these rules and each
 * analysis function checks the one analysis it is given, with the same words.
 */
export interface Analysis {
  /** Names the analysis's queue, function, rows and S3 prefix `windows/<name>/`. */
  readonly name: string;
  readonly windowSeconds: number;
  /** How far each window starts after the one before; it divides windowSeconds. */
  readonly advanceSeconds: number;
  /** Without repeats; `count` is reported whether listed or not. */
  readonly aggregates: readonly AggregateName[];
  /** How long after its end a window still takes items in. */
  readonly latenessSeconds: number;
}

/** Each field's range, in one place. */
export const ANALYSIS_LIMITS = {
  /** Characters of a name, each of a-z, 0-9 and "-": it goes into resource names and S3 keys. */
  nameLength: { min: 1, max: 40 },
  /** At most an hour: a window's items are merged from its panes at every read. */
  windowSeconds: { min: 1, max: 3_600 },
  /** Besides its range, advanceSeconds divides windowSeconds, so a window is a whole number of panes. */
  advanceSeconds: { min: 1, max: 3_600 },
  latenessSeconds: { min: 0, max: 3_600 },
  /**
   * Analyses per deployment. Each one is its own queue, dead-letter queue, function and alarms, all
   * subscribed to one SNS FIFO topic, which takes at most 100 subscriptions (the storage path is one
   * of them): 20 leaves room, and keeps a deployment's alarms and dashboards readable.
   */
  analysesPerDeployment: { min: 0, max: 20 },
} as const;

/**
 * Records per invocation of an analysis's consumer: SQS FIFO's largest batch. Counting has no rule per
 * batch (unlike storage), so fewer, larger invocations cost less.
 */
export const ANALYSIS_BATCH_SIZE = 10;

/** The fields of an analysis, in the order they are written. */
export const ANALYSIS_FIELDS = [
  'name',
  'windowSeconds',
  'advanceSeconds',
  'aggregates',
  'latenessSeconds',
] as const satisfies readonly (keyof Analysis)[];

const NAME_PATTERN = new RegExp(
  `^[a-z0-9-]{${ANALYSIS_LIMITS.nameLength.min},${ANALYSIS_LIMITS.nameLength.max}}$`,
);

/** Registered by default, so a new deployment shows windows as soon as items arrive. */
export const DEFAULT_ANALYSES: readonly Analysis[] = [
  {
    name: 'items-60s',
    windowSeconds: 60,
    advanceSeconds: 10,
    aggregates: ['count', 'sum', 'min', 'max', 'mean'],
    latenessSeconds: 30,
  },
];

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const checkRange = (name: string, value: unknown, { min, max }: { min: number; max: number }): number =>
  checkInteger(name, value, min, max);

function checkName(name: string, value: unknown): string {
  if (typeof value !== 'string' || !NAME_PATTERN.test(value)) {
    const { min, max } = ANALYSIS_LIMITS.nameLength;
    throw new ConfigError(
      `${name} must be ${min} to ${max} of a-z, 0-9 and "-" (got ${describeValue(value)})`,
    );
  }
  return value;
}

function checkAggregates(name: string, value: unknown): AggregateName[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new ConfigError(
      `${name} must be a non-empty list of ${AGGREGATE_NAMES.join(', ')} (got ${describeValue(value)})`,
    );
  }
  const seen = new Set<AggregateName>();
  for (const [index, aggregate] of value.entries()) {
    if (!isAggregateName(aggregate)) {
      throw new ConfigError(
        `${name}[${index}] must be one of ${AGGREGATE_NAMES.join(', ')} (got ${describeValue(aggregate)})`,
      );
    }
    if (seen.has(aggregate)) {
      throw new ConfigError(`${name} must not repeat an aggregate (got "${aggregate}" twice)`);
    }
    seen.add(aggregate);
  }
  return [...seen];
}

/** Checks one analysis; `name` is where it was read, e.g. `pipeline.analyses[1]` or a variable. */
export function checkAnalysis(name: string, value: unknown): Analysis {
  if (!isRecord(value)) {
    throw new ConfigError(
      `${name} must be an object with the fields ${ANALYSIS_FIELDS.join(', ')} (got ${describeValue(value)})`,
    );
  }
  const unknown = Object.keys(value).filter(
    (field) => !(ANALYSIS_FIELDS as readonly string[]).includes(field),
  );
  if (unknown.length > 0) {
    throw new ConfigError(
      `Unknown field ${unknown.join(', ')} in ${name}; known fields: ${ANALYSIS_FIELDS.join(', ')}`,
    );
  }
  const analysisName = checkName(`${name}.name`, value.name);
  const windowSeconds = checkRange(
    `${name}.windowSeconds`,
    value.windowSeconds,
    ANALYSIS_LIMITS.windowSeconds,
  );
  const advanceSeconds = checkRange(
    `${name}.advanceSeconds`,
    value.advanceSeconds,
    ANALYSIS_LIMITS.advanceSeconds,
  );
  if (windowSeconds % advanceSeconds !== 0) {
    throw new ConfigError(
      `${name}.advanceSeconds must divide ${name}.windowSeconds (got ${advanceSeconds} and ${windowSeconds})`,
    );
  }
  return {
    name: analysisName,
    windowSeconds,
    advanceSeconds,
    aggregates: checkAggregates(`${name}.aggregates`, value.aggregates),
    latenessSeconds: checkRange(
      `${name}.latenessSeconds`,
      value.latenessSeconds,
      ANALYSIS_LIMITS.latenessSeconds,
    ),
  };
}

/**
 * Checks the `analyses` setting, a `Check` like those of limits.ts: returns the analyses, or throws a
 * ConfigError naming the exact setting, e.g. `pipeline.analyses[1].advanceSeconds`.
 */
export function checkAnalyses(name: string, value: unknown): Analysis[] {
  if (!Array.isArray(value)) {
    throw new ConfigError(`${name} must be a list of analyses (got ${describeValue(value)})`);
  }
  if (value.length > ANALYSIS_LIMITS.analysesPerDeployment.max) {
    throw new ConfigError(
      `${name} must hold at most ${ANALYSIS_LIMITS.analysesPerDeployment.max} analyses (got ${value.length})`,
    );
  }
  const analyses = value.map((analysis, index) => checkAnalysis(`${name}[${index}]`, analysis));
  for (const [index, analysis] of analyses.entries()) {
    const first = analyses.findIndex((other) => other.name === analysis.name);
    if (first !== index) {
      throw new ConfigError(
        `${name}[${index}].name must differ from ${name}[${first}].name (got "${analysis.name}" twice)`,
      );
    }
  }
  return analyses;
}

/** One analysis as JSON for a function's environment variable, fields in their usual order. */
export const formatAnalysis = (analysis: Analysis): string =>
  JSON.stringify(Object.fromEntries(ANALYSIS_FIELDS.map((field) => [field, analysis[field]])));

/**
 * Reads back what formatAnalysis wrote, checked again (a function must not run on an analysis its
 * stack did not check): a missing, non-JSON or invalid value fails with the variable's name.
 */
export function parseAnalysis(variableName: string, text: string | undefined): Analysis {
  const trimmed = text?.trim() ?? '';
  if (trimmed === '') throw new ConfigError(`${variableName} must be set`);
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    throw new ConfigError(`${variableName} must be an analysis as JSON (got ${trimmed})`);
  }
  return checkAnalysis(variableName, value);
}
