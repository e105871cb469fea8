import { deployToEmulator } from '../local/deploy';
import { runTool, toolArgs } from '../ops/cli';
import { parseConfigOption } from '../ops/cli-options';
import { loadDeployment, writeDeployment } from '../ops/deployment';

const USAGE = `usage: npm run deploy:local -- [--config JSON]

Redeploys the stack to the running local cloud (.local/outputs.json) with settings over cdk.json's
localPipeline, e.g. --config '{"faultRate":0.3,"crashRate":0.05}' to start a chaos run, or no
--config to go back to the local defaults. Items in flight stay in the queues.`;

runTool(async () => {
  const { values } = toolArgs(USAGE, { config: { type: 'string' } });
  const current = await loadDeployment();
  if (!current.endpoint) throw new Error('.local/outputs.json names no local endpoint: run npm start first');
  const started = performance.now();
  const deployment = await deployToEmulator({
    endpoint: current.endpoint,
    stackName: current.stackName,
    pipeline: parseConfigOption(values.config),
    log: (message) => console.error(`[deploy:local] ${message}`),
  });
  writeDeployment(deployment);
  console.log(`Redeployed ${deployment.stackName} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return 0;
});
