import type { Analysis } from '../domain/analyses';
import { ApiError } from '../domain/errors';
import { HTTP_ERRORS } from '../domain/http-errors';
import {
  closedWindow,
  isFinal,
  type PaneRow,
  panesOfWindow,
  slideWindows,
  type Window,
  windowStartsIn,
} from '../domain/windows';
import type { ReaderWindows } from '../windows/window-interfaces';

/**
 * `GET /analyses` and `GET /analyses/{name}/windows?from=&to=` (the contract's analyses): the windows
 * whose start is in [from, to), oldest first, every one of them, empty ones included. Windows the
 * closer has closed come from their rows; the others are merged from their panes' rows by the same
 * rule the closer applies (first arrivals decide what is on time), so a window reads the same before
 * and after it is closed. `final` says no on-time item can still change it.
 */

/** Windows in one answer, at most. */
export const MAX_WINDOWS_PER_ANSWER = 1_000;
/** Without `from`, the range starts this long before `to` (what the dashboard plots), or at 1,000 windows. */
export const DEFAULT_RANGE_SECONDS = 1_800;

export class AnalysisNotFoundError extends ApiError {
  readonly code = 'ANALYSIS_NOT_FOUND';
  readonly status = HTTP_ERRORS.ANALYSIS_NOT_FOUND.status;
}

export class InvalidRangeError extends ApiError {
  readonly code = 'INVALID_RANGE';
  readonly status = HTTP_ERRORS.INVALID_RANGE.status;
}

export class WindowsUnavailableError extends ApiError {
  readonly code = 'WINDOWS_UNAVAILABLE';
  readonly status = HTTP_ERRORS.WINDOWS_UNAVAILABLE.status;
}

/** The body of `200` to `GET /analyses`. */
export const analysesAnswer = (analyses: readonly Analysis[]) => ({
  analyses: analyses.map(({ name, windowSeconds, advanceSeconds, aggregates, latenessSeconds }) => ({
    name,
    windowSeconds,
    advanceSeconds,
    aggregates,
    latenessSeconds,
  })),
});

export type AnsweredWindow = Window & { readonly final: boolean };

export interface WindowsAnswer {
  readonly name: string;
  readonly windows: readonly AnsweredWindow[];
}

export interface WindowsQuery {
  /** The `{name}` of the path. */
  readonly name: string | undefined;
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly now: Date;
}

/** A zone designator at the end of a time: `Z`, `+01:00` or `-0500`. */
// Stryker disable next-line Regex: Date.parse refuses an ISO time with anything after its zone designator, with or without a Z added
const ZONE_DESIGNATOR = /(?:Z|[+-]\d{2}:?\d{2})$/i;

function timeOf(parameter: 'from' | 'to', value: string): number {
  // Without a zone designator Date.parse reads the host's local time: such a time is UTC, as on Lambda.
  const utc = ZONE_DESIGNATOR.test(value) ? value : `${value}Z`;
  // ISO 8601 with a date and a time of day; Date.parse alone would take "2026" or "Nov 23".
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value) ? Date.parse(utc) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new InvalidRangeError(
      `${parameter} must be an ISO 8601 time like 2026-11-23T10:42:00Z (got ${value})`,
    );
  }
  return ms;
}

/** The range asked for, checked: starts in [from, to), at most MAX_WINDOWS_PER_ANSWER of them. */
export function rangeOf(
  query: WindowsQuery,
  analysis: Analysis,
): { fromMs: number; toMs: number; starts: number[] } {
  const toMs = query.to === undefined ? query.now.getTime() : timeOf('to', query.to);
  const defaultSpanMs =
    Math.min(DEFAULT_RANGE_SECONDS, MAX_WINDOWS_PER_ANSWER * analysis.advanceSeconds) * 1_000;
  const fromMs = query.from === undefined ? toMs - defaultSpanMs : timeOf('from', query.from);
  if (fromMs >= toMs) {
    throw new InvalidRangeError(
      `from must be before to (got ${new Date(fromMs).toISOString()} and ${new Date(toMs).toISOString()})`,
    );
  }
  const starts = windowStartsIn(fromMs, toMs, analysis.advanceSeconds, MAX_WINDOWS_PER_ANSWER + 1);
  if (starts.length > MAX_WINDOWS_PER_ANSWER) {
    throw new InvalidRangeError(
      `The range holds more than ${MAX_WINDOWS_PER_ANSWER} windows of ${analysis.advanceSeconds} s; ask for a shorter one`,
    );
  }
  return { fromMs, toMs, starts };
}

async function paneRowsOf(
  starts: readonly number[],
  analysis: Analysis,
  windows: ReaderWindows,
): Promise<Map<number, PaneRow[]>> {
  const panes = [...new Set(starts.flatMap((start) => panesOfWindow(start, analysis)))];
  const rows = await Promise.all(panes.map((pane) => windows.paneRows(pane)));
  // Stryker disable next-line ArrayDeclaration: Promise.all answers one value per pane; the default is for the type only
  return new Map(panes.map((pane, position) => [pane, rows[position] ?? []]));
}

/** The windows of one analysis in a range; see the module's comment. */
export async function readWindows(
  analyses: readonly Analysis[],
  query: WindowsQuery,
  windowsOf: (analysis: Analysis) => ReaderWindows,
  settleMs: number,
): Promise<WindowsAnswer> {
  const analysis = analyses.find(({ name }) => name === query.name);
  if (analysis === undefined) {
    const known = analyses.map(({ name }) => name).join(', ') || 'none';
    throw new AnalysisNotFoundError(`No analysis ${query.name ?? ''} (registered: ${known})`);
  }
  const { starts } = rangeOf(query, analysis);
  const windows = windowsOf(analysis);
  const answer = async (): Promise<AnsweredWindow[]> => {
    const first = starts[0];
    const last = starts.at(-1);
    // Stryker disable next-line LogicalOperator,ConditionalExpression: first and last are both defined or both not (no start); either check alone is for the type
    if (first === undefined || last === undefined) return [];
    const closedUntil = (await windows.closedUntil()) ?? Number.NEGATIVE_INFINITY;
    const open = starts.filter((start) => start >= closedUntil);
    const [rows, rowsByPane] = await Promise.all([
      windows.windowRows(first * 1_000, (last + analysis.advanceSeconds) * 1_000),
      paneRowsOf(open, analysis, windows),
    ]);
    const rowByStart = new Map(rows.map((row) => [row.windowStart, row]));
    const late = new Map(rows.map((row) => [row.windowStart, row.late]));
    const computed = new Map(
      slideWindows(open, analysis, rowsByPane, late).map((window, position) => [open[position], window]),
    );
    const nowMs = query.now.getTime();
    return starts.map((start) =>
      start < closedUntil
        ? { ...closedWindow(start, analysis, rowByStart.get(start)), final: true }
        : { ...(computed.get(start) as Window), final: isFinal(start, analysis, nowMs, settleMs) },
    );
  };
  try {
    return { name: analysis.name, windows: await answer() };
  } catch (error) {
    throw new WindowsUnavailableError('The windows could not be read; retry later', { cause: error });
  }
}
