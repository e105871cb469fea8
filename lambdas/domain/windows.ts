import type { Aggregate, AggregateResult } from './aggregates/aggregate';
import {
  AGGREGATE_NAMES,
  AGGREGATES,
  type AggregateName,
  type AggregateResults,
} from './aggregates/registry';
import type { Analysis } from './analyses';
import { minutePath } from './keys';

/**
 * The windows of an analysis, free of AWS. Times are integers: starts of panes and windows in epoch
 * seconds (they are multiples of advanceSeconds), instants (acceptance, arrival, now) in epoch ms.
 *
 * - A window is `[k*A, k*A + W)` (A = advanceSeconds, W = windowSeconds); an item is in the W/A
 *   windows around its `acceptedAt` (event time, never the time a consumer sees it).
 * - A pane is one A-second slice `[p*A, (p+1)*A)`; a window is its W/A panes merged.
 * - An item counts in a window when the consumer first received it before the window's end plus
 *   latenessSeconds; otherwise it is late for that window (and may still count in later ones).
 * - A window is final once no on-time write can still land: its values never change after that.
 */

const MS_PER_SECOND = 1_000;

/** One item of a pane row: its value, and when the analysis consumer first received it. */
export interface PaneItem {
  readonly value: number;
  readonly arrivedAtMs: number;
}

/** One request's items in one pane of one analysis (one DynamoDB row). */
export interface PaneRow {
  readonly analysis: string;
  /** Epoch seconds, a multiple of advanceSeconds. */
  readonly paneStart: number;
  readonly requestId: string;
  /** By the item's index in its request. */
  readonly items: ReadonlyMap<number, PaneItem>;
}

/** The aggregates of a window: count always, the others when the analysis lists them and they have a value. */
export type WindowAggregates = { readonly count: number } & Partial<Omit<AggregateResults, 'count'>>;

/** A window as the API answers it (without `final`, which depends on when it is read). */
export type Window = { readonly start: string; readonly end: string } & WindowAggregates & {
    /** Items that arrived too late for this window (counted, not added). */
    readonly late: number;
  };

/** The S3 object of a final window, `windows/<name>/YYYY/MM/DD/HH/mm/<start ISO>.json`. Versioned. */
export type FinalWindowBody = { readonly v: 1; readonly name: string } & Window & {
    readonly final: true;
    readonly closedAt: string;
  };

/** x mod m, in [0, m) also for a negative x (before the epoch). */
const modulo = (x: number, m: number): number => ((x % m) + m) % m;

/** A start or end as windows are named in answers, keys and rows: `2026-11-23T10:42:00.000Z`. */
export const isoOf = (epochSeconds: number): string => new Date(epochSeconds * MS_PER_SECOND).toISOString();

/** The start (epoch s) of the pane an item accepted at `acceptedAtMs` belongs to. */
export function paneOf(acceptedAtMs: number, advanceSeconds: number): number {
  const paneMs = advanceSeconds * MS_PER_SECOND;
  return (acceptedAtMs - modulo(acceptedAtMs, paneMs)) / MS_PER_SECOND;
}

const panesPerWindow = (analysis: Analysis): number => analysis.windowSeconds / analysis.advanceSeconds;

/** The W/A windows holding a pane, oldest first: the last one starts with the pane. */
export function windowStartsOfPane(paneStart: number, analysis: Analysis): number[] {
  const count = panesPerWindow(analysis);
  return Array.from({ length: count }, (_, i) => paneStart - (count - 1 - i) * analysis.advanceSeconds);
}

/** The W/A panes of a window, oldest first. */
export function panesOfWindow(windowStart: number, analysis: Analysis): number[] {
  return Array.from(
    { length: panesPerWindow(analysis) },
    (_, i) => windowStart + i * analysis.advanceSeconds,
  );
}

/**
 * The window starts (epoch s) in `[fromMs, toMs)`, oldest first, at most `limit` of them (a range
 * can hold millions: callers bound it).
 */
