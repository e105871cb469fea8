import type { AnsweredWindow, WindowsAnswer } from '../../../lambdas/analyses-api/read-windows';
import type { Analysis } from '../../../lambdas/domain/analyses';
import { minuteLabel, parseStoredKey } from '../../../lambdas/domain/keys';
import type { RequestStatus } from '../../../lambdas/domain/ledger';
import { breachedPairs } from '../../../lambdas/domain/segment';
import type { ExclusionPair } from '../../../lambdas/domain/settings';
import { METRIC } from '../../../lambdas/shared/metric-names';
import type { BatchWriterObject } from '../bucket';
import type { LogLine } from '../function-logs';
import { analysisShape } from '../windows-client';

/** What the dashboard shows, computed from stored objects and the functions' log lines: pure, no AWS. */

/** A minute as `YYYY-MM-DDTHH:mmZ`, the label results objects carry in their body. */
export type Minute = string;

/** Every minute from `from` to `to`, both included, oldest first. */
export function minutesBetween(from: Date, to: Date): Minute[] {
  const minutes: Minute[] = [];
  for (let at = Math.floor(from.getTime() / 60_000) * 60_000; at <= to.getTime(); at += 60_000) {
    minutes.push(minuteLabel(new Date(at)));
  }
  return minutes;
}

/** `a` and `b`: the first and second item of an exclusion pair (1 and 2 by default), shown in two colours. */
export type PairMark = 'a' | 'b';

export interface ItemChip {
  readonly item: number;
  readonly requestId: string;
  readonly index: number;
  readonly mark?: PairMark;
}

/** One object of `results/` or `failed/`: a row of the browser, its items as chips. */
export interface ObjectRow {
  readonly key: string;
  readonly kind: 'results' | 'failed';
  readonly minute: Minute;
  readonly writtenAt: string;
  readonly items: readonly ItemChip[];
  /** A results object holding both items of an exclusion pair: the rule broken (false while the rule is unknown). */
  readonly breaksExclusion: boolean;
  readonly reason?: string;
  readonly error?: string;
  readonly receiveCount?: number;
}

const markOf = (item: number, pairs: readonly ExclusionPair[]): PairMark | undefined => {
  if (pairs.some(([a]) => a === item)) return 'a';
  return pairs.some(([, b]) => b === item) ? 'b' : undefined;
};

/**
 * A stored object as a row; undefined for a key outside the layout. Without the deployment's exclusion
 * pairs (not read yet) nothing is marked and nothing is called broken: never judged by a guessed rule.
 */
export function toObjectRow(
  object: BatchWriterObject,
  pairs: readonly ExclusionPair[] | undefined,
): ObjectRow | undefined {
  const stored = parseStoredKey(object.key);
  if (!stored) return undefined;
  const { body } = object;
  // A failure record of a malformed message names no item.
  const entries =
    object.kind === 'results'
      ? object.body.items
      : object.body.item === undefined
        ? []
        : [{ item: object.body.item, requestId: object.body.requestId ?? '', index: object.body.index ?? 0 }];
  const items = entries.map(({ item, requestId, index }) => {
    const mark = pairs && markOf(item, pairs);
    return { item, requestId, index, ...(mark ? { mark } : {}) };
  });
  return {
    key: object.key,
    kind: object.kind,
    minute: stored.minute,
    writtenAt: body.writtenAt,
    items,
    breaksExclusion:
      object.kind === 'results' &&
      pairs !== undefined &&
      breachedPairs(
        items.map((chip) => chip.item),
        pairs,
      ).length > 0,
    ...(object.kind === 'failed'
      ? { reason: object.body.reason, error: object.body.error, receiveCount: object.body.receiveCount }
      : {}),
  };
}

/** Rows in the order they were written (keys hash their content, so key order means nothing). */
export const byWrittenAt = (a: ObjectRow, b: ObjectRow): number =>
  a.writtenAt.localeCompare(b.writtenAt) || a.key.localeCompare(b.key);

/** What the functions' log lines say about one minute (the batch function's figures, the ingest's accepted). */
export interface LogMinute {
  accepted: number;
  invocations: number;
  errors: number;
  exclusionSplits: number;
  recordsFailed: number;
  /** Ledger calls that failed in ingest or the batch writer (the items went on without them). */
  ledgerErrors: number;
}

