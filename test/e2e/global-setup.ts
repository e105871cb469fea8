import type { TestProject } from 'vitest/node';
import type { PipelineConfig } from '../../cdk/lib/config';
import { resolveConfig } from '../../cdk/lib/config';
import { localPipelineSettings } from '../../cdk/local/deploy';
import { startOwnCloud } from '../../cdk/local/own-cloud';
import type { Deployment } from '../../cdk/ops/deployment';

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

/**
 * Starts a MiniStack of the tests' own (a free port, state under .local/<project>), or uses
 * AWS_ENDPOINT_URL when set, and deploys the real app to it as a separate test stack.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = performance.now();
  const { name } = project;
  const log = (message: string) => console.error(`[${name}] ${message}`);
  const pipeline = { faultItems: [FAULT_ITEM] };
  const cloud = await startOwnCloud({ name, stackName: STACK_NAME, pipeline, log });
  log(
    `stack ${STACK_NAME} ready at ${cloud.deployment.endpoint} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  project.provide('deployment', cloud.deployment);
  project.provide('config', resolveConfig(localPipelineSettings(pipeline)));
  project.provide('faultItem', FAULT_ITEM);
  return () => cloud.stop();
}
