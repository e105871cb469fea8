import { ConfigError } from './errors';

/**
 * The checks every setting is judged with (settings.ts, analyses.ts): each returns the value when it
 * is valid, or throws a ConfigError that names the setting and quotes the value, so a value is judged,
 * and its error worded, the same wherever it is read.
 */

/** Returns `value` when it is valid; otherwise throws a ConfigError naming `name` and the value. */
export type Check<T> = (name: string, value: unknown) => T;

/** A value as an error message quotes it: strings in quotes, everything else as JSON. */
export const describeValue = (value: unknown): string =>
  typeof value === 'string' ? `"${value}"` : JSON.stringify(value);

/** Number.isInteger and Number.isFinite as type guards: both are false for every non-number. */
const isInteger = (value: unknown): value is number => Number.isInteger(value);
const isFiniteNumber = (value: unknown): value is number => Number.isFinite(value);

export function checkInteger(name: string, value: unknown, min: number, max: number): number {
  if (!isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max} (got ${describeValue(value)})`);
  }
  return value;
}

export function checkNumber(name: string, value: unknown, min: number, max: number): number {
  if (!isFiniteNumber(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a number from ${min} to ${max} (got ${describeValue(value)})`);
  }
  return value;
}

/** A rule between two settings, e.g. the burst limit is at least the rate limit. */
export function checkAtLeast(name: string, value: number, boundName: string, bound: number): number {
  if (value < bound) {
    throw new ConfigError(`${name} must be at least ${boundName} (${bound}) (got ${describeValue(value)})`);
  }
  return value;
}

export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean')
    throw new ConfigError(`${name} must be true or false (got ${describeValue(value)})`);
  return value;
}

export function checkSafeIntegers(name: string, value: unknown): number[] {
  if (!Array.isArray(value) || !value.every((n) => Number.isSafeInteger(n))) {
    throw new ConfigError(`${name} must be a list of safe integers (got ${describeValue(value)})`);
  }
  return value;
}
