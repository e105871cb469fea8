import { describe, expect, it } from 'vitest';
import {
  closableWindowStarts,
  closedWindow,
  computeWindow,
  finalAtMs,
  finalWindowBody,
  isFinal,
  isLateFor,
  onTimeBeforeMs,
  paneOf,
  panesOfWindow,
  settleMsFor,
  slideWindows,
  WINDOWS_PREFIX,
  windowEnd,
  windowKey,
  windowStartsIn,
  windowStartsOfPane,
} from '../../lambdas/domain/windows';
import { analysis, byPane, msAfterT0, paneRow, SETTLE_MS, T0 } from './factories.windows';

const at = (iso: string): number => Date.parse(iso);
/** Arrivals well before any window of the tests closes to items. */
const EARLY = msAfterT0(1);

describe('panes and windows in time', () => {
  it.each([
    { acceptedAt: '2026-11-23T10:42:00.000Z', advance: 10, pane: T0 },
    { acceptedAt: '2026-11-23T10:42:07.123Z', advance: 10, pane: T0 },
    { acceptedAt: '2026-11-23T10:42:09.999Z', advance: 10, pane: T0 },
    { acceptedAt: '2026-11-23T10:42:10.000Z', advance: 10, pane: T0 + 10 },
    { acceptedAt: '2026-11-23T10:42:59.999Z', advance: 60, pane: T0 },
    { acceptedAt: '2026-11-23T10:41:59.999Z', advance: 60, pane: T0 - 60 },
    { acceptedAt: '1970-01-01T00:00:13.999Z', advance: 7, pane: 7 },
    { acceptedAt: '1970-01-01T00:00:14.000Z', advance: 7, pane: 14 },
    { acceptedAt: '1969-12-31T23:59:59.999Z', advance: 10, pane: -10 },
  ])(
    'an item accepted at $acceptedAt is in the $advance-second pane starting at $pane',
    ({ acceptedAt, advance, pane }) => {
      expect(paneOf(at(acceptedAt), advance)).toBe(pane);
    },
  );

  it('puts a pane in the W/A windows around it, oldest first, the last starting with it', () => {
    expect(windowStartsOfPane(T0 + 10, analysis())).toEqual([
      T0 - 40,
      T0 - 30,
      T0 - 20,
      T0 - 10,
      T0,
      T0 + 10,
    ]);
  });

  it('puts a pane of a tumbling window in one window, its own', () => {
    expect(windowStartsOfPane(T0, analysis({ windowSeconds: 60, advanceSeconds: 60 }))).toEqual([T0]);
  });

  it('makes a window of its W/A panes, oldest first', () => {
    expect(panesOfWindow(T0, analysis())).toEqual([T0, T0 + 10, T0 + 20, T0 + 30, T0 + 40, T0 + 50]);
    expect(panesOfWindow(T0, analysis({ windowSeconds: 20, advanceSeconds: 20 }))).toEqual([T0]);
  });

  it.each([
    { name: 'from a start', from: '10:42:00.000', to: '10:42:30.000', starts: [T0, T0 + 10, T0 + 20] },
    { name: 'from just before a start', from: '10:41:59.999', to: '10:42:20.000', starts: [T0, T0 + 10] },
    { name: 'from just after a start', from: '10:42:00.001', to: '10:42:20.001', starts: [T0 + 10, T0 + 20] },
    { name: 'an empty range', from: '10:42:00.000', to: '10:42:00.000', starts: [] },
    { name: 'a range between two starts', from: '10:42:00.001', to: '10:42:09.999', starts: [] },
    { name: 'a reversed range', from: '10:42:30.000', to: '10:42:00.000', starts: [] },
  ])('lists the window starts in [from, to): $name', ({ from, to, starts }) => {
    // Act
    const answer = windowStartsIn(at(`2026-11-23T${from}Z`), at(`2026-11-23T${to}Z`), 10);

    // Assert
    expect(answer).toEqual(starts);
  });

  it('lists at most the given number of starts, the oldest', () => {
    expect(windowStartsIn(msAfterT0(0), msAfterT0(3_600), 10, 2)).toEqual([T0, T0 + 10]);
  });
});

