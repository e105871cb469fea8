import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { messageOf } from '../../lambdas/domain/errors';
import { clientConfig, type Deployment } from './deployment';
import { readableLogLine } from './log-lines';

/** Reading the functions' CloudWatch Logs (the emulator records every invocation there too). */

/** One log event of a function. */
export interface LogLine {
  /** Epoch milliseconds. */
  readonly timestamp: number;
  readonly message: string;
  /** Invocations in one stream run one after another, which pairs a REPORT line with its figures. */
  readonly stream: string;
}

/** A function's log group: the one its logging config names, else Lambda's default. */
export async function logGroupOf(deployment: Deployment, functionName: string): Promise<string> {
  const fn = await new LambdaClient(clientConfig(deployment)).send(
    new GetFunctionConfigurationCommand({ FunctionName: functionName }),
  );
  return fn.LoggingConfig?.LogGroup ?? `/aws/lambda/${functionName}`;
}

/** Every event of a log group since a time (optionally matching a filter pattern), page by page. */
async function* logEvents(
  logs: CloudWatchLogsClient,
  logGroupName: string,
  since: number,
  filterPattern?: string,
): AsyncGenerator<LogLine & { readonly id: string }> {
  let nextToken: string | undefined;
  do {
    const page = await logs.send(
      new FilterLogEventsCommand({ logGroupName, startTime: since, filterPattern, nextToken }),
    );
    for (const event of page.events ?? []) {
      const timestamp = event.timestamp ?? 0;
      const message = event.message ?? '';
      const stream = event.logStreamName ?? '';
      yield { id: event.eventId ?? `${stream}:${timestamp}:${message}`, timestamp, message, stream };
    }
    nextToken = page.nextToken;
  } while (nextToken);
}

/** Every log message of a function since a time (optionally matching a filter pattern). */
export async function* functionLogMessages(
  deployment: Deployment,
  functionName: string,
  since: number,
  filterPattern?: string,
): AsyncGenerator<string> {
  const logs = new CloudWatchLogsClient(clientConfig(deployment));
  const group = await logGroupOf(deployment, functionName);
  for await (const event of logEvents(logs, group, since, filterPattern)) yield event.message;
}

/** CloudWatch Logs may deliver an event a little after its timestamp: each read looks back this far. */
const LOG_LAG_MS = 30_000;

/**
 * A function's log, read incrementally: each `read()` returns the events that appeared since the last
 * one, each event once, in the order CloudWatch Logs gives them. Until the function's first invocation
 * creates its group there is nothing to read, and that is not an error.
 */
export class LogTail {
  private group: string | undefined;
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly deployment: Deployment,
    private readonly functionName: string,
    private since: number,
    private readonly logs = new CloudWatchLogsClient(clientConfig(deployment)),
  ) {}

  async read(): Promise<LogLine[]> {
    this.group ??= await logGroupOf(this.deployment, this.functionName);
    const lines: LogLine[] = [];
    try {
      for await (const { id, ...line } of logEvents(this.logs, this.group, this.since - LOG_LAG_MS)) {
        if (this.seen.has(id)) continue;
        this.seen.set(id, line.timestamp);
        lines.push(line);
      }
    } catch (error) {
      if ((error as Error).name !== 'ResourceNotFoundException') throw error;
    }
    this.since = lines.reduce((latest, line) => Math.max(latest, line.timestamp), this.since);
    for (const [id, timestamp] of this.seen) if (timestamp < this.since - LOG_LAG_MS) this.seen.delete(id);
    return lines;
  }
}

/**
 * Follows the ingest and batch functions' logs and prints new lines as `[ingest] ...` / `[batch] ...`
 * (see readableLogLine) until stopped.
 */
export function followFunctionLogs(
  deployment: Deployment,
  print: (line: string) => void,
  everyMs = 1000,
): () => void {
  const now = Date.now();
  const tails = [
    { label: 'ingest', tail: new LogTail(deployment, deployment.ingestFunctionName, now) },
    { label: 'batch', tail: new LogTail(deployment, deployment.batchFunctionName, now) },
  ];
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  // A failed read is said once, not every second, and the next poll tries again.
  const lastProblem = new Map<string, string>();
  const poll = async () => {
    for (const { label, tail } of tails) {
      try {
        for (const line of await tail.read()) print(`[${label}] ${readableLogLine(line.message.trimEnd())}`);
        lastProblem.delete(label);
      } catch (error) {
        const problem = messageOf(error);
        if (lastProblem.get(label) !== problem) print(`(${label} logs not read: ${problem})`);
        lastProblem.set(label, problem);
      }
    }
    if (!stopped) timer = setTimeout(() => void poll(), everyMs);
  };
  void poll();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
