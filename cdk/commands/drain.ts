import { runTool, toolArgs } from '../ops/cli';
import { numberOption } from '../ops/cli-options';
import { clientsFor, loadDeployment } from '../ops/deployment';
import { queueDepth, waitForDrain } from '../ops/queues';

const USAGE = `usage: npm run drain -- [--timeout SECONDS] [--stack NAME]

Waits until the item queue holds nothing (visible or in flight) and prints how long that took and
what the dead-letter queue holds: the drain time of a chaos run once its faults stop.`;

runTool(async () => {
  const { values } = toolArgs(USAGE, { timeout: { type: 'string' }, stack: { type: 'string' } });
  const timeoutSeconds = numberOption(values.timeout, 'timeout', 900, 1, 86_400);
  const deployment = await loadDeployment({ stack: values.stack });
  const clients = clientsFor(deployment);
  const before = await queueDepth(clients, deployment.queueUrl);
  console.error(`Item queue: ${before.visible} visible, ${before.inFlight} in flight. Waiting...`);
  const seconds = await waitForDrain(clients, deployment.queueUrl, timeoutSeconds * 1000);
  const deadLetters = await queueDepth(clients, deployment.deadLetterQueueUrl);
  console.log(`drained in ${seconds.toFixed(1)} s; dead-letter queue: ${deadLetters.visible} messages`);
  return 0;
});