export function windowStartsIn(
  fromMs: number,
  toMs: number,
  advanceSeconds: number,
  limit = Number.POSITIVE_INFINITY,
): number[] {
  const stepMs = advanceSeconds * MS_PER_SECOND;
  const starts: number[] = [];
  for (
    let startMs = fromMs + modulo(-fromMs, stepMs);
    startMs < toMs && starts.length < limit;
    startMs += stepMs
  ) {
    starts.push(startMs / MS_PER_SECOND);
  }
  return starts;
}

/** The end of a window (epoch s), excluded from it. */
export const windowEnd = (windowStart: number, analysis: Analysis): number =>
  windowStart + analysis.windowSeconds;

/** Items first received before this instant (epoch ms) count in the window: its end plus the lateness. */
export const onTimeBeforeMs = (windowStart: number, analysis: Analysis): number =>
  (windowEnd(windowStart, analysis) + analysis.latenessSeconds) * MS_PER_SECOND;

/** An item first received at `arrivalMs` is late for the window: counted in `late`, not added. */
export const isLateFor = (arrivalMs: number, windowStart: number, analysis: Analysis): boolean =>
  arrivalMs >= onTimeBeforeMs(windowStart, analysis);

/**
 * How long after the lateness a write of an on-time item can still land: the consumer function's
 * timeout (it records an item's arrival when it receives it, and writes it before it times out)
 * plus a second for the clocks of two functions.
 */
export const settleMsFor = (consumerTimeoutSeconds: number): number =>
  (consumerTimeoutSeconds + 1) * MS_PER_SECOND;

/** How often the closer runs: its schedule, EventBridge's shortest rate (cdk/lib/constructs/window-closer.ts). */
export const CLOSER_INTERVAL_MINUTES = 1;

/** When (epoch ms) a window becomes final. */
export const finalAtMs = (windowStart: number, analysis: Analysis, settleMs: number): number =>
  onTimeBeforeMs(windowStart, analysis) + settleMs;

/** No write that could count in the window can still land: its values never change again (but `late`). */
export const isFinal = (windowStart: number, analysis: Analysis, nowMs: number, settleMs: number): boolean =>
  nowMs >= finalAtMs(windowStart, analysis, settleMs);

/**
 * The windows to close now, oldest first: those starting at or after the watermark `closedUntil`
 * (epoch s; every window before it is closed) that are final, at most `limit`. Once they are written,
 * the watermark moves to the last one's start plus advanceSeconds.
 */
export function closableWindowStarts(
  closedUntil: number,
  analysis: Analysis,
  nowMs: number,
  settleMs: number,
  limit: number,
): number[] {
  // The latest final start s has (s + W + L) s + settle <= now, so starts below that bound + 1 ms.
  const lastFinalStartMs =
    nowMs - settleMs - (analysis.windowSeconds + analysis.latenessSeconds) * MS_PER_SECOND;
  return windowStartsIn(closedUntil * MS_PER_SECOND, lastFinalStartMs + 1, analysis.advanceSeconds, limit);
}

/** Every aggregate answers through this one shape; the registry's entries all fit it. */
const aggregateOf = (name: AggregateName): Aggregate<unknown, AggregateResult> => AGGREGATES[name];

/** The aggregates a window of the analysis reports, in registry order: count, then those listed. */
const reportedAggregates = (analysis: Analysis): AggregateName[] =>
  AGGREGATE_NAMES.filter((name) => name === 'count' || analysis.aggregates.includes(name));

/** One state per reported aggregate. */
type States = ReadonlyMap<AggregateName, unknown>;

const initStates = (names: readonly AggregateName[]): States =>
  new Map(names.map((name) => [name, aggregateOf(name).init()]));

const addTo = (states: States, value: number): States =>
  new Map([...states].map(([name, state]) => [name, aggregateOf(name).add(state, value)]));

const mergeStates = (a: States, b: States): States =>
  new Map([...a].map(([name, state]) => [name, aggregateOf(name).merge(state, b.get(name))]));

