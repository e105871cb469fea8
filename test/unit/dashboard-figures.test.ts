import { describe, expect, it } from 'vitest';
import type { BatchWriterObject } from '../../cdk/ops/bucket';
import {
  analysisPanel,
  analysisSeries,
  LogTally,
  minuteFigures,
  minuteSummaries,
  minutesBetween,
  type ObjectRow,
  requestReport,
  toObjectRow,
} from '../../cdk/ops/dashboard/figures';
import type { LogLine } from '../../cdk/ops/function-logs';
import type { AnsweredWindow } from '../../lambdas/analyses-api/read-windows';
import type { RequestStatus } from '../../lambdas/domain/ledger';
import { storedFailure, storedResults } from './factories.stored';
import { analysis, T0 } from './factories.windows';

const PAIRS = [[1, 2]] as const;

const row = (object: BatchWriterObject): ObjectRow => {
  const made = toObjectRow(object, PAIRS);
  if (!made) throw new Error(`no row for ${object.key}`);
  return made;
};

const results = (minute: string, writtenAt: string, items: [number, string, number][]): ObjectRow =>
  row(
    storedResults(
      `results/2026/11/23/10/${minute}/${writtenAt}.json`,
      items.map(([item, requestId, index]) => ({ item, requestId, index })),
      { writtenAt: `2026-11-23T10:${minute}:${writtenAt}Z` },
    ),
  );

const failure = (minute: string, writtenAt: string, item: number, requestId: string, index: number) =>
  row(
    storedFailure(`failed/2026/11/23/10/${minute}/m-${item}.json`, {
      writtenAt: `2026-11-23T10:${minute}:${writtenAt}Z`,
      reason: 'write_failed',
      error: 'InjectedFaultError: FAULT_ITEMS',
      item,
      requestId,
      index,
      receiveCount: 3,
    }),
  );

describe('minutes', () => {
  it('minutesBetween lists every minute of a range, both ends included, across an hour', () => {
    expect(minutesBetween(new Date('2026-11-23T10:58:30Z'), new Date('2026-11-23T11:01:05Z'))).toEqual([
      '2026-11-23T10:58Z',
      '2026-11-23T10:59Z',
      '2026-11-23T11:00Z',
      '2026-11-23T11:01Z',
    ]);
  });
});

describe('toObjectRow', () => {
  it('marks the two items of an exclusion pair apart and keeps every item as a chip', () => {
    // Act
    const made = results('42', '01', [
      [2, 'r1', 1],
      [3, 'r1', 2],
      [1, 'r2', 0],
    ]);

    // Assert
    expect(made).toMatchObject({ kind: 'results', minute: '2026-11-23T10:42Z', breaksExclusion: true });
    expect(made.items).toEqual([
      { item: 2, requestId: 'r1', index: 1, mark: 'b' },
      { item: 3, requestId: 'r1', index: 2 },
      { item: 1, requestId: 'r2', index: 0, mark: 'a' },
    ]);
  });

  it('keeps an object holding one item of the pair within the rule', () => {
    expect(results('42', '01', [[1, 'r1', 0]]).breaksExclusion).toBe(false);
  });

  it('turns a failure record into a row of its one item, with its reason and receive count', () => {
    expect(failure('43', '05', 13, 'r3', 0)).toEqual({
      key: 'failed/2026/11/23/10/43/m-13.json',
      kind: 'failed',
      minute: '2026-11-23T10:43Z',
      writtenAt: '2026-11-23T10:43:05Z',
      items: [{ item: 13, requestId: 'r3', index: 0 }],
      breaksExclusion: false,
      reason: 'write_failed',
      error: 'InjectedFaultError: FAULT_ITEMS',
      receiveCount: 3,
    });
  });

  it("marks nothing and calls nothing broken while the deployment's rule is unknown", () => {
    // Prepare
    const object = storedResults('results/2026/11/23/10/42/a.json', [
      { item: 1, requestId: 'r1', index: 0 },
      { item: 2, requestId: 'r1', index: 1 },
    ]);

    // Act
    const made = toObjectRow(object, undefined);

    // Assert
    expect(made?.breaksExclusion).toBe(false);
    expect(made?.items).toEqual([
      { item: 1, requestId: 'r1', index: 0 },
      { item: 2, requestId: 'r1', index: 1 },
    ]);
    expect(toObjectRow(object, [[1, 2]])?.breaksExclusion).toBe(true);
  });

  it('shows a malformed record with no item, and ignores keys outside the minutes', () => {
    // Act
    const malformed = row(
      storedFailure('failed/2026/11/23/10/43/m-x.json', { reason: 'malformed', receiveCount: 1, body: '{' }),
    );

    // Assert
    expect(malformed.items).toEqual([]);
    expect(malformed.reason).toBe('malformed');
    expect(toObjectRow(storedResults('results/readme.txt', []), PAIRS)).toBeUndefined();
  });
});

