import * as path from 'node:path';
import { DEFAULT_STACK_NAME } from '../lib/pipeline-app';
import { deployToEmulator } from './deploy';
import { OUTPUTS_FILE, writeDeployment } from './deployment';
import { followFunctionLogs } from './function-logs';
import { ensureMiniStack, LOCAL_DIR, type LocalCloud, startMiniStack } from './local-cloud';

/**
 * `npm start`: the local cloud (MiniStack, or AWS_ENDPOINT_URL when set), the real stack deployed
 * to it, `.local/outputs.json`, then the functions' logs until Ctrl-C stops everything it started.
 */
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
    cloud = await startMiniStack({ port: 4566, dir: path.join(LOCAL_DIR, 'ministack'), log });
    endpoint = cloud.endpoint;
  }
  const deployment = await deployToEmulator({ endpoint, stackName: DEFAULT_STACK_NAME, log });
  writeDeployment(deployment);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`
Ready in ${seconds} s. Outputs: ${path.relative(process.cwd(), OUTPUTS_FILE)}

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
