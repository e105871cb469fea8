import { createServer } from 'node:net';
import * as path from 'node:path';
import type { Deployment } from '../ops/deployment';
import { LOCAL_DIR } from '../project';
import { deployToEmulator } from './deploy';
import { ensureMiniStack, type LocalCloud, type Log, startMiniStack } from './local-cloud';

/** A port nothing listens on now, chosen by the OS. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });

/** A MiniStack of the caller's own, with nothing deployed, on a free port; its state in .local/<name>. */
export async function startEmptyCloud(name: string, log: Log): Promise<LocalCloud> {
  ensureMiniStack(log);
  return startMiniStack({ port: await freePort(), dir: path.join(LOCAL_DIR, name), log });
}

export interface OwnCloudOptions {
  /** Names the state folder (.local/<name>) and the cdk log (.local/<name>-cdk.log). */
  readonly name: string;
  readonly stackName: string;
  /** Settings over the local ones (cdk.json `pipeline` and `localPipeline`). */
  readonly pipeline?: Record<string, unknown>;
  readonly log: Log;
}

export interface OwnCloud {
  readonly deployment: Deployment;
  /** Stops the MiniStack this started (and its function processes); nothing when it used AWS_ENDPOINT_URL. */
  stop(): Promise<void>;
}

/**
 * A MiniStack of the caller's own on a free port (or the endpoint in AWS_ENDPOINT_URL) with the real
 * app deployed as a separate stack, so tests and benchmarks never disturb `npm start`'s cloud.
 */
export async function startOwnCloud(options: OwnCloudOptions): Promise<OwnCloud> {
  let cloud: LocalCloud | undefined;
  try {
    let endpoint = process.env.AWS_ENDPOINT_URL;
    if (!endpoint) {
      cloud = await startEmptyCloud(options.name, options.log);
      endpoint = cloud.endpoint;
    }
    const deployment = await deployToEmulator({
      endpoint,
      stackName: options.stackName,
      pipeline: options.pipeline,
      log: options.log,
      cliLogFile: path.join(LOCAL_DIR, `${options.name}-cdk.log`),
    });
    return { deployment, stop: async () => cloud?.stop() };
  } catch (error) {
    await cloud?.stop();
    throw error;
  }
}
