import { type Env, formatIntegers, readNumber, readNumbers } from '../domain/environment';
import { PipelineError } from '../domain/errors';
import { SETTINGS } from '../domain/settings';

/**
 * Fault injection, for demos and chaos runs only (the contract's Batch writer and analyses): writes
 * that fail on purpose, and invocations that crash after their writes. A consumer's handler wraps its
 * store (the batch writer's results, an analysis's windows) so that writes fail as drawn, and calls
 * `crashAfterWrites`; with every switch off both do nothing, and the rules know nothing of either.
 *
 * The three variables are required like every other one: the stack always sets them (0, "" and 0
 * when off), and a chaos run whose switches had silently fallen back to "off" would audit clean
 * for faults that never happened.
 */

export const FAULT_ENV = {
  faultRate: 'FAULT_RATE',
  faultItems: 'FAULT_ITEMS',
  crashRate: 'CRASH_RATE',
} as const;

export interface FaultSettings {
  /** Share of writes that fail: one random draw per attempted write. */
  readonly faultRate: number;
  /** Items whose writes always fail, without a draw. */
  readonly faultItems: readonly number[];
  /** Share of invocations that fail after their writes: one random draw per invocation. */
  readonly crashRate: number;
}

/** A write failed on purpose (FAULT_RATE or FAULT_ITEMS). */
export class InjectedFaultError extends PipelineError {
  readonly code = 'INJECTED_FAULT';
}

/** An invocation failed on purpose after its writes (CRASH_RATE): SQS redelivers the whole batch. */
export class InjectedCrashError extends PipelineError {
  readonly code = 'INJECTED_CRASH';
}

export const faultEnvironment = (faults: FaultSettings): Record<string, string> => ({
  [FAULT_ENV.faultRate]: String(faults.faultRate),
  [FAULT_ENV.faultItems]: formatIntegers(faults.faultItems),
  [FAULT_ENV.crashRate]: String(faults.crashRate),
});

export function readFaultSettings(env: Env): FaultSettings {
  return {
    faultRate: readNumber(env, FAULT_ENV.faultRate, SETTINGS.faultRate.check),
    faultItems: readNumbers(env, FAULT_ENV.faultItems, SETTINGS.faultItems.check),
    crashRate: readNumber(env, FAULT_ENV.crashRate, SETTINGS.crashRate.check),
  };
}

/** Throws an InjectedFaultError when an item is in FAULT_ITEMS, or FAULT_RATE draws it. */
export function failIfDrawn(items: readonly number[], faults: FaultSettings, random: () => number): void {
  const targeted = items.find((item) => faults.faultItems.includes(item));
  if (targeted !== undefined) throw new InjectedFaultError(`FAULT_ITEMS: item ${targeted} always fails`);
  if (faults.faultRate > 0 && random() < faults.faultRate) {
    throw new InjectedFaultError(`FAULT_RATE ${faults.faultRate}: simulated storage failure`);
  }
}

/** Fails the invocation, as a crash after its writes would, when CRASH_RATE draws it. */
export function crashAfterWrites(faults: FaultSettings, random: () => number, records: number): void {
  if (faults.crashRate > 0 && random() < faults.crashRate) {
    throw new InjectedCrashError(`CRASH_RATE ${faults.crashRate}: simulated crash after ${records} records`);
  }
}
