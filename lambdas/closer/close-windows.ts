import type { Analysis } from '../domain/analyses';
import {
  closableWindowStarts,
  finalWindowBody,
  type PaneRow,
  panesOfWindow,
  slideWindows,
  type Window,
  windowKey,
} from '../domain/windows';
import type { CloserWindows } from '../windows/window-interfaces';

/**
 * The window closer (the contract's analyses): every window that has become final (its end plus the
 * lateness plus the consumers' settle time has passed) is written once, oldest first, to the windows
 * table and, when it holds items, to S3 under `windows/<name>/...`; then the analysis's watermark moves
 * past it. A window's values follow from its panes' rows alone (first arrivals decide what is on time),
 * so a second close after a crash writes the same values, and both writes are write-once.
 */

export interface CloserSettings {
  /** How long after its end plus lateness an on-time write can still land (windows.ts, settleMsFor). */
  readonly settleMs: number;
  /** At most this many windows of an analysis per run, so a run catching up stays within its timeout. */
  readonly maxWindowsPerRun: number;
  /**
   * With no watermark yet (the first run), closing starts this long before now: windows before that
   * are taken as closed and empty (the analysis did not exist, or its rows have expired).
   */
  readonly firstLookbackSeconds: number;
}

export interface WindowObjects {
  /** Writes a final window's object once. */
  putFinal(key: string, body: unknown): Promise<void>;
}

export interface CloserDeps {
  readonly windows: CloserWindows;
  readonly objects: WindowObjects;
  readonly clock: () => Date;
}

export interface CloseOutcome {
  readonly analysis: string;
  /** Windows closed this run, empty ones included. */
  readonly closed: number;
  /** Of them, those holding items: written to the table and to S3. */
  readonly written: number;
  /** The watermark after the run (epoch s); undefined when there was nothing to close yet. */
  readonly closedUntil?: number;
  /** Windows already final but left for the next run (maxWindowsPerRun). */
  readonly behind: boolean;
}

const MS_PER_SECOND = 1_000;

/** The first watermark: the first window start at or after `firstLookbackSeconds` ago. */
export function firstWatermark(analysis: Analysis, nowMs: number, lookbackSeconds: number): number {
  const from = Math.ceil(nowMs / MS_PER_SECOND) - lookbackSeconds;
  return Math.ceil(from / analysis.advanceSeconds) * analysis.advanceSeconds;
}

/** Every pane the windows hold, each once, with its rows. */
async function paneRowsOf(
  starts: readonly number[],
  analysis: Analysis,
  windows: CloserWindows,
): Promise<Map<number, PaneRow[]>> {
  const panes = [...new Set(starts.flatMap((start) => panesOfWindow(start, analysis)))];
  const rows = await Promise.all(panes.map((pane) => windows.paneRows(pane)));
  // Stryker disable next-line ArrayDeclaration: Promise.all answers one value per pane; the default is for the type only
  return new Map(panes.map((pane, position) => [pane, rows[position] ?? []]));
}

/** Closes what is final of one analysis; see the module's comment. */
export async function closeWindows(
  analysis: Analysis,
  settings: CloserSettings,
  deps: CloserDeps,
): Promise<CloseOutcome> {
  const now = deps.clock();
  const watermark =
    (await deps.windows.closedUntil()) ??
    firstWatermark(analysis, now.getTime(), settings.firstLookbackSeconds);
  // One more than the run takes, to tell a run that is behind.
  const final = closableWindowStarts(
    watermark,
    analysis,
    now.getTime(),
    settings.settleMs,
    settings.maxWindowsPerRun + 1,
  );
  const starts = final.slice(0, settings.maxWindowsPerRun);
  const last = starts.at(-1);
  if (last === undefined) return { analysis: analysis.name, closed: 0, written: 0, behind: false };
  const [rowsByPane, windowRows] = await Promise.all([
    paneRowsOf(starts, analysis, deps.windows),
    deps.windows.windowRows(watermark * MS_PER_SECOND, (last + analysis.advanceSeconds) * MS_PER_SECOND),
  ]);
  const late = new Map(windowRows.map((row) => [row.windowStart, row.late]));
  const withItems = slideWindows(starts, analysis, rowsByPane, late).filter((window) => window.count > 0);
  await Promise.all(withItems.map((window) => writeFinal(analysis, window, now, deps)));
  const closedUntil = last + analysis.advanceSeconds;
  await deps.windows.advance(closedUntil);
  return {
    analysis: analysis.name,
    closed: starts.length,
    written: withItems.length,
    closedUntil,
    behind: final.length > starts.length,
  };
}

async function writeFinal(
  analysis: Analysis,
  window: Window,
  closedAt: Date,
  deps: CloserDeps,
): Promise<void> {
  await deps.windows.writeFinal(window, closedAt);
  await deps.objects.putFinal(
    windowKey(analysis.name, Date.parse(window.start)),
    finalWindowBody(analysis.name, window, closedAt),
  );
}
