import { messageOf } from '../../../lambdas/domain/errors';
import { hourPrefix, minuteLabel, parseStoredKey } from '../../../lambdas/domain/keys';
import type { ExclusionPair } from '../../../lambdas/domain/settings';
import type { ResultsObject } from '../../../lambdas/domain/stored-objects';
import { type BatchWriterObject, readFailureRecords, readJson, readResultsObjects } from '../bucket';
import { deployedBatchSettings } from '../deployed-rules';
import { type Clients, clientsFor, type Deployment } from '../deployment';
import { LogTail } from '../function-logs';
import { queueDepth } from '../queues';
import { getRequestStatus } from '../status-client';
import {
  byWrittenAt,
  LogTally,
  type Minute,
  type MinuteFigures,
  type MinuteSummary,
  minuteFigures,
  minuteSummaries,
  minutesBetween,
  type ObjectRow,
  type RequestLookup,
  requestReport,
  toObjectRow,
} from './figures';

/** Reads a deployment for the dashboard: S3 objects (each key once), the functions' logs, the queues. */

export interface QueueSample {
  /** Epoch milliseconds. */
  readonly at: number;
  readonly visible: number;
  readonly inFlight: number;
  readonly deadLetter: number;
}

export interface Depth {
  readonly visible: number;
  readonly inFlight: number;
}

export interface Overview {
  readonly stackName: string;
  readonly endpoint?: string;
  readonly region: string;
  readonly bucketName: string;
  readonly generatedAt: string;
  readonly windowMinutes: number;
  /** The batch function's exclusion pairs; absent until they could be read (nothing is judged by a guess). */
  readonly exclusionPairs?: readonly ExclusionPair[];
  readonly queue?: Depth;
  readonly deadLetter?: Depth;
  readonly minutes: readonly MinuteFigures[];
  readonly queueSamples: readonly QueueSample[];
  /** Minutes that hold objects, newest first. */
  readonly browser: readonly MinuteSummary[];
  readonly resultsObjects: number;
  /** Absent while the exclusion pairs are unknown. */
  readonly objectsBreakingExclusion?: number;
  /** Failure records, newest first. */
  readonly recentFailures: readonly ObjectRow[];
  /** A source that could not be read this time, e.g. `logs: AccessDenied ...`; the rest still shows. */
  readonly problems: readonly string[];
}

export interface DashboardDataOptions {
  readonly windowMinutes?: number;
  /** A refresh asked for sooner than this after the last one reuses it (several browser tabs). */
  readonly minRefreshMs?: number;
  readonly clients?: Clients;
  /** How request lookups call the API (GET /requests/{requestId}). */
  readonly http?: typeof fetch;
}

const RECENT_FAILURES = 20;

const HOUR_MS = 3_600_000;
const hourOf = (at: Date): Date => new Date(Math.floor(at.getTime() / HOUR_MS) * HOUR_MS);

/** Each hour the window touches, oldest first: a few LISTs per refresh. */
function hoursBetween(from: Date, to: Date): Date[] {
  const hours: Date[] = [];
  for (let at = hourOf(from).getTime(); at <= to.getTime(); at += HOUR_MS) hours.push(new Date(at));
  return hours;
}

export class DashboardData {
  readonly windowMinutes: number;
  private readonly clients: Clients;
  private readonly minRefreshMs: number;
  private readonly http: typeof fetch;
  /** The window's objects by key: objects are written once, so none is read twice. */
  private readonly objects = new Map<string, BatchWriterObject>();
  private readonly tally = new LogTally();
  private readonly ingestLogs: LogTail;
  private readonly batchLogs: LogTail;
  private exclusionPairs: readonly ExclusionPair[] | undefined;
  private queue: Depth | undefined;
  private deadLetter: Depth | undefined;
  private samples: QueueSample[] = [];
  private problems: string[] = [];
  private refreshing: Promise<void> | undefined;
  private refreshedAt = 0;

  constructor(
    private readonly deployment: Deployment,
    options: DashboardDataOptions = {},
  ) {
    this.windowMinutes = options.windowMinutes ?? 60;
    this.minRefreshMs = options.minRefreshMs ?? 1000;
    this.clients = options.clients ?? clientsFor(deployment);
    this.http = options.http ?? fetch;
    const since = this.windowStart().getTime();
    this.ingestLogs = new LogTail(deployment, deployment.ingestFunctionName, since);
    this.batchLogs = new LogTail(deployment, deployment.batchFunctionName, since);
  }

  private windowStart(): Date {
    return new Date(Date.now() - (this.windowMinutes - 1) * 60_000);
  }

