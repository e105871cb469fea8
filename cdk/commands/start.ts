import * as path from 'node:path';
import { messageOf } from '../../lambdas/domain/errors';
import { DEFAULT_PORT, readyBanner, type Session, startSession } from '../local/session';
import { toolArgs } from '../ops/cli';
import { integerOption, parseConfigOption, UsageError } from '../ops/cli-options';
import { type Dashboard, DEFAULT_DASHBOARD_PORT, startDashboard } from '../ops/dashboard/server';
import { followFunctionLogs } from '../ops/function-logs';
import { LOCAL_DIR } from '../project';

const USAGE = `usage: npm start [-- --config JSON] [--port PORT] [--quiet]

Starts the local cloud (or uses AWS_ENDPOINT_URL), deploys the stack with cdk.json's localPipeline
settings (and --config over them, e.g. '{"faultRate":0.3}'), writes .local/outputs.json, serves the
dashboard (npm run dashboard) on http://127.0.0.1:4680/ (a free port if that one is taken) and follows
the functions' logs until Ctrl-C, which stops everything it started. --port runs a second local
cloud (state in .local/ministack-PORT); point the tools at it with PIPELINE_OUTPUTS=.local/outputs-PORT.json.
--quiet prints only the ready banner: no progress lines and no function logs.`;

let quiet = false;
const log = (message: string) => {
  if (!quiet) console.error(`[start] ${message}`);
};
let session: Session | undefined;
let stopFollowing: (() => void) | undefined;
let dashboard: Dashboard | undefined;

async function shutdown(exitCode: number): Promise<never> {
  stopFollowing?.();
  await dashboard?.close();
  if (session?.cloud) {
    log(`Stopping MiniStack (pid ${session.cloud.pid})...`);
    await session.cloud.stop();
  }
  process.exit(exitCode);
}

process.once('SIGINT', () => void shutdown(0));
process.once('SIGTERM', () => void shutdown(0));

try {
  const { values } = toolArgs(USAGE, {
    config: { type: 'string' },
    port: { type: 'string' },
    quiet: { type: 'boolean' },
  });
  quiet = values.quiet ?? false;
  const port = integerOption(values.port, 'port', DEFAULT_PORT, 1024, 65_535);
  const started = performance.now();
  session = await startSession({
    port,
    pipeline: parseConfigOption(values.config),
    log,
    ...(quiet ? { cliLogFile: path.join(LOCAL_DIR, 'start-cdk.log') } : {}),
  });
  // A second session (another --port) takes any free port for its dashboard.
  dashboard = await startDashboard({
    deployment: session.deployment,
    port: DEFAULT_DASHBOARD_PORT,
    anyPortIfTaken: true,
  });
  console.log(readyBanner(session, (performance.now() - started) / 1000, dashboard.url, !quiet));
  if (!quiet) stopFollowing = followFunctionLogs(session.deployment, (line) => console.log(line));
} catch (error) {
  console.error(`[start] ${messageOf(error)}`);
  await shutdown(error instanceof UsageError ? 2 : 1);
}
