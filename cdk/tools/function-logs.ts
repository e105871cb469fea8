import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { clientConfig, type Deployment } from './deployment';

/**
 * Follows the functions' CloudWatch Logs (the emulator records every invocation there) and prints
 * new lines as `[ingest] ...` / `[batch] ...` until stopped.
 */
export function followFunctionLogs(
  deployment: Deployment,
  print: (line: string) => void,
  everyMs = 1000,
): () => void {
  const config = clientConfig(deployment);
  const logs = new CloudWatchLogsClient(config);
  const lambda = new LambdaClient(config);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const logGroupOf = async (functionName: string): Promise<string> => {
    const fn = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    return fn.LoggingConfig?.LogGroup ?? `/aws/lambda/${functionName}`;
  };

  const follow = async () => {
    const sources = await Promise.all(
      [
        ['ingest', deployment.ingestFunctionName],
        ['batch', deployment.batchFunctionName],
      ].map(async ([label, name]) => ({
        label,
        group: await logGroupOf(name ?? ''),
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
            print(`[${source.label}] ${(event.message ?? '').trimEnd()}`);
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
