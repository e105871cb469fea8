import {
  AnalysisNotFoundError,
  type AnsweredWindow,
  InvalidRangeError,
  type WindowsAnswer,
  WindowsUnavailableError,
} from '../../lambdas/analyses-api/read-windows';
import { AGGREGATE_NAMES } from '../../lambdas/domain/aggregates/registry';
import type { Analysis } from '../../lambdas/domain/analyses';
import { ANALYSES_PATH, analysisWindowsPath } from '../../lambdas/domain/api-paths';
import type { ApiError } from '../../lambdas/domain/errors';
import { type ApiTarget, sendApiRequest, signedRequestDenied } from './api-request';
import { UsageError } from './cli-options';
import { deploymentApiUrl } from './status-client';

/**
 * What the tools do with `GET /analyses` and `GET /analyses/{name}/windows` (the contract's analyses):
 * the producer's view, through the API with the deployment's authorization (api-request.ts). The API's own errors come back as
 * the errors it answered with (ANALYSIS_NOT_FOUND, INVALID_RANGE, WINDOWS_UNAVAILABLE), its message kept.
 */

/** The body of `200` to `GET /analyses`. */
export interface AnalysesAnswer {
  readonly analyses: readonly Analysis[];
}

/** `from` and `to` of `GET /analyses/{name}/windows`, ISO 8601 as given; the API's defaults when absent. */
export interface WindowsRange {
  readonly from?: string;
  readonly to?: string;
}

type Http = typeof fetch;

/** `{"error":{"code","message"}}`, or undefined for any other body. */
function apiErrorOf(text: string): { code: string; message: string } | undefined {
  try {
    const { error } = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    return typeof error?.code === 'string' && typeof error.message === 'string'
      ? { code: error.code, message: error.message }
      : undefined;
  } catch {
    return undefined;
  }
}

/** The API's own answers this client turns back into the errors that made them. */
const KNOWN_ERRORS: Readonly<Record<string, (message: string) => ApiError>> = {
  ANALYSIS_NOT_FOUND: (message) => new AnalysisNotFoundError(message),
  INVALID_RANGE: (message) => new InvalidRangeError(message),
  WINDOWS_UNAVAILABLE: (message) => new WindowsUnavailableError(message),
};

async function getJson<T>(deployment: ApiTarget, path: string, http: Http): Promise<T> {
  const response = await sendApiRequest(
    deployment,
    { method: 'GET', url: deploymentApiUrl(deployment, path) },
    http,
  );
  const text = await response.text();
  if (response.status === 200) return JSON.parse(text) as T;
  const error = apiErrorOf(text);
  if (error && Object.hasOwn(KNOWN_ERRORS, error.code)) throw KNOWN_ERRORS[error.code]?.(error.message);
  const what = `GET ${path}`;
  throw (
    signedRequestDenied(deployment, what, response.status, text) ??
    new Error(`${what} answered ${response.status}: ${text}`)
  );
}

/** `GET /analyses`: the registered analyses. */
export const getAnalyses = (deployment: ApiTarget, http: Http = fetch) =>
  getJson<AnalysesAnswer>(deployment, ANALYSES_PATH, http);

/** `GET /analyses/{name}/windows?from=&to=`: the windows whose start is in the range, oldest first. */
export function getWindows(
  deployment: ApiTarget,
  name: string,
  range: WindowsRange = {},
  http: Http = fetch,
): Promise<WindowsAnswer> {
  const query = new URLSearchParams(
    Object.entries(range).filter((entry): entry is [string, string] => entry[1] !== undefined),
  ).toString();
  return getJson<WindowsAnswer>(deployment, `${analysisWindowsPath(name)}${query ? `?${query}` : ''}`, http);
}

/**
 * An INVALID_RANGE answer as a usage error naming the tool's options: the API names its parameters
 * (`from must be ...`, `from must be before to`), which are `--from` and `--to` here; a range too long
 * names the options that made it.
 */
export function rangeUsageError(error: InvalidRangeError, range: WindowsRange): UsageError {
  const named = error.message.replace(/^(from|to) must/, '--$1 must').replace(/ before to\b/, ' before --to');
  if (named !== error.message) return new UsageError(named);
  const given = (['from', 'to'] as const).filter((option) => range[option] !== undefined);
  const options = given.length > 0 ? given.map((option) => `--${option}`).join(' and ') : '--from';
  return new UsageError(`${options}: ${error.message}`);
}

/** `W 60 s, A 10 s, L 30 s`: an analysis's window, advance and lateness. */
export const analysisShape = ({ windowSeconds, advanceSeconds, latenessSeconds }: Analysis): string =>
  `W ${windowSeconds} s, A ${advanceSeconds} s, L ${latenessSeconds} s`;

/** One line per registered analysis: `items-60s  W 60 s, A 10 s, L 30 s  count, sum, min, max, mean`. */
export function analysisLines({ analyses }: AnalysesAnswer): string[] {
  if (analyses.length === 0) return ['No analyses registered (the analyses setting is empty)'];
  const width = Math.max(...analyses.map(({ name }) => name.length));
  return analyses.map(
    (analysis) =>
      `${analysis.name.padEnd(width)}  ${analysisShape(analysis)}  ${analysis.aggregates.join(', ')}`,
  );
}

/** An aggregate for a person: integers as they are, a mean to 3 decimals, an exact sum's string as it is. */
export const formatAggregate = (value: number | string): string =>
  typeof value === 'string' || Number.isInteger(value) ? String(value) : String(Number(value.toFixed(3)));

/** `2026-11-23 10:42:00-10:43:00`: a window's start and end, UTC. */
const windowTimes = ({ start, end }: AnsweredWindow): string =>
  `${start.slice(0, 10)} ${start.slice(11, 19)}-${end.slice(11, 19)}`;

/** The aggregates besides count that any window of the answer has, in registry order. */
const otherAggregates = (windows: readonly AnsweredWindow[]) =>
  AGGREGATE_NAMES.filter((name) => name !== 'count' && windows.some((window) => window[name] !== undefined));

/**
 * One line per window, in aligned columns: its UTC times, count, the other aggregates it has, `final`
 * or `provisional`, and `late N` when items came too late for it; then a closing count.
 */
export function windowLines({ name, windows }: WindowsAnswer): string[] {
  const others = otherAggregates(windows);
  const rows = windows.map((window) => [
    windowTimes(window),
    `count ${window.count}`,
    ...others.map((aggregate) => {
      const value = window[aggregate];
      return value === undefined ? '' : `${aggregate} ${formatAggregate(value)}`;
    }),
    window.final ? 'final' : 'provisional',
    window.late > 0 ? `late ${window.late}` : '',
  ]);
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  const lines = rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd(),
  );
  const final = windows.filter((window) => window.final).length;
  const withItems = windows.filter((window) => window.count > 0).length;
  const withLate = windows.filter((window) => window.late > 0).length;
  return [
    ...lines,
    `${name}: ${windows.length} window${windows.length === 1 ? '' : 's'} (${final} final, ` +
      `${windows.length - final} provisional), ${withItems} with items, ${withLate} with late items`,
  ];
}