function windowOf(windowStart: number, analysis: Analysis, states: States, late: number): Window {
  const results = Object.fromEntries(
    [...states].flatMap(([name, state]) => {
      const result = aggregateOf(name).result(state);
      return result === undefined ? [] : [[name, result]];
    }),
  );
  return {
    start: isoOf(windowStart),
    end: isoOf(windowEnd(windowStart, analysis)),
    ...(results as WindowAggregates),
    late,
  };
}

/**
 * One window from scratch: the on-time items of the rows of its panes (rows of other panes or other
 * analyses are left out), with `late` as counted on its window row.
 */
export function computeWindow(
  windowStart: number,
  analysis: Analysis,
  paneRows: readonly PaneRow[],
  late = 0,
): Window {
  const panes = new Set(panesOfWindow(windowStart, analysis));
  const onTimeBefore = onTimeBeforeMs(windowStart, analysis);
  let states = initStates(reportedAggregates(analysis));
  for (const row of paneRows) {
    if (row.analysis !== analysis.name || !panes.has(row.paneStart)) continue;
    for (const item of row.items.values()) {
      if (item.arrivedAtMs < onTimeBefore) states = addTo(states, item.value);
    }
  }
  return windowOf(windowStart, analysis, states, late);
}

/**
 * A pane's items grouped by the first of the pane's W/A windows (oldest first) they are on time for:
 * the windows end one advance apart, so an item on time for one is on time for every later one.
 * Group 0 (on time for all) holds nearly every item; items late for all are left out (they are counted
 * on the window rows). Each item is added once.
 */
function lateness(paneStart: number, analysis: Analysis, rows: readonly PaneRow[]): Map<number, States> {
  const names = reportedAggregates(analysis);
  const groups = new Map<number, States>();
  // The oldest window holding the pane ends one advance after the pane starts.
  const firstOnTimeBeforeMs =
    (paneStart + analysis.advanceSeconds + analysis.latenessSeconds) * MS_PER_SECOND;
  const advanceMs = analysis.advanceSeconds * MS_PER_SECOND;
  for (const row of rows) {
    if (row.analysis !== analysis.name || row.paneStart !== paneStart) continue;
    for (const item of row.items.values()) {
      const first = Math.max(0, Math.floor((item.arrivedAtMs - firstOnTimeBeforeMs) / advanceMs) + 1);
      if (first >= panesPerWindow(analysis)) continue;
      groups.set(first, addTo(groups.get(first) ?? initStates(names), item.value));
    }
  }
  return groups;
}

/**
 * The merge of every `length` consecutive states of `sequence`, with about three merges per state
 * whatever the length (van Herk and Gil-Werman): cut into blocks of `length`, each run of `length`
 * is the suffix of one block merged with the prefix of the next.
 */
function slidingMerges(sequence: readonly States[], length: number): States[] {
  // Stryker disable next-line ArrayDeclaration: every index is written before it is read
  const prefixes: States[] = [];
  // Stryker disable next-line ArrayDeclaration: every index is written before it is read
  const suffixes: States[] = [];
  // Stryker disable next-line EqualityOperator: a block starting at the end is empty
  for (let blockStart = 0; blockStart < sequence.length; blockStart += length) {
    const blockEnd = Math.min(blockStart + length, sequence.length);
    for (let i = blockStart; i < blockEnd; i++) {
      const state = sequence[i] as States;
      prefixes[i] = i === blockStart ? state : mergeStates(prefixes[i - 1] as States, state);
    }
    for (let i = blockEnd - 1; i >= blockStart; i--) {
      const state = sequence[i] as States;
      suffixes[i] = i === blockEnd - 1 ? state : mergeStates(state, suffixes[i + 1] as States);
    }
  }
  return Array.from({ length: sequence.length - length + 1 }, (_, i) =>
    i % length === 0
      ? (suffixes[i] as States)
      : mergeStates(suffixes[i] as States, prefixes[i + length - 1] as States),
  );
}

/**
 * The states of `count` consecutive windows from `firstStart`. Window i holds group j of pane i + o
 * exactly when o < W/A - j: so for each group j present, its panes' states slide through windows of
 * W/A - j panes, and the windows merge what each slide gives them.
 */