const metricsLine = (figures: Record<string, number>) =>
  JSON.stringify({ _aws: { Timestamp: 0, CloudWatchMetrics: [] }, service: 'x', ...figures });

const at = (time: string, message: string, stream = 's1'): LogLine => ({
  timestamp: Date.parse(`2026-11-23T${time}Z`),
  message,
  stream,
});

describe('LogTally', () => {
  it('counts accepted items per minute from the ingest metrics lines (prefixed or not) and nothing else', () => {
    // Prepare
    const tally = new LogTally();

    // Act
    tally.addIngest(at('10:42:01', metricsLine({ ItemsAccepted: 4 })));
    tally.addIngest(at('10:42:30', '{"level":"INFO","message":"Request accepted","accepted":4}'));
    tally.addIngest(at('10:42:59', `2026-11-23T10:42:59Z\treq\tINFO\t${metricsLine({ ItemsAccepted: 1 })}`));
    tally.addIngest(at('10:43:00', metricsLine({ ItemsAccepted: 3 })));
    tally.addIngest(at('10:43:01', '{"_aws": not json'));
    tally.addIngest(at('10:43:02', metricsLine({ LedgerErrors: 1 })));

    // Assert
    expect(tally.minute('2026-11-23T10:42Z').accepted).toBe(5);
    expect(tally.minute('2026-11-23T10:42Z').ledgerErrors).toBe(0);
    expect(tally.minute('2026-11-23T10:43Z').ledgerErrors).toBe(1);
    expect(tally.minute('2026-11-23T10:43Z').accepted).toBe(3);
  });

  it('counts batch invocations by REPORT line, and as errors those whose stream printed no metrics', () => {
    // Prepare
    const tally = new LogTally();
    const report = 'REPORT RequestId: r\tDuration: 5 ms';

    // Act: two streams interleaved; the second invocation of s1 crashed before its metrics.
    tally.addBatch(at('10:42:01', 'START RequestId: a'));
    tally.addBatch(at('10:42:01', metricsLine({ ExclusionSplits: 1, ItemsFailed: 0 }), 's1'));
    tally.addBatch(
      at('10:42:01', metricsLine({ ExclusionSplits: 2, ItemsFailed: 1, LedgerErrors: 2 }), 's2'),
    );
    tally.addBatch(at('10:42:02', report, 's1'));
    tally.addBatch(at('10:42:03', 'Error: Injected crash after writes', 's1'));
    tally.addBatch(at('10:42:03', report, 's1'));
    tally.addBatch(at('10:43:00', report, 's2'));

    // Assert
    expect(tally.minute('2026-11-23T10:42Z')).toEqual({
      accepted: 0,
      invocations: 2,
      errors: 1,
      exclusionSplits: 3,
      recordsFailed: 1,
      ledgerErrors: 2,
    });
    expect(tally.minute('2026-11-23T10:43Z')).toMatchObject({ invocations: 1, errors: 0 });
  });

  it('forgets minutes before the window', () => {
    // Prepare
    const tally = new LogTally();
    tally.addIngest(at('10:41:00', metricsLine({ ItemsAccepted: 2 })));
    tally.addIngest(at('10:42:00', metricsLine({ ItemsAccepted: 3 })));

    // Act
    tally.forgetBefore('2026-11-23T10:42Z');

    // Assert
    expect(tally.minute('2026-11-23T10:41Z').accepted).toBe(0);
    expect(tally.minute('2026-11-23T10:42Z').accepted).toBe(3);
  });
});

describe('per-minute figures', () => {
  const rows = [
    results('42', '01', [
      [1, 'r1', 0],
      [3, 'r1', 2],
    ]),
    results('42', '02', [[2, 'r1', 1]]),
    failure('43', '05', 13, 'r2', 0),
    results('44', '00', [[5, 'r3', 0]]),
  ];

  it('counts stored items and objects from S3, the rest from the logs, with a point for every minute', () => {
    // Prepare
    const tally = new LogTally();
    tally.addIngest(at('10:42:00', metricsLine({ ItemsAccepted: 3 })));

    // Act
    const figures = minuteFigures(rows, tally, [
      '2026-11-23T10:41Z',
      '2026-11-23T10:42Z',
      '2026-11-23T10:43Z',
    ]);

    // Assert
    expect(figures).toEqual([
      {
        minute: '2026-11-23T10:41Z',
        stored: 0,
        objects: 0,
        failureRecords: 0,
        accepted: 0,
        invocations: 0,
        errors: 0,
        exclusionSplits: 0,
        recordsFailed: 0,
        ledgerErrors: 0,
      },
      expect.objectContaining({ minute: '2026-11-23T10:42Z', stored: 3, objects: 2, accepted: 3 }),
      expect.objectContaining({ minute: '2026-11-23T10:43Z', stored: 0, objects: 0, failureRecords: 1 }),
    ]);
  });

  it('leaves the log figures out when the logs could not be read', () => {
    expect(minuteFigures(rows, undefined, ['2026-11-23T10:42Z'])).toEqual([
      { minute: '2026-11-23T10:42Z', stored: 3, objects: 2, failureRecords: 0 },
    ]);
  });

  it('lists the minutes that hold objects, newest first, for the browser', () => {
    expect(minuteSummaries(rows)).toEqual([
      { minute: '2026-11-23T10:44Z', objects: 1, items: 1, failureRecords: 0 },
      { minute: '2026-11-23T10:43Z', objects: 0, items: 0, failureRecords: 1 },
      { minute: '2026-11-23T10:42Z', objects: 2, items: 3, failureRecords: 0 },
    ]);
  });
});

