import {
  CloudWatchLogsClient,
  type FilteredLogEvent,
  FilterLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { messageOf } from '../../../lambdas/domain/errors';
import { minuteLabel, minutePath } from '../../../lambdas/domain/keys';
import { type ExclusionPair, LIMITS } from '../../../lambdas/domain/limits';
import { readBatchSettings } from '../../../lambdas/domain/settings';
import { type Clients, clientConfig, clientsFor, type Deployment } from '../deployment';
import { logGroupOf } from '../function-logs';
import { readObjects } from '../pipeline-client';
import { queueDepth } from '../queues';
import {
  byWrittenAt,
  findRequestInObjects,
  type LogLine,
  LogTally,
  type Minute,
  type MinuteFigures,
  type MinuteSummary,
  minuteFigures,
  minuteOfKey,
  minuteSummaries,
  minutesBetween,
  type ObjectRow,
  type RequestLookup,
  type StoredBody,
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
  readonly exclusionPairs: readonly ExclusionPair[];
  readonly queue?: Depth;
  readonly deadLetter?: Depth;
  readonly minutes: readonly MinuteFigures[];
  readonly queueSamples: readonly QueueSample[];
  /** Minutes that hold objects, newest first. */
  readonly browser: readonly MinuteSummary[];
  readonly resultsObjects: number;
  readonly objectsBreakingExclusion: number;
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
}

/** CloudWatch Logs may deliver an event a little after its timestamp: each read looks back this far. */
const LOG_LAG_MS = 30_000;
const RECENT_FAILURES = 20;

/** Reads one function's log events incrementally, each event once. */
class LogReader {
  private group: string | undefined;
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly deployment: Deployment,
    private readonly functionName: string,
    private readonly logs: CloudWatchLogsClient,
    private since: number,
  ) {}

  async read(): Promise<LogLine[]> {
    this.group ??= await logGroupOf(this.deployment, this.functionName);
    const events: FilteredLogEvent[] = [];
    let nextToken: string | undefined;
    try {
      do {
        const page = await this.logs.send(
          new FilterLogEventsCommand({
            logGroupName: this.group,
            startTime: this.since - LOG_LAG_MS,
            nextToken,
          }),
        );
        events.push(...(page.events ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
    } catch (error) {
      // The group appears with the function's first invocation; until then there is nothing to read.
      if ((error as Error).name !== 'ResourceNotFoundException') throw error;
    }
    const lines: LogLine[] = [];
    for (const event of events) {
      const timestamp = event.timestamp ?? 0;
      const id = event.eventId ?? `${event.logStreamName}:${timestamp}:${event.message}`;
      if (this.seen.has(id)) continue;
      this.seen.set(id, timestamp);
      lines.push({ timestamp, message: event.message ?? '', stream: event.logStreamName ?? '' });
    }
    this.since = lines.reduce((latest, line) => Math.max(latest, line.timestamp), this.since);
    for (const [id, timestamp] of this.seen) if (timestamp < this.since - LOG_LAG_MS) this.seen.delete(id);
    return lines;
  }
}

const HOUR_MS = 3_600_000;
const hourOf = (at: Date): Date => new Date(Math.floor(at.getTime() / HOUR_MS) * HOUR_MS);

/** `results/2026/11/23/10/` and `failed/...` for each hour the window touches: a few LISTs per refresh. */
function hourPrefixes(from: Date, to: Date): string[] {
  const prefixes: string[] = [];
  for (let at = hourOf(from).getTime(); at <= to.getTime(); at += HOUR_MS) {
    const hour = minutePath(new Date(at)).slice(0, 'YYYY/MM/DD/HH'.length);
    prefixes.push(`results/${hour}/`, `failed/${hour}/`);
  }
  return prefixes;
}

export class DashboardData {
  readonly windowMinutes: number;
  private readonly clients: Clients;
  private readonly minRefreshMs: number;
  private readonly rows = new Map<string, ObjectRow>();
  /** Keys read, rows or not: objects are written once, so none is read twice. */
  private readonly keysRead = new Set<string>();
  private readonly tally = new LogTally();
  private readonly ingestLogs: LogReader;
  private readonly batchLogs: LogReader;
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
    const logs = new CloudWatchLogsClient(clientConfig(deployment));
    const since = this.windowStart().getTime();
    this.ingestLogs = new LogReader(deployment, deployment.ingestFunctionName, logs, since);
    this.batchLogs = new LogReader(deployment, deployment.batchFunctionName, logs, since);
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
    if (this.exclusionPairs) return;
    const fn = await new LambdaClient(clientConfig(this.deployment)).send(
      new GetFunctionConfigurationCommand({ FunctionName: this.deployment.batchFunctionName }),
    );
    this.exclusionPairs = readBatchSettings(fn.Environment?.Variables ?? {}).exclusionPairs;
  }

  private pairs(): readonly ExclusionPair[] {
    return this.exclusionPairs ?? LIMITS.exclusionPairs.default;
  }

  private async readObjects(): Promise<void> {
    const from = this.windowStart();
    const prefixes = hourPrefixes(from, new Date());
    // Keys of an hour no longer listed are never listed again: forget them.
    const firstListed = minuteLabel(hourOf(from));
    for (const key of this.keysRead) {
      if ((minuteOfKey(key) ?? '') < firstListed) {
        this.keysRead.delete(key);
        this.rows.delete(key);
      }
    }
    for (const prefix of prefixes) {
      const objects = await readObjects<StoredBody>(this.clients, this.deployment.bucketName, prefix, {
        skip: this.keysRead,
      });
      for (const { key, body } of objects) {
        this.keysRead.add(key);
        const row = toObjectRow(key, body, this.pairs());
        if (row) this.rows.set(key, row);
      }
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

  /** The window's rows, in write order. */
  private rowsInWindow(): ObjectRow[] {
    const from = minuteLabel(this.windowStart());
    return [...this.rows.values()].filter((row) => row.minute >= from).sort(byWrittenAt);
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
      exclusionPairs: this.pairs(),
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
      objectsBreakingExclusion: results.filter((row) => row.breaksExclusion).length,
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

  /** Searches the window's objects; a request ledger can take its place (see RequestLookup). */
  readonly lookup: RequestLookup = async (requestId) => {
    await this.refresh();
    return findRequestInObjects(requestId, this.rowsInWindow(), minuteLabel(this.windowStart()));
  };
}
