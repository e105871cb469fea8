import { describe, expect, it } from 'vitest';
import { auditWindows, expectedWindows, windowViolations } from '../../cdk/ops/window-audit';
import type { AnsweredWindow } from '../../lambdas/analyses-api/read-windows';
import { type FinalWindowBody, isoOf } from '../../lambdas/domain/windows';
import { analysis, msAfterT0, T0 } from './factories.windows';

/** A tumbling analysis (W = A = 10 s) keeps each item in one window, so tables stay short. */
const tumbling = analysis({ name: 'tumbling', windowSeconds: 10, advanceSeconds: 10 });

const answered = (offset: number, fields: Partial<AnsweredWindow> = {}): AnsweredWindow => ({
  start: isoOf(T0 + offset),
  end: isoOf(T0 + offset + 10),
  count: 0,
  sum: 0,
  late: 0,
  final: true,
  ...fields,
});

const stored = (window: AnsweredWindow): FinalWindowBody => ({
  v: 1,
  name: 'tumbling',
  ...window,
  final: true,
  closedAt: isoOf(T0 + 100),
});

const objectsOf = (...windows: AnsweredWindow[]) =>
  new Map(windows.map((window) => [window.start, stored(window)]));

describe('expectedWindows', () => {
  it('puts each item in its W/A windows by acceptedAt, with exact sums', () => {
    const windows = expectedWindows(
      [
        { item: 3, acceptedAtMs: msAfterT0(5) },
        { item: 4, acceptedAtMs: msAfterT0(15) },
      ],
      analysis({ windowSeconds: 20, advanceSeconds: 10 }),
    );

    expect([...windows.entries()].sort(([a], [b]) => a - b)).toEqual([
      [T0 - 10, { count: 1, sum: 3n }],
      [T0, { count: 2, sum: 7n }],
      [T0 + 10, { count: 1, sum: 4n }],
    ]);
  });
});

describe('auditWindows', () => {
  const items = [
    { item: 2, acceptedAtMs: msAfterT0(1) },
    { item: 5, acceptedAtMs: msAfterT0(9) },
    { item: 1, acceptedAtMs: msAfterT0(12) },
  ];

  it('finds nothing when every window holds its items, empty windows included', () => {
    const withItems = [answered(0, { count: 2, sum: 7 }), answered(10, { count: 1, sum: 1 })];
    const windows = [...withItems, answered(20)];

    const audit = auditWindows({
      analysis: tumbling,
      items,
      windows,
      objects: objectsOf(...withItems),
    });

    expect(audit).toMatchObject({ windows: 3, final: 3, withItems: 2, lateCounts: 0, windowsWithLate: 0 });
    expect(windowViolations(audit)).toBe(0);
  });

  it('takes late items as counted, not added: count + late is the window items, the sum unchecked', () => {
    const windows = [answered(0, { count: 1, sum: 2, late: 1 }), answered(10, { count: 1, sum: 1 })];

    const audit = auditWindows({ analysis: tumbling, items, windows, objects: objectsOf(...windows) });

    expect(audit).toMatchObject({ lateCounts: 1, windowsWithLate: 1 });
    expect(windowViolations(audit)).toBe(0);
  });

  it.each([
    ['an item counted twice', { count: 3, sum: 9, late: 0 }],
    ['an item lost', { count: 1, sum: 2, late: 0 }],
    ['an item both counted and late', { count: 2, sum: 7, late: 1 }],
  ])('reports %s as a count mismatch with both sides', (_, fields) => {
    const windows = [answered(0, fields), answered(10, { count: 1, sum: 1 })];

    const audit = auditWindows({ analysis: tumbling, items, windows, objects: objectsOf(...windows) });

    expect(audit.countMismatches).toEqual([
      {
        start: isoOf(T0),
        expected: { count: 2, sum: '7' },
        answered: { count: fields.count, late: fields.late, sum: String(fields.sum) },
      },
    ]);
    expect(windowViolations(audit)).toBe(1);
  });

  it('reports a window without late items whose sum differs', () => {
    const windows = [answered(0, { count: 2, sum: 8 }), answered(10, { count: 1, sum: 1 })];

    const audit = auditWindows({ analysis: tumbling, items, windows, objects: objectsOf(...windows) });

    expect(audit.exactMismatches.map(({ start }) => start)).toEqual([isoOf(T0)]);
    expect(windowViolations(audit)).toBe(1);
  });

  it('leaves the sum alone for an analysis without it', () => {
    const countOnly = analysis({ ...tumbling, aggregates: ['count'] });
    const windows = [answered(0, { count: 2, sum: undefined }), answered(10, { count: 1, sum: undefined })];

    const audit = auditWindows({ analysis: countOnly, items, windows, objects: objectsOf(...windows) });

    expect(windowViolations(audit)).toBe(0);
  });

  it('names the windows of the items that the answer lacks', () => {
    const windows = [answered(0, { count: 2, sum: 7 })];

    const audit = auditWindows({ analysis: tumbling, items, windows, objects: objectsOf(...windows) });

    expect(audit.unanswered).toEqual([isoOf(T0 + 10)]);
  });

  it('requires an S3 object equal to the answer for each final window with items, none for others', () => {
    const provisional = answered(10, { count: 1, sum: 1, final: false });
    const windows = [answered(0, { count: 2, sum: 7 }), provisional, answered(20)];

    const audit = auditWindows({ analysis: tumbling, items, windows, objects: new Map() });

    expect(audit.missingObjects).toEqual([isoOf(T0)]);
  });

  it('reports an S3 object that holds other figures than the answer', () => {
    const second = answered(10, { count: 1, sum: 1 });
    const windows = [answered(0, { count: 2, sum: 7 }), second];
    const objects = objectsOf(answered(0, { count: 2, sum: 7, late: 1 }), second);

    const audit = auditWindows({ analysis: tumbling, items, windows, objects });

    expect(audit.objectMismatches).toEqual([isoOf(T0)]);
  });
});
