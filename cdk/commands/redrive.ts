import { runTool, toolArgs } from '../ops/cli';
import { clientsFor, loadDeployment } from '../ops/deployment';
import { redrive } from '../ops/pipeline-client';
import { ledgerOnRedrive } from '../ops/redrive-ledger';

const USAGE = `usage: npm run redrive -- [--stack NAME]

Moves every message of the dead-letter queue back to the item queue, keeping message groups and
their order (.local/outputs.json, or --stack NAME in your AWS account). The request ledger hears of
each moved item first, so its request reads "storing" again until the item is stored.`;

runTool(async () => {
  const { values } = toolArgs(USAGE, { stack: { type: 'string' } });
  const deployment = await loadDeployment({ stack: values.stack });
  const { moved } = await redrive(
    clientsFor(deployment).sqs,
    deployment.deadLetterQueueUrl,
    deployment.queueUrl,
    (count) => process.stdout.write(`\rmoved ${count}`),
    ledgerOnRedrive(deployment),
  );
  console.log(`\rmoved ${moved} messages from the dead-letter queue back to ${deployment.queueUrl}`);
  return 0;
});
