import * as path from 'node:path';
import type { Analysis } from '../../lambdas/domain/analyses';
import { type Deployment, LOCAL_CREDENTIALS, OUTPUTS_FILE, writeDeployment } from '../ops/deployment';
import { DEFAULT_STACK_NAME, LOCAL_DIR } from '../project';
import { deployToEmulator } from './deploy';
import { ensureMiniStack, type LocalCloud, type Log, startMiniStack } from './local-cloud';

/** The port `npm start` uses unless told otherwise: the emulators' usual one. */
export const DEFAULT_PORT = 4566;

export interface SessionOptions {
  readonly port: number;
  /** Settings over cdk.json's local ones, e.g. `{ faultRate: 0.3 }`. */
  readonly pipeline: Record<string, unknown>;
  readonly log: Log;
  /** Where the cdk CLI's output goes; the terminal when absent. */
  readonly cliLogFile?: string;
}

export interface Session {
  readonly deployment: Deployment;
  readonly outputsFile: string;
  /** The MiniStack this session started; absent when it used AWS_ENDPOINT_URL. */
  readonly cloud?: LocalCloud;
}

/** `.local/outputs.json` for the default port; a second cloud gets its own file. */
export const outputsFileFor = (port: number): string =>
  port === DEFAULT_PORT ? OUTPUTS_FILE : path.join(LOCAL_DIR, `outputs-${port}.json`);

/**
 * `npm start`'s work: the local cloud (MiniStack, or AWS_ENDPOINT_URL when set), the real stack
 * deployed to it, and the outputs file the tools read. On failure, stops what it started.
 */
export async function startSession({ port, pipeline, log, cliLogFile }: SessionOptions): Promise<Session> {
  let cloud: LocalCloud | undefined;
  try {
    let endpoint = process.env.AWS_ENDPOINT_URL;
    if (endpoint) {
      log(`AWS_ENDPOINT_URL is set: deploying to ${endpoint} (no MiniStack started)`);
    } else {
      ensureMiniStack(log);
      const dir = path.join(LOCAL_DIR, port === DEFAULT_PORT ? 'ministack' : `ministack-${port}`);
      cloud = await startMiniStack({ port, dir, log, persist: true });
      endpoint = cloud.endpoint;
    }
    const deployment = await deployToEmulator({
      endpoint,
      stackName: DEFAULT_STACK_NAME,
      pipeline,
      log,
      ...(cliLogFile ? { cliLogFile } : {}),
    });
    const outputsFile = outputsFileFor(port);
    writeDeployment(deployment, outputsFile);
    return { deployment, outputsFile, ...(cloud ? { cloud } : {}) };
  } catch (error) {
    await cloud?.stop();
    throw error;
  }
}

/** The registered analyses, a line each, and how to read their windows. */
function analysesLines(analyses: readonly Analysis[]): string {
  if (analyses.length === 0) return '';
  const lines = analyses.map(
    ({ name, windowSeconds, advanceSeconds, aggregates, latenessSeconds }) =>
      `  Analysis   ${name}: ${aggregates.join(', ')} over ${windowSeconds} s every ${advanceSeconds} s ` +
      `(lateness ${latenessSeconds} s)    npm run windows -- ${name}`,
  );
  return `\n${lines.join('\n')}\n`;
}

/** How the banner's curl call authenticates: the API key, or curl's own SigV4 with the emulator's credentials. */
function curlAuthentication({ auth, apiKey, region }: Deployment): string {
  if (auth === 'iam') {
    const { accessKeyId, secretAccessKey } = LOCAL_CREDENTIALS;
    return `--aws-sigv4 'aws:amz:${region}:execute-api' --user '${accessKeyId}:${secretAccessKey}' `;
  }
  return apiKey === undefined ? '' : `-H 'x-api-key: ${apiKey}' `;
}

/** What `npm start` prints once the stack is up: where it is, how to call it and where to watch it. */
export const readyBanner = (
  { deployment, outputsFile }: Session,
  seconds: number,
  dashboardUrl?: string,
  followingLogs = true,
): string => `
Ready in ${seconds.toFixed(1)} s. Outputs: ${path.relative(process.cwd(), outputsFile)}

  API URL  ${deployment.apiUrl}
  ${deployment.auth === 'iam' ? 'auth     iam: SigV4-signed requests (the tools sign them)' : `API key  ${deployment.apiKey ?? 'none'}`}
  bucket   ${deployment.bucketName}
${dashboardUrl ? `\n  Dashboard  ${dashboardUrl}  (live figures, objects per minute, request lookup, analyses)\n` : ''}${analysesLines(deployment.analyses)}
  curl -sS -X POST '${deployment.apiUrl}' \\
    ${curlAuthentication(deployment)}-H 'content-type: application/json' -d '[1,2,3,4]'

  npm run send -- 1 2 3 4      npm run results      npm run smoke      npm run redrive

${followingLogs ? "Following the functions' logs. " : ''}Ctrl-C stops everything.
`;