function consecutiveStates(
  firstStart: number,
  count: number,
  analysis: Analysis,
  paneRowsByPane: ReadonlyMap<number, readonly PaneRow[]>,
): States[] {
  const names = reportedAggregates(analysis);
  const panes = Array.from(
    { length: count + panesPerWindow(analysis) - 1 },
    (_, i) => firstStart + i * analysis.advanceSeconds,
  );
  // Stryker disable next-line ArrayDeclaration: a pane without rows; a value that is not a row of the analysis is left out all the same
  const groups = panes.map((pane) => lateness(pane, analysis, paneRowsByPane.get(pane) ?? []));
  const windows = Array.from({ length: count }, () => initStates(names));
  for (const group of new Set(groups.flatMap((byGroup) => [...byGroup.keys()]))) {
    // The panes of group j that the windows hold: all but the last j.
    const sequence = groups
      .slice(0, groups.length - group)
      .map((byGroup) => byGroup.get(group) ?? initStates(names));
    for (const [i, merged] of slidingMerges(sequence, panesPerWindow(analysis) - group).entries()) {
      windows[i] = mergeStates(windows[i] as States, merged);
    }
  }
  return windows;
}

/**
 * The windows at `starts` (multiples of advanceSeconds), as computeWindow would give each one, with
 * each item added once and a few merges per window, rather than every item added again in each of
 * its W/A windows: a 1-hour window advancing every second costs about as much as a 1-second one.
 * Meant for consecutive windows (a range read, a closer's batch): every window from the first start
 * to the last is computed. `paneRowsByPane` holds the rows by pane start; `lateByWindow` the late
 * counts by window start.
 */
export function slideWindows(
  starts: readonly number[],
  analysis: Analysis,
  paneRowsByPane: ReadonlyMap<number, readonly PaneRow[]>,
  lateByWindow: ReadonlyMap<number, number> = new Map(),
): Window[] {
  // Stryker disable next-line ConditionalExpression: without it, no start gives empty ranges and no window all the same
  if (starts.length === 0) return [];
  const first = Math.min(...starts);
  const range = windowStartsIn(
    first * MS_PER_SECOND,
    Math.max(...starts) * MS_PER_SECOND + 1,
    analysis.advanceSeconds,
  );
  const states = consecutiveStates(first, range.length, analysis, paneRowsByPane);
  return starts.map((start) =>
    windowOf(
      start,
      analysis,
      states[(start - first) / analysis.advanceSeconds] as States,
      lateByWindow.get(start) ?? 0,
    ),
  );
}

/** A closed window as its row holds it: no row (or no aggregates on it) is a window without items. */
export function closedWindow(
  windowStart: number,
  analysis: Analysis,
  stored: { readonly aggregates?: WindowAggregates; readonly late: number } | undefined,
): Window {
  const late = stored?.late ?? 0;
  if (stored?.aggregates === undefined) {
    return windowOf(windowStart, analysis, initStates(reportedAggregates(analysis)), late);
  }
  const { aggregates } = stored;
  const reported = Object.fromEntries(
    reportedAggregates(analysis).flatMap((name) =>
      aggregates[name] === undefined ? [] : [[name, aggregates[name]]],
    ),
  );
  return {
    start: isoOf(windowStart),
    end: isoOf(windowEnd(windowStart, analysis)),
    ...(reported as WindowAggregates),
    late,
  };
}

export const WINDOWS_PREFIX = 'windows/';

/** `windows/<name>/YYYY/MM/DD/HH/mm/<start ISO>.json`, under the UTC minute of the window's start. */
export function windowKey(name: string, windowStartMs: number): string {
  const start = new Date(windowStartMs);
  return `${WINDOWS_PREFIX}${name}/${minutePath(start)}/${start.toISOString()}.json`;
}

/** The S3 object of a final window. */
export const finalWindowBody = (name: string, window: Window, closedAt: Date): FinalWindowBody => ({
  v: 1,
  name,
  ...window,
  final: true,
  closedAt: closedAt.toISOString(),
});