const emptyLogMinute = (): LogMinute => ({
  accepted: 0,
  invocations: 0,
  errors: 0,
  exclusionSplits: 0,
  recordsFailed: 0,
  ledgerErrors: 0,
});

/** The figures of a Powertools metrics line (embedded metric format); undefined for any other line. */
function metricsOf(message: string): Record<string, unknown> | undefined {
  // Powertools prints the JSON alone; tolerate a runtime's `time\trequestId\tINFO\t` prefix all the same.
  const start = message.indexOf('{');
  if (start < 0 || !message.includes('"_aws"')) return undefined;
  try {
    return JSON.parse(message.slice(start)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

const count = (figures: Record<string, unknown>, name: string): number => {
  const value = figures[name];
  return typeof value === 'number' ? value : 0;
};

/**
 * Per-minute tallies from the functions' log lines, fed incrementally. Accepted items come from the
 * ingest function's `ItemsAccepted` metric line. A batch invocation is a `REPORT` line (AWS and the
 * emulator both write one per invocation); it is an error when its stream printed no metrics line
 * since the previous `REPORT` (the handler publishes them on every completed invocation, so a crash,
 * a timeout or a failed cold start leaves none). Exclusion splits and failed records are its metrics;
 * ledger errors are both functions'.
 */
export class LogTally {
  private readonly minutes = new Map<Minute, LogMinute>();
  private readonly streamsWithFigures = new Set<string>();

  private at(timestamp: number): LogMinute {
    const minute = minuteLabel(new Date(timestamp));
    let tally = this.minutes.get(minute);
    if (!tally) {
      tally = emptyLogMinute();
      this.minutes.set(minute, tally);
    }
    return tally;
  }

  addIngest(line: LogLine): void {
    const figures = metricsOf(line.message);
    if (figures) {
      const tally = this.at(line.timestamp);
      tally.accepted += count(figures, METRIC.itemsAccepted);
      tally.ledgerErrors += count(figures, METRIC.ledgerErrors);
    }
  }

  addBatch(line: LogLine): void {
    const figures = metricsOf(line.message);
    if (figures) {
      const tally = this.at(line.timestamp);
      tally.exclusionSplits += count(figures, METRIC.exclusionSplits);
      tally.recordsFailed += count(figures, METRIC.itemsFailed);
      tally.ledgerErrors += count(figures, METRIC.ledgerErrors);
      this.streamsWithFigures.add(line.stream);
    } else if (line.message.startsWith('REPORT RequestId:')) {
      const tally = this.at(line.timestamp);
      tally.invocations += 1;
      if (!this.streamsWithFigures.delete(line.stream)) tally.errors += 1;
    }
  }

  minute(minute: Minute): LogMinute {
    return this.minutes.get(minute) ?? emptyLogMinute();
  }

  /** Forgets minutes before this one (labels sort as times). */
  forgetBefore(minute: Minute): void {
    for (const key of this.minutes.keys()) if (key < minute) this.minutes.delete(key);
  }
}

/** One point of the charts. Log figures are null when the logs could not be read. */
export interface MinuteFigures extends Partial<LogMinute> {
  readonly minute: Minute;
  readonly stored: number;
  readonly objects: number;
  readonly failureRecords: number;
}

/** Per-minute figures over the given minutes: stored items and objects from S3, the rest from the logs. */
export function minuteFigures(
  rows: readonly ObjectRow[],
  logs: LogTally | undefined,
  minutes: readonly Minute[],
): MinuteFigures[] {
  const stored = new Map<Minute, { stored: number; objects: number; failureRecords: number }>();
  for (const row of rows) {
    const figures = stored.get(row.minute) ?? { stored: 0, objects: 0, failureRecords: 0 };
    if (row.kind === 'results') {
      figures.stored += row.items.length;
      figures.objects += 1;
    } else {
      figures.failureRecords += 1;
    }
    stored.set(row.minute, figures);
  }
  return minutes.map((minute) => ({
    minute,
    ...(stored.get(minute) ?? { stored: 0, objects: 0, failureRecords: 0 }),
    ...(logs ? logs.minute(minute) : {}),
  }));
}

/** The minutes that hold objects, newest first, with what they hold: the browser's minute strip. */
export interface MinuteSummary {
  readonly minute: Minute;
  readonly objects: number;
  readonly items: number;
  readonly failureRecords: number;
}

export function minuteSummaries(rows: readonly ObjectRow[]): MinuteSummary[] {
  const figures = minuteFigures(rows, undefined, [...new Set(rows.map((row) => row.minute))].sort());
  return figures.reverse().map(({ minute, objects, stored, failureRecords }) => ({
    minute,
    objects,
    items: stored,
    failureRecords,
  }));
}

/** What a lookup tells about one request: its status in the request ledger and the objects holding its items. */
export interface RequestReport {
  readonly requestId: string;
  readonly status: RequestStatus;
  /** Its results objects (the ledger's keys), in write order, then its failure records in the window. */
  readonly objects: readonly ObjectRow[];
}

/** Answers a lookup by request id, from the request ledger (GET /requests/{requestId}). */
export type RequestLookup = (requestId: string) => Promise<RequestReport>;

/**
 * The report of a request: the results objects the ledger names, and the failure records of its items
 * (the ledger counts failed items but keeps no record keys, so these are the window's).
 */
export function requestReport(
  status: RequestStatus,
  results: readonly ObjectRow[],
  windowRows: readonly ObjectRow[],
): RequestReport {
  const failures = windowRows.filter(
    (row) => row.kind === 'failed' && row.items.some((chip) => chip.requestId === status.requestId),
  );
  return {
    requestId: status.requestId,
    status,
    objects: [...[...results].sort(byWrittenAt), ...failures.sort(byWrittenAt)],
  };
}

/** A registered analysis as its panel is titled: its name, then `W 60 s, A 10 s, L 30 s`. */
export interface AnalysisPanel extends Analysis {
  readonly shape: string;
}

export const analysisPanel = (analysis: Analysis): AnalysisPanel => ({
  ...analysis,
  shape: analysisShape(analysis),
});

/** A chart column: one value per window, null where the series has no point. */
export type Column = readonly (number | null)[];

/** One analysis's windows as its panel draws them: a chart of count and mean, and a table. */
export interface AnalysisSeries {
  readonly name: string;
  /** As the API answered them: oldest first, empty ones included. */
  readonly windows: readonly AnsweredWindow[];
  readonly final: number;
  readonly provisional: number;
  /** The start (epoch s) of the first provisional window: the chart shades from there on. */
  readonly provisionalFrom?: number;
  /**
   * uPlot's columns: x is each window's start (epoch s); count and mean are each split in two series,
   * final windows and provisional ones, so they are drawn apart. A provisional part also holds the
   * final point just before it, so that the two lines join. Mean is null in an empty window.
   */
  readonly columns: {
    readonly x: readonly number[];
    readonly count: Column;
    readonly countProvisional: Column;
    readonly mean: Column;
    readonly meanProvisional: Column;
  };
}

/** Shapes `GET /analyses/{name}/windows`'s answer for the page; see AnalysisSeries. */
export function analysisSeries({ name, windows }: WindowsAnswer): AnalysisSeries {
  const joinsProvisional = (index: number) => windows[index + 1]?.final === false;
  const split = (value: (window: AnsweredWindow) => number | undefined) => ({
    final: windows.map((window) => (window.final ? (value(window) ?? null) : null)),
    provisional: windows.map((window, index) =>
      !window.final || joinsProvisional(index) ? (value(window) ?? null) : null,
    ),
  });
  const count = split((window) => window.count);
  const mean = split((window) => window.mean);
  const firstProvisional = windows.find((window) => !window.final);
  const final = windows.filter((window) => window.final).length;
  return {
    name,
    windows,
    final,
    provisional: windows.length - final,
    ...(firstProvisional ? { provisionalFrom: Date.parse(firstProvisional.start) / 1000 } : {}),
    columns: {
      x: windows.map((window) => Date.parse(window.start) / 1000),
      count: count.final,
      countProvisional: count.provisional,
      mean: mean.final,
      meanProvisional: mean.provisional,
    },
  };
}
