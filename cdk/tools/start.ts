import * as path from 'node:path';
import { DEFAULT_STACK_NAME } from '../lib/pipeline-app';
import { toolArgs } from './cli';
import { parseConfigOption } from './cli-options';
import { deployToEmulator } from './deploy';
import { OUTPUTS_FILE, writeDeployment } from './deployment';
import { followFunctionLogs } from './function-logs';
import { ensureMiniStack, LOCAL_DIR, type LocalCloud, startMiniStack } from './local-cloud';

/**
 * `npm start`: the local cloud (MiniStack, or AWS_ENDPOINT_URL when set), the real stack deployed
 * to it, `.local/outputs.json`, then the functions' logs until Ctrl-C stops everything it started.
 */
const USAGE = `usage: npm start [-- --config JSON] [--port PORT]

Starts the local cloud (or uses AWS_ENDPOINT_URL), deploys the stack with cdk.json's localPipeline
settings (and --config over them, e.g. '{"faultRate":0.3}'), writes .local/outputs.json and follows
the functions' logs until Ctrl-C. --port runs a second local cloud (state in .local/ministack-PORT);
point the tools at it with PIPELINE_OUTPUTS=.local/outputs-PORT.json.`;
const { values } = toolArgs(USAGE, { config: { type: 'string' }, port: { type: 'string' } });
const port = Number(values.port ?? 4566);
if (!Number.isInteger(port) || port < 1024 || port > 65535) {
  console.error(`--port must be a port number from 1024 to 65535 (got ${values.port})`);
  process.exit(2);
}
const outputsFile = port === 4566 ? OUTPUTS_FILE : path.join(LOCAL_DIR, `outputs-${port}.json`);
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const started = performance.now();
const log = (message: string) => console.error(`[start] ${message}`);
let cloud: LocalCloud | undefined;
let stopFollowing: (() => void) | undefined;

async function shutdown(exitCode: number): Promise<never> {
  stopFollowing?.();
  if (cloud) {
    log(`Stopping MiniStack (pid ${cloud.pid})...`);
    await cloud.stop();
  }
  process.exit(exitCode);
}

process.once('SIGINT', () => void shutdown(0));
process.once('SIGTERM', () => void shutdown(0));

try {
  let endpoint = process.env.AWS_ENDPOINT_URL;
  if (endpoint) {
    log(`AWS_ENDPOINT_URL is set: deploying to ${endpoint} (no MiniStack started)`);
  } else {
    ensureMiniStack(log);
    const dir = path.join(LOCAL_DIR, port === 4566 ? 'ministack' : `ministack-${port}`);
    cloud = await startMiniStack({ port, dir, log });
    endpoint = cloud.endpoint;
  }
  const deployment = await deployToEmulator({
    endpoint,
    stackName: DEFAULT_STACK_NAME,
    pipeline: parseConfigOption(values.config),
    log,
  });
  writeDeployment(deployment, outputsFile);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`
Ready in ${seconds} s. Outputs: ${path.relative(process.cwd(), outputsFile)}

  API URL  ${deployment.apiUrl}
  API key  ${deployment.apiKey}
  bucket   ${deployment.bucketName}

  curl -sS -X POST '${deployment.apiUrl}' \\
    -H 'x-api-key: ${deployment.apiKey}' -H 'content-type: application/json' -d '[1,2,3,4]'

  npm run send -- 1 2 3 4      npm run results      npm run redrive

Following the functions' logs. Ctrl-C stops everything.
`);
  stopFollowing = followFunctionLogs(deployment, (line) => console.log(line));
} catch (error) {
  console.error(`[start] ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
}
