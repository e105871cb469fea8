import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { clientConfig, type Deployment } from './deployment';
import { readableLogLine } from './log-lines';

/** A function's log group: the one its logging config names, else Lambda's default. */
export async function logGroupOf(deployment: Deployment, functionName: string): Promise<string> {
  const fn = await new LambdaClient(clientConfig(deployment)).send(
    new GetFunctionConfigurationCommand({ FunctionName: functionName }),
  );
  return fn.LoggingConfig?.LogGroup ?? `/aws/lambda/${functionName}`;
}

/** Every log message of a function since a time (optionally matching a filter pattern), page by page. */
export async function* functionLogMessages(
  deployment: Deployment,
  functionName: string,
  since: number,
  filterPattern?: string,
): AsyncGenerator<string> {
  const logGroupName = await logGroupOf(deployment, functionName);
  const logs = new CloudWatchLogsClient(clientConfig(deployment));
  let nextToken: string | undefined;
  do {
    const page = await logs.send(
      new FilterLogEventsCommand({ logGroupName, startTime: since, filterPattern, nextToken }),
    );
    for (const event of page.events ?? []) yield event.message ?? '';
    nextToken = page.nextToken;
  } while (nextToken);
}

/**
 * Follows the functions' CloudWatch Logs (the emulator records every invocation there) and prints
 * new lines as `[ingest] ...` / `[batch] ...` (see readableLogLine) until stopped.
 */
export function followFunctionLogs(
  deployment: Deployment,
  print: (line: string) => void,
  everyMs = 1000,
): () => void {
  const logs = new CloudWatchLogsClient(clientConfig(deployment));
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const follow = async () => {
    const sources = await Promise.all(
      [
        ['ingest', deployment.ingestFunctionName],
        ['batch', deployment.batchFunctionName],
      ].map(async ([label, name]) => ({
        label,
        group: await logGroupOf(deployment, name ?? ''),
        since: Date.now(),
        seen: new Set<string>(),
      })),
    );
    const poll = async () => {
      for (const source of sources) {
        try {
          const { events = [] } = await logs.send(
            new FilterLogEventsCommand({ logGroupName: source.group, startTime: source.since }),
          );
          for (const event of events) {
            const id = event.eventId ?? `${event.timestamp}:${event.message}`;
            if (source.seen.has(id)) continue;
            source.seen.add(id);
            source.since = Math.max(source.since, event.timestamp ?? 0);
            print(`[${source.label}] ${readableLogLine((event.message ?? '').trimEnd())}`);
          }
        } catch {
          // The group appears with the first invocation; until then there is nothing to follow.
        }
      }
      if (!stopped) timer = setTimeout(poll, everyMs);
    };
    await poll();
  };
  void follow().catch((error: unknown) => print(`(log following stopped: ${String(error)})`));
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
