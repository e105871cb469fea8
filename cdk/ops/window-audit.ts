import { isDeepStrictEqual } from 'node:util';
import type { AnsweredWindow } from '../../lambdas/analyses-api/read-windows';
import type { Analysis } from '../../lambdas/domain/analyses';
import { type FinalWindowBody, isoOf, paneOf, windowStartsOfPane } from '../../lambdas/domain/windows';

/**
 * The analyses' audit: each window an analysis answers, held against what the accepted items make of
 * it, computed here from their `acceptedAt` alone (no pane, row or arrival time of the functions').
 * Every item is counted once in each of its windows or, when it came after the window's lateness,
 * counted in `late`; so `count + late` equals the items of the window, and a window without late
 * items has exactly the items' count and sum.
 */

/** One accepted item: its value and its request's acceptance time. */
export interface TimedItem {
  readonly item: number;
  readonly acceptedAtMs: number;
}

/** What the items make of one window: how many fall in it, and their exact sum. */
export interface ExpectedWindow {
  readonly count: number;
  readonly sum: bigint;
}

/** Per window start (epoch s), the count and sum of the items whose `acceptedAt` falls in it. */
export function expectedWindows(
  items: readonly TimedItem[],
  analysis: Analysis,
): Map<number, ExpectedWindow> {
  const windows = new Map<number, ExpectedWindow>();
  for (const { item, acceptedAtMs } of items) {
    for (const start of windowStartsOfPane(paneOf(acceptedAtMs, analysis.advanceSeconds), analysis)) {
      const { count, sum } = windows.get(start) ?? { count: 0, sum: 0n };
      windows.set(start, { count: count + 1, sum: sum + BigInt(item) });
    }
  }
  return windows;
}

/** A window whose figures differ from the items', with both sides. */
export interface WindowMismatch {
  readonly start: string;
  readonly expected: { readonly count: number; readonly sum: string };
  readonly answered: { readonly count: number; readonly late: number; readonly sum: string | undefined };
}

export interface WindowAudit {
  /** Windows answered, empty ones included. */
  readonly windows: number;
  readonly final: number;
  readonly withItems: number;
  /** Items counted late over all windows (an item late for several windows counts in each). */
  readonly lateCounts: number;
  readonly windowsWithLate: number;
  /** `count + late` is not the number of items in the window: an item lost or counted twice. */
  readonly countMismatches: readonly WindowMismatch[];
  /** No late item and the right count, yet the sum differs from the items': a value altered. */
  readonly exactMismatches: readonly WindowMismatch[];
  /** Windows of the items that the answer lacks. */
  readonly unanswered: readonly string[];
  /** Final windows with items but no S3 object. */
  readonly missingObjects: readonly string[];
  /** S3 objects that do not hold what the API answers for their window. */
  readonly objectMismatches: readonly string[];
}

const sumOf = (window: AnsweredWindow): string | undefined =>
  window.sum === undefined ? undefined : String(window.sum);

/** Whether an S3 object holds the window the API answers (`closedAt`, `v` and `name` aside). */
function objectMatches(object: FinalWindowBody, window: AnsweredWindow): boolean {
  const { v: _v, name: _name, closedAt: _closedAt, ...stored } = object;
  return isDeepStrictEqual(stored, { ...window, final: true });
}

/**
 * Audits the answered windows of one analysis against the accepted items, and the final windows
 * with items against their S3 objects (keyed by window start ISO).
 */
export function auditWindows(input: {
  readonly analysis: Analysis;
  readonly items: readonly TimedItem[];
  readonly windows: readonly AnsweredWindow[];
  readonly objects: ReadonlyMap<string, FinalWindowBody>;
}): WindowAudit {
  const expected = expectedWindows(input.items, input.analysis);
  const checksSum = input.analysis.aggregates.includes('sum');
  const answered = new Set(input.windows.map((window) => window.start));
  const countMismatches: WindowMismatch[] = [];
  const exactMismatches: WindowMismatch[] = [];
  const missingObjects: string[] = [];
  const objectMismatches: string[] = [];
  for (const window of input.windows) {
    const startSeconds = Date.parse(window.start) / 1000;
    const { count, sum } = expected.get(startSeconds) ?? { count: 0, sum: 0n };
    const mismatch: WindowMismatch = {
      start: window.start,
      expected: { count, sum: sum.toString() },
      answered: { count: window.count, late: window.late, sum: sumOf(window) },
    };
    if (window.count + window.late !== count) countMismatches.push(mismatch);
    else if (checksSum && window.late === 0 && count > 0 && sumOf(window) !== sum.toString())
      exactMismatches.push(mismatch);
    if (window.final && window.count > 0) {
      const object = input.objects.get(window.start);
      if (!object) missingObjects.push(window.start);
      else if (!objectMatches(object, window)) objectMismatches.push(window.start);
    }
  }
  return {
    windows: input.windows.length,
    final: input.windows.filter((window) => window.final).length,
    withItems: input.windows.filter((window) => window.count > 0).length,
    lateCounts: input.windows.reduce((total, window) => total + window.late, 0),
    windowsWithLate: input.windows.filter((window) => window.late > 0).length,
    countMismatches,
    exactMismatches,
    unanswered: [...expected.keys()]
      .filter((start) => !answered.has(isoOf(start)))
      .sort((a, b) => a - b)
      .map(isoOf),
    missingObjects,
    objectMismatches,
  };
}

/** The findings that break the analyses' contract (late items are not among them). */
export const windowViolations = (audit: WindowAudit): number =>
  audit.countMismatches.length +
  audit.exactMismatches.length +
  audit.unanswered.length +
  audit.missingObjects.length +
  audit.objectMismatches.length;
