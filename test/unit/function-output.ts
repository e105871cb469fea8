import { vi } from 'vitest';

/** What a function's invocations printed: EMF metric blobs (console.log) and log lines, in order. */
export interface Printed {
  readonly metrics: Record<string, unknown>[];
  readonly logs: Record<string, unknown>[];
}

/**
 * Catches what a function prints through Powertools in dev mode (`POWERTOOLS_DEV`, which prints to
 * the global console): metric blobs from console.log, JSON log lines from info, warn and error.
 * Powertools' own plain-text notices are left out, and so is the module's cold-start line (its
 * Node.js version), which the bundle tests check.
 */
export function capturePrinted(): Printed {
  const printed: Printed = { metrics: [], logs: [] };
  vi.spyOn(console, 'log').mockImplementation((line: unknown) => {
    printed.metrics.push(JSON.parse(String(line)));
  });
  for (const level of ['info', 'warn', 'error'] as const) {
    vi.spyOn(console, level).mockImplementation((line: unknown) => {
      if (String(line).startsWith('{') && !String(line).includes('"Cold start"'))
        printed.logs.push(JSON.parse(String(line)));
    });
  }
  return printed;
}

/** Every variable the stack sets, so nothing from the developer's shell leaks into a test. */
export function stubEnvironment(variables: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(variables)) vi.stubEnv(name, value);
}

/** Undoes capturePrinted, stubEnvironment and fake timers. */
export function restoreFunctionRuntime(): void {
  vi.restoreAllMocks();
  vi.useRealTimers();
  vi.unstubAllEnvs();
}

/**
 * A function's runtime for one test: its variables stubbed, its output caught, and the clock at
 * `nowMs` (only Date is faked, so timers and promises run normally).
 */
export function functionRuntimeAt(variables: Readonly<Record<string, string>>, nowMs: number): Printed {
  stubEnvironment(variables);
  const printed = capturePrinted();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(nowMs));
  return printed;
}
