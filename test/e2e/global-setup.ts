import { createServer } from 'node:net';
import * as path from 'node:path';
import type { TestProject } from 'vitest/node';
import type { PipelineConfig } from '../../cdk/lib/config';
import { resolveConfig } from '../../cdk/lib/config';
import { deployToEmulator, localPipelineSettings } from '../../cdk/tools/deploy';
import type { Deployment } from '../../cdk/tools/deployment';
import { ensureMiniStack, LOCAL_DIR, type LocalCloud, startMiniStack } from '../../cdk/tools/local-cloud';

declare module 'vitest' {
  export interface ProvidedContext {
    deployment: Deployment;
    config: PipelineConfig;
    faultItem: number;
  }
}

/** The item whose segment writes always fail in the test stack: it exercises the dead-letter path. */
const FAULT_ITEM = 13;
const STACK_NAME = 'FifoBatchPipelineE2e';

const freePort = (): Promise<number> =>
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

/**
 * Starts a MiniStack of the tests' own (a free port, state under .local/e2e), or uses
 * AWS_ENDPOINT_URL when set, and deploys the real app to it as a separate test stack.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const started = performance.now();
  const log = (message: string) => console.error(`[e2e] ${message}`);
  let cloud: LocalCloud | undefined;
  let endpoint = process.env.AWS_ENDPOINT_URL;
  try {
    if (!endpoint) {
      ensureMiniStack(log);
      cloud = await startMiniStack({ port: await freePort(), dir: path.join(LOCAL_DIR, 'e2e'), log });
      endpoint = cloud.endpoint;
    }
    const pipeline = { faultItems: [FAULT_ITEM] };
    const deployment = await deployToEmulator({
      endpoint,
      stackName: STACK_NAME,
      pipeline,
      log,
      cliLogFile: path.join(LOCAL_DIR, 'e2e-cdk.log'),
    });
    log(`stack ${STACK_NAME} ready at ${endpoint} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    project.provide('deployment', deployment);
    project.provide('config', resolveConfig(localPipelineSettings(pipeline)));
    project.provide('faultItem', FAULT_ITEM);
  } catch (error) {
    await cloud?.stop();
    throw error;
  }
  return async () => {
    await cloud?.stop();
  };
}
