/**
 * The one line a reference consumer prints per invocation: how many records it took and when, by its
 * own clock (the bench runs on the same machine). Printing it is also what keeps the emulator from
 * waiting 50 ms for a silent function's first output line.
 */

export interface ReferenceInvocation {
  readonly records: number;
  /** Epoch milliseconds: for the one-PUT consumer, just before its PUT, as the batch function stamps `writtenAt`. */
  readonly at: number;
}

const TAG = 'BENCH_REFERENCE';
const LINE = new RegExp(`${TAG} (\\{.*\\})`);

export const referenceLogLine = (invocation: ReferenceInvocation): string =>
  `${TAG} ${JSON.stringify(invocation)}`;

/** The invocation a log message reports, or undefined for any other line (START, REPORT, ...). */
export function parseReferenceLogLine(message: string): ReferenceInvocation | undefined {
  const json = message.match(LINE)?.[1];
  if (json === undefined) return undefined;
  const { records, at } = JSON.parse(json) as Partial<ReferenceInvocation>;
  return Number.isSafeInteger(records) && Number.isFinite(at)
    ? { records: records as number, at: at as number }
    : undefined;
}

/** The filter pattern that finds these lines in the function's log group. */
export const REFERENCE_LOG_FILTER = TAG;