describe('requestReport', () => {
  const status = (fields: Partial<RequestStatus> = {}): RequestStatus => ({
    requestId: 'r1',
    status: 'failed',
    accepted: 3,
    stored: 2,
    pending: 0,
    failed: 1,
    acceptedAt: '2026-11-23T10:41:59Z',
    objects: [],
    ...fields,
  });

  it("shows the ledger's status, its results objects in write order, then the request's failure records", () => {
    // Prepare
    const later = results('44', '09', [
      [4, 'r1', 3],
      [9, 'other', 0],
    ]);
    const earlier = results('42', '01', [[1, 'r1', 0]]);
    const failed = failure('43', '00', 13, 'r1', 2);
    const othersFailure = failure('43', '02', 13, 'other', 1);
    const unrelated = results('42', '03', [[2, 'other', 1]]);

    // Act
    const report = requestReport(
      status(),
      [later, earlier],
      [later, failed, othersFailure, unrelated, earlier],
    );

    // Assert
    expect(report).toEqual({ requestId: 'r1', status: status(), objects: [earlier, later, failed] });
  });

  it('reports a request with nothing stored yet as its status alone', () => {
    expect(requestReport(status({ status: 'queued', stored: 0, failed: 0, pending: 3 }), [], [])).toEqual({
      requestId: 'r1',
      status: status({ status: 'queued', stored: 0, failed: 0, pending: 3 }),
      objects: [],
    });
  });
});

describe('analyses', () => {
  /** A window of items-60s starting `seconds` after T0. */
  const window = (seconds: number, fields: Partial<AnsweredWindow> = {}): AnsweredWindow => ({
    start: new Date((T0 + seconds) * 1000).toISOString(),
    end: new Date((T0 + seconds + 60) * 1000).toISOString(),
    count: 0,
    sum: 0,
    late: 0,
    final: true,
    ...fields,
  });

  it('titles a panel with the W, A and L of its analysis', () => {
    expect(
      analysisPanel(analysis({ name: 'slow', windowSeconds: 300, advanceSeconds: 60, latenessSeconds: 0 })),
    ).toEqual({
      ...analysis({ name: 'slow', windowSeconds: 300, advanceSeconds: 60, latenessSeconds: 0 }),
      shape: 'W 300 s, A 60 s, L 0 s',
    });
  });

  it('splits count and mean into final and provisional series that join, with a gap where a window has no mean', () => {
    // Prepare
    const windows = [
      window(0),
      window(10, { count: 2, sum: 3, min: 1, max: 2, mean: 1.5 }),
      window(20, { count: 4, sum: 10, min: 1, max: 4, mean: 2.5, late: 1 }),
      window(30, { count: 3, sum: 6, min: 1, max: 3, mean: 2, final: false }),
      window(40, { final: false }),
    ];

    // Act
    const series = analysisSeries({ name: 'items-60s', windows });

    // Assert
    expect(series).toEqual({
      name: 'items-60s',
      windows,
      final: 3,
      provisional: 2,
      provisionalFrom: T0 + 30,
      columns: {
        x: [T0, T0 + 10, T0 + 20, T0 + 30, T0 + 40],
        count: [0, 2, 4, null, null],
        countProvisional: [null, null, 4, 3, 0],
        mean: [null, 1.5, 2.5, null, null],
        meanProvisional: [null, null, 2.5, 2, null],
      },
    });
  });

  it('has no provisional part when every window is final, and no final part when none is', () => {
    // Act
    const final = analysisSeries({ name: 'a', windows: [window(0, { count: 1, mean: 7 }), window(10)] });
    const open = analysisSeries({
      name: 'a',
      windows: [window(0, { final: false }), window(10, { final: false })],
    });
    const empty = analysisSeries({ name: 'a', windows: [] });

    // Assert
    expect(final).toMatchObject({ final: 2, provisional: 0 });
    expect(final.provisionalFrom).toBeUndefined();
    expect(final.columns.countProvisional).toEqual([null, null]);
    expect(open).toMatchObject({ final: 0, provisional: 2, provisionalFrom: T0 });
    expect(open.columns).toMatchObject({ count: [null, null], countProvisional: [0, 0] });
    expect(empty).toEqual({
      name: 'a',
      windows: [],
      final: 0,
      provisional: 0,
      columns: { x: [], count: [], countProvisional: [], mean: [], meanProvisional: [] },
    });
  });
});