describe('on time, late and final', () => {
  const items60s = analysis();
  /** The window [T0, T0 + 60) takes items until T0 + 90 s (L = 30) and is final 31 s later. */
  const ON_TIME_BEFORE = msAfterT0(90);

  it('ends a window W seconds after its start, and takes items until L seconds after its end', () => {
    expect(windowEnd(T0, items60s)).toBe(T0 + 60);
    expect(onTimeBeforeMs(T0, items60s)).toBe(ON_TIME_BEFORE);
    expect(onTimeBeforeMs(T0, analysis({ latenessSeconds: 0 }))).toBe(msAfterT0(60));
  });

  it.each([
    { name: 'within the window', arrival: msAfterT0(59), late: false },
    { name: 'one ms before the lateness runs out', arrival: ON_TIME_BEFORE - 1, late: false },
    { name: 'as the lateness runs out', arrival: ON_TIME_BEFORE, late: true },
    { name: 'long after', arrival: ON_TIME_BEFORE + 86_400_000, late: true },
  ])('an item first received $name is late: $late', ({ arrival, late }) => {
    expect(isLateFor(arrival, T0, items60s)).toBe(late);
  });

  it('settles for the consumer timeout plus a second', () => {
    expect(settleMsFor(30)).toBe(31_000);
    expect(settleMsFor(1)).toBe(2_000);
  });

  it.each([
    { name: 'one ms before the settle time has passed', now: ON_TIME_BEFORE + SETTLE_MS - 1, final: false },
    { name: 'as the settle time has passed', now: ON_TIME_BEFORE + SETTLE_MS, final: true },
    { name: 'before its end', now: msAfterT0(30), final: false },
  ])('a window is final $name: $final', ({ now, final }) => {
    expect(finalAtMs(T0, items60s, SETTLE_MS)).toBe(ON_TIME_BEFORE + SETTLE_MS);
    expect(isFinal(T0, items60s, now, SETTLE_MS)).toBe(final);
  });

  it.each([
    {
      name: 'the final windows from the watermark on',
      closedUntil: T0,
      now: 10_000,
      limit: 10,
      starts: [T0, T0 + 10],
    },
    { name: 'no more than the limit', closedUntil: T0, now: 10_000, limit: 1, starts: [T0] },
    { name: 'none past the last final one', closedUntil: T0, now: 9_999, limit: 10, starts: [T0] },
    { name: 'from an unaligned watermark', closedUntil: T0 + 1, now: 10_000, limit: 10, starts: [T0 + 10] },
    { name: 'nothing when none is final yet', closedUntil: T0 + 20, now: 10_000, limit: 10, starts: [] },
  ])('closes $name', ({ closedUntil, now, limit, starts }) => {
    // Prepare: `now` is in ms after the moment T0's window became final
    const nowMs = ON_TIME_BEFORE + SETTLE_MS + now;

    // Act
    const answer = closableWindowStarts(closedUntil, items60s, nowMs, SETTLE_MS, limit);

    // Assert
    expect(answer).toEqual(starts);
  });
});

describe('computeWindow', () => {
  const rows = [
    paneRow(T0, 'req-A', [
      [0, 4, EARLY],
      [1, -2, EARLY],
    ]),
    paneRow(T0 + 50, 'req-B', [[0, 10, msAfterT0(89)]]),
    // First received as the lateness ran out: counted late on the window row, never added
    paneRow(T0 + 50, 'req-C', [[0, 1_000, msAfterT0(90)]]),
    // Outside the window, and another analysis's pane
    paneRow(T0 + 60, 'req-D', [[0, 500, EARLY]]),
    paneRow(T0 - 10, 'req-E', [[0, 600, EARLY]]),
    paneRow(T0, 'req-F', [[0, 700, EARLY]], 'other-analysis'),
  ];

  it('merges the on-time items of its panes into every aggregate, fields in a fixed order', () => {
    // Act
    const window = computeWindow(T0, analysis(), rows, 1);

    // Assert
    expect(JSON.stringify(window)).toBe(
      JSON.stringify({
        start: '2026-11-23T10:42:00.000Z',
        end: '2026-11-23T10:43:00.000Z',
        count: 3,
        sum: 12,
        min: -2,
        max: 10,
        mean: 4,
        late: 1,
      }),
    );
  });

  it('reports count and the listed aggregates only, in registry order', () => {
    // Act
    const window = computeWindow(T0, analysis({ aggregates: ['max', 'sum'] }), rows);

    // Assert
    expect(JSON.stringify(window)).toBe(
      '{"start":"2026-11-23T10:42:00.000Z","end":"2026-11-23T10:43:00.000Z","count":3,"sum":12,"max":10,"late":0}',
    );
  });

  it('reports an empty window with count and sum 0 and no min, max or mean', () => {
    // Act
    const window = computeWindow(T0 + 600, analysis(), rows, 2);

    // Assert
    expect(window).toStrictEqual({
      start: '2026-11-23T10:52:00.000Z',
      end: '2026-11-23T10:53:00.000Z',
      count: 0,
      sum: 0,
      late: 2,
    });
  });

  it('counts an item late for one window in the later windows it is on time for', () => {
    // Prepare: first received at T0 + 95 s: late for [T0, T0 + 60) (until T0 + 90 s), on time for the next
    const late = [paneRow(T0 + 50, 'req-A', [[0, 5, msAfterT0(95)]])];

    // Act
    const [first, second] = [T0, T0 + 10].map((start) => computeWindow(start, analysis(), late));

    // Assert
    expect(first?.count).toBe(0);
    expect(second?.count).toBe(1);
  });
});

