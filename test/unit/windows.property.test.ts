import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Analysis } from '../../lambdas/domain/analyses';
import {
  computeWindow,
  paneOf,
  panesOfWindow,
  slideWindows,
  windowStartsIn,
  windowStartsOfPane,
} from '../../lambdas/domain/windows';
import {
  analysisArbitrary,
  byPane,
  itemSpec,
  itemValue,
  msAfterT0,
  paneRow,
  paneRowsOf,
  T0,
} from './factories.windows';

const acceptedAtMs = fc.integer({ min: 0, max: 4_102_444_800_000 });
const specs = fc.array(itemSpec, { maxLength: 30 });
/** A window start near the generated panes (T0 .. T0 + 12 panes), or a little before or after. */
const windowIndex = fc.integer({ min: -8, max: 14 });
const startOf = (analysis: Analysis, index: number): number => T0 + index * analysis.advanceSeconds;

describe('windows properties', () => {
  it('puts every item in exactly W/A windows, each holding its acceptance time', () => {
    fc.assert(
      fc.property(analysisArbitrary, acceptedAtMs, (analysis, at) => {
        const { windowSeconds: w, advanceSeconds: a } = analysis;

        const starts = windowStartsOfPane(paneOf(at, a), analysis);

        expect(starts).toHaveLength(w / a);
        for (const start of starts) {
          expect(Number.isInteger(start / a)).toBe(true);
          expect(start * 1_000 <= at && at < (start + w) * 1_000).toBe(true);
        }
        // Every aligned window holding the instant, found by the range function: the same ones.
        expect(windowStartsIn(at - w * 1_000 + 1, at + 1, a)).toEqual(starts);
      }),
    );
  });

  it('makes a window of exactly the panes that list it among theirs', () => {
    fc.assert(
      fc.property(analysisArbitrary, windowIndex, (analysis, index) => {
        const start = startOf(analysis, index);

        const panes = panesOfWindow(start, analysis);

        expect(panes).toHaveLength(analysis.windowSeconds / analysis.advanceSeconds);
        for (const pane of panes) expect(windowStartsOfPane(pane, analysis)).toContain(start);
        expect(windowStartsOfPane(start - analysis.advanceSeconds, analysis)).not.toContain(start);
        expect(windowStartsOfPane(start + analysis.windowSeconds, analysis)).not.toContain(start);
      }),
    );
  });

  it('slideWindows equals computing each window from scratch, for runs of consecutive windows', () => {
    fc.assert(
      fc.property(
        analysisArbitrary,
        specs,
        fc.integer({ min: -8, max: 4 }),
        fc.integer({ min: 0, max: 14 }),
        fc.array(fc.tuple(windowIndex, fc.integer({ min: 1, max: 5 }))),
        (analysis, items, first, length, lateCounts) => {
          const rows = paneRowsOf(analysis, items);
          const starts = Array.from({ length }, (_, i) => startOf(analysis, first + i));
          const lateByWindow = new Map(lateCounts.map(([index, late]) => [startOf(analysis, index), late]));

          const windows = slideWindows(starts, analysis, byPane(rows), lateByWindow);

          expect(windows).toEqual(
            starts.map((start) => computeWindow(start, analysis, rows, lateByWindow.get(start) ?? 0)),
          );
        },
      ),
    );
  });

  it('slideWindows equals computing each window from scratch, for starts in any order, with gaps and repeats', () => {
    fc.assert(
      fc.property(
        analysisArbitrary,
        specs,
        fc.array(windowIndex, { maxLength: 12 }),
        (analysis, items, indexes) => {
          const rows = paneRowsOf(analysis, items);
          const starts = indexes.map((index) => startOf(analysis, index));

          const windows = slideWindows(starts, analysis, byPane(rows));

          expect(windows).toEqual(starts.map((start) => computeWindow(start, analysis, rows)));
        },
      ),
    );
  });

  it('never counts an item first received at or after the end plus the lateness, and counts it before', () => {
    fc.assert(
      fc.property(
        analysisArbitrary,
        specs,
        windowIndex,
        fc.nat({ max: 50 }),
        fc.nat({ max: 100_000 }),
        itemValue,
        (analysis, items, index, paneOffset, afterMs, value) => {
          const start = startOf(analysis, index);
          const rows = paneRowsOf(analysis, items);
          const paneStart =
            start +
            (paneOffset % (analysis.windowSeconds / analysis.advanceSeconds)) * analysis.advanceSeconds;
          const onTimeBefore = (start + analysis.windowSeconds + analysis.latenessSeconds) * 1_000;
          const withItem = (arrivedAtMs: number) => [
            ...rows,
            paneRow(paneStart, 'req-new', [[0, value, arrivedAtMs]], analysis.name),
          ];

          const without = computeWindow(start, analysis, rows);
          const late = computeWindow(start, analysis, withItem(onTimeBefore + afterMs));
          const onTime = computeWindow(start, analysis, withItem(onTimeBefore - 1 - afterMs));

          expect(late).toEqual(without);
          expect(onTime.count).toBe(without.count + 1);
        },
      ),
    );
  });

  it('reports exactly the count, sum, min and max of the on-time items of its panes, sums past 2^53 exact', () => {
    fc.assert(
      fc.property(analysisArbitrary, specs, windowIndex, (generated, items, index) => {
        const analysis: Analysis = { ...generated, aggregates: ['sum', 'min', 'max'] };
        const start = startOf(analysis, index);
        const rows = paneRowsOf(analysis, items);

        const window = computeWindow(start, analysis, rows);

        // An independent reading of the rules: pane inside the window, first arrival before its end + L.
        const counted = rows
          .filter((row) => row.paneStart >= start && row.paneStart < start + analysis.windowSeconds)
          .flatMap((row) => [...row.items.values()])
          .filter(
            (item) => item.arrivedAtMs < (start + analysis.windowSeconds + analysis.latenessSeconds) * 1_000,
          )
          .map((item) => item.value);
        expect(window.count).toBe(counted.length);
        expect(BigInt(window.sum ?? Number.NaN)).toBe(counted.reduce((total, v) => total + BigInt(v), 0n));
        expect(window.min).toBe(counted.length === 0 ? undefined : Math.min(...counted));
        expect(window.max).toBe(counted.length === 0 ? undefined : Math.max(...counted));
      }),
    );
  });

  it('keeps the arrival boundary in ms: windows over T0 hold items accepted in their last ms', () => {
    fc.assert(
      fc.property(analysisArbitrary, (analysis) => {
        const lastMs = msAfterT0(analysis.windowSeconds) - 1;

        expect(windowStartsOfPane(paneOf(lastMs, analysis.advanceSeconds), analysis)).toContain(T0);
        expect(windowStartsOfPane(paneOf(lastMs + 1, analysis.advanceSeconds), analysis)).not.toContain(T0);
      }),
    );
  });
});
