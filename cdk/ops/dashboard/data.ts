import type { Analysis } from '../../../lambdas/domain/analyses';
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
import { getAnalyses, getWindows } from '../windows-client';
import {
  type AnalysisPanel,
  type AnalysisSeries,
  analysisPanel,
  analysisSeries,
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
  /** The registered analyses (GET /analyses); absent until they could be read. */
  readonly analyses?: readonly AnalysisPanel[];
  /** A source that could not be read this time, e.g. `logs: AccessDenied ...`; the rest still shows. */
  readonly problems: readonly string[];
}

export interface DashboardDataOptions {
  readonly windowMinutes?: number;
  /** A refresh asked for sooner than this after the last one reuses it (several browser tabs). */
  readonly minRefreshMs?: number;
  readonly clients?: Clients;
  /** How request lookups and the analyses' panels call the API (GET /requests/{requestId}, GET /analyses...). */
  readonly http?: typeof fetch;
  /** An analysis's windows asked for sooner than this after the last read reuse it. */
  readonly windowsRefreshMs?: number;
}

const RECENT_FAILURES = 20;
/** The registered analyses change only with a deploy: read again this long after the last read. */
const ANALYSES_REFRESH_MS = 30_000;

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
  private analyses: readonly Analysis[] | undefined;
  private analysesReadAt = 0;
  private readonly windowsRefreshMs: number;
  /** Each analysis's last read of its windows, shared by the page's panels in every tab. */
  private readonly windowReads = new Map<
    string,
    { readonly at: number; readonly series: Promise<AnalysisSeries> }
  >();

  constructor(
    private readonly deployment: Deployment,
    options: DashboardDataOptions = {},
  ) {
    this.windowMinutes = options.windowMinutes ?? 60;
    this.minRefreshMs = options.minRefreshMs ?? 1000;
    this.clients = options.clients ?? clientsFor(deployment);
    this.http = options.http ?? fetch;
    this.windowsRefreshMs = options.windowsRefreshMs ?? 5_000;
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
      attempt('analyses', () => this.readAnalyses()),
    ]);
    this.problems = problems;
  }

  /** The exclusion pairs the batch function runs with (its environment), read once. */
  private async readRules(): Promise<void> {
    this.exclusionPairs ??= (await deployedBatchSettings(this.deployment)).exclusionPairs;
  }

  /** The registered analyses, through the API as a producer would ask; the last ones read stay on a failure. */
  private async readAnalyses(): Promise<void> {
    if (this.analyses && Date.now() - this.analysesReadAt < ANALYSES_REFRESH_MS) return;
    const { analyses } = await getAnalyses(this.deployment, this.http);
    if (!Array.isArray(analyses)) throw new Error('GET /analyses answered without a list of analyses');
    this.analyses = analyses;
    this.analysesReadAt = Date.now();
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
      ...(this.analyses ? { analyses: this.analyses.map(analysisPanel) } : {}),
    };
  }

  /**
   * An analysis's windows over the API's default range (the last 30 minutes), shaped for its panel:
   * GET /analyses/{name}/windows with the deployment's key, as `npm run windows` asks. A read fresher
   * than windowsRefreshMs is reused; a failed one is not kept, and its error (e.g. ANALYSIS_NOT_FOUND,
   * WINDOWS_UNAVAILABLE) is the answer.
   */
  windowsOf(name: string): Promise<AnalysisSeries> {
    const last = this.windowReads.get(name);
    if (last && Date.now() - last.at < this.windowsRefreshMs) return last.series;
    const series = getWindows(this.deployment, name, {}, this.http).then(analysisSeries);
    this.windowReads.set(name, { at: Date.now(), series });
    series.catch(() => {
      if (this.windowReads.get(name)?.series === series) this.windowReads.delete(name);
    });
    return series;
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