describe('slideWindows', () => {
  it('gives each window what computeWindow gives it, late items and late counts included', () => {
    // Prepare: index 1 is late for windows before T0 - 10, req-B on time only for T0 + 20, req-C late for all
    const items60s = analysis();
    const rows = [
      paneRow(T0, 'req-A', [
        [0, 1, EARLY],
        [1, 2, msAfterT0(75)],
      ]),
      paneRow(T0 + 20, 'req-B', [[0, 3, msAfterT0(105)]]),
      paneRow(T0 + 50, 'req-C', [[0, 4, msAfterT0(200)]]),
    ];
    const starts = [T0 - 20, T0 - 10, T0, T0 + 10, T0 + 20, T0 + 30];
    const lateByWindow = new Map([
      [T0, 2],
      [T0 + 20, 1],
    ]);

    // Act
    const windows = slideWindows(starts, items60s, byPane(rows), lateByWindow);

    // Assert
    expect(windows.map(({ count, sum, late }) => ({ count, sum, late }))).toEqual([
      { count: 1, sum: 1, late: 0 },
      { count: 2, sum: 3, late: 0 },
      { count: 2, sum: 3, late: 2 },
      { count: 0, sum: 0, late: 0 },
      { count: 1, sum: 3, late: 1 },
      { count: 0, sum: 0, late: 0 },
    ]);
    expect(windows).toEqual(
      starts.map((start) => computeWindow(start, items60s, rows, lateByWindow.get(start))),
    );
  });

  it('answers starts in the order given, with gaps and repeats', () => {
    // Prepare
    const items60s = analysis();
    const rows = [
      paneRow(T0, 'req-A', [[0, 1, EARLY]]),
      paneRow(T0 + 40, 'req-B', [[0, 2, msAfterT0(115)]]),
      paneRow(T0 + 90, 'req-C', [[0, 4, EARLY]]),
    ];
    const starts = [T0 + 40, T0 - 20, T0 + 40, T0, T0 + 30];

    // Act
    const windows = slideWindows(starts, items60s, byPane(rows));

    // Assert
    expect(windows.map(({ start, sum }) => ({ start, sum }))).toEqual([
      { start: '2026-11-23T10:42:40.000Z', sum: 6 },
      { start: '2026-11-23T10:41:40.000Z', sum: 1 },
      { start: '2026-11-23T10:42:40.000Z', sum: 6 },
      { start: '2026-11-23T10:42:00.000Z', sum: 1 },
      { start: '2026-11-23T10:42:30.000Z', sum: 2 },
    ]);
    expect(windows).toEqual(starts.map((start) => computeWindow(start, items60s, rows)));
  });

  it('leaves out rows filed under the wrong pane or analysis', () => {
    // Prepare
    const misfiled = new Map([
      [T0, [paneRow(T0 + 10, 'req-A', [[0, 1, EARLY]]), paneRow(T0, 'req-B', [[0, 2, EARLY]], 'other')]],
    ]);

    // Act
    const [window] = slideWindows([T0], analysis(), misfiled);

    // Assert
    expect(window).toStrictEqual(computeWindow(T0, analysis(), []));
  });
});

describe('closedWindow', () => {
  const items60s = analysis({ aggregates: ['sum', 'min'] });

  it.each([
    { name: 'no row', stored: undefined, late: 0 },
    { name: 'a row of late items only', stored: { late: 3 }, late: 3 },
  ])('reads $name as a window without items', ({ stored, late }) => {
    expect(closedWindow(T0, items60s, stored)).toStrictEqual({
      start: '2026-11-23T10:42:00.000Z',
      end: '2026-11-23T10:43:00.000Z',
      count: 0,
      sum: 0,
      late,
    });
  });

  it('reads the closed aggregates the analysis reports, in registry order', () => {
    // Act
    const window = closedWindow(T0, items60s, {
      aggregates: { mean: 2, min: 1, sum: '9007199254740993', count: 2, max: 3 },
      late: 1,
    });

    // Assert
    expect(JSON.stringify(window)).toBe(
      '{"start":"2026-11-23T10:42:00.000Z","end":"2026-11-23T10:43:00.000Z","count":2,"sum":"9007199254740993","min":1,"late":1}',
    );
  });
});

describe('the S3 object of a final window', () => {
  it.each([
    {
      start: '2026-11-23T10:42:10.000Z',
      key: 'windows/items-60s/2026/11/23/10/42/2026-11-23T10:42:10.000Z.json',
    },
    {
      start: '2026-12-31T23:59:50.000Z',
      key: 'windows/items-60s/2026/12/31/23/59/2026-12-31T23:59:50.000Z.json',
    },
  ])('is keyed under the UTC minute of its start: $key', ({ start, key }) => {
    expect(windowKey('items-60s', at(start))).toBe(key);
    expect(key.startsWith(WINDOWS_PREFIX)).toBe(true);
  });

  it('holds a version, the name, the window, final and when it was closed', () => {
    // Prepare
    const window = computeWindow(
      T0,
      analysis({ aggregates: ['min'] }),
      [paneRow(T0, 'req-A', [[0, 7, EARLY]])],
      1,
    );

    // Act
    const body = finalWindowBody('items-60s', window, new Date('2026-11-23T10:44:02.500Z'));

    // Assert
    expect(JSON.stringify(body)).toBe(
      '{"v":1,"name":"items-60s","start":"2026-11-23T10:42:00.000Z","end":"2026-11-23T10:43:00.000Z",' +
        '"count":1,"min":7,"late":1,"final":true,"closedAt":"2026-11-23T10:44:02.500Z"}',
    );
  });
});