  /** Reads what is new; concurrent callers share one refresh, and a fresh one is reused. */
  refresh(): Promise<void> {
    if (this.refreshing) return this.refreshing;
    if (Date.now() - this.refreshedAt < this.minRefreshMs) return Promise.resolve();
    this.refreshing = this.readAll().finally(() => {
      this.refreshedAt = Date.now();
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async readAll(): Promise<void> {
    const problems: string[] = [];
    const attempt = async (source: string, read: () => Promise<void>) => {
      try {
        await read();
      } catch (error) {
        problems.push(`${source}: ${messageOf(error)}`);
      }
    };
    await attempt('rules', () => this.readRules());
    await Promise.all([
      attempt('objects', () => this.readObjects()),
      attempt('logs', () => this.readLogs()),
      attempt('queues', () => this.readQueues()),
    ]);
    this.problems = problems;
  }

  /** The exclusion pairs the batch function runs with (its environment), read once. */
  private async readRules(): Promise<void> {
    this.exclusionPairs ??= (await deployedBatchSettings(this.deployment)).exclusionPairs;
  }

  private async readObjects(): Promise<void> {
    const from = this.windowStart();
    // Keys of an hour no longer listed are never listed again: forget them.
    const firstListed = minuteLabel(hourOf(from));
    for (const key of this.objects.keys()) {
      if ((parseStoredKey(key)?.minute ?? '') < firstListed) this.objects.delete(key);
    }
    const { bucketName } = this.deployment;
    const skip = new Set(this.objects.keys());
    for (const hour of hoursBetween(from, new Date())) {
      const read = await Promise.all([
        readResultsObjects(this.clients, bucketName, { prefix: hourPrefix('results', hour), skip }),
        readFailureRecords(this.clients, bucketName, { prefix: hourPrefix('failed', hour), skip }),
      ]);
      for (const object of read.flat()) this.objects.set(object.key, object);
    }
  }

  private async readLogs(): Promise<void> {
    const [ingest, batch] = await Promise.all([this.ingestLogs.read(), this.batchLogs.read()]);
    for (const line of ingest) this.tally.addIngest(line);
    for (const line of batch) this.tally.addBatch(line);
    this.tally.forgetBefore(minuteLabel(this.windowStart()));
  }

  private async readQueues(): Promise<void> {
    [this.queue, this.deadLetter] = await Promise.all([
      queueDepth(this.clients, this.deployment.queueUrl),
      queueDepth(this.clients, this.deployment.deadLetterQueueUrl),
    ]);
    const at = Date.now();
    this.samples = [
      ...this.samples.filter((sample) => sample.at >= this.windowStart().getTime()),
      { at, ...this.queue, deadLetter: this.deadLetter.visible + this.deadLetter.inFlight },
    ];
  }

  /** The window's rows, in write order, judged by the deployment's rule once it is known. */
  private rowsInWindow(): ObjectRow[] {
    const from = minuteLabel(this.windowStart());
    return [...this.objects.values()]
      .flatMap((object) => toObjectRow(object, this.exclusionPairs) ?? [])
      .filter((row) => row.minute >= from)
      .sort(byWrittenAt);
  }

  async overview(): Promise<Overview> {
    await this.refresh();
    const rows = this.rowsInWindow();
    const results = rows.filter((row) => row.kind === 'results');
    const { stackName, endpoint, region, bucketName } = this.deployment;
    return {
      stackName,
      ...(endpoint ? { endpoint } : {}),
      region,
      bucketName,
      generatedAt: new Date().toISOString(),
      windowMinutes: this.windowMinutes,
      ...(this.exclusionPairs ? { exclusionPairs: this.exclusionPairs } : {}),
      ...(this.queue ? { queue: this.queue } : {}),
      ...(this.deadLetter ? { deadLetter: this.deadLetter } : {}),
      minutes: minuteFigures(
        rows,
        this.problems.some((problem) => problem.startsWith('logs:')) ? undefined : this.tally,
        minutesBetween(this.windowStart(), new Date()),
      ),
      queueSamples: this.samples,
      browser: minuteSummaries(rows),
      resultsObjects: results.length,
      ...(this.exclusionPairs
        ? { objectsBreakingExclusion: results.filter((row) => row.breaksExclusion).length }
        : {}),
      recentFailures: rows
        .filter((row) => row.kind === 'failed')
        .reverse()
        .slice(0, RECENT_FAILURES),
      problems: this.problems,
    };
  }

  /** The objects of one minute, in write order. */
  async objectsOf(minute: Minute): Promise<ObjectRow[]> {
    await this.refresh();
    return this.rowsInWindow().filter((row) => row.minute === minute);
  }

  /**
   * A request's status from the request ledger, through the API with the deployment's key as a producer
   * would ask, and the objects holding its items (read once; they are written once).
   */
  readonly lookup: RequestLookup = async (requestId) => {
    const status = await getRequestStatus(this.deployment, requestId, this.http);
    await Promise.all(
      status.objects
        .filter((key) => !this.objects.has(key))
        .map(async (key) => {
          const body = await readJson<ResultsObject>(this.clients, this.deployment.bucketName, key);
          this.objects.set(key, { key, lastModified: undefined, body, kind: 'results' });
        }),
    );
    const results = status.objects.flatMap((key) => {
      const object = this.objects.get(key);
      return (object && toObjectRow(object, this.exclusionPairs)) ?? [];
    });
    return requestReport(status, results, this.rowsInWindow());
  };
}
