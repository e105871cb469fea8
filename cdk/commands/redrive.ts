import { runTool, toolArgs } from '../ops/cli';
import { UsageError } from '../ops/cli-options';
import { clientsFor, loadDeployment } from '../ops/deployment';
import { redrive } from '../ops/pipeline-client';
import { reconcileDeadLetterQueue, reconcileDepsFor } from '../ops/reconcile-dead-letters';
import { ledgerOnRedrive } from '../ops/redrive-ledger';

const USAGE = `usage: npm run redrive -- [--reconcile | --analysis NAME] [--stack NAME]

Moves every message of the dead-letter queue back to the item queue, keeping message groups and
their order (.local/outputs.json, or --stack NAME in your AWS account). The request ledger hears of
each moved item first, so its request reads "storing" again until the item is stored; a message
whose item the ledger already shows stored is deleted instead (an invocation dead-lettered it, then
crashed, and the redelivery stored it), so that nothing is stored twice.
--reconcile moves nothing back: it makes every dead-lettered item visible as failed, writing the
failure record (reason receives_exhausted) and the ledger's failed status of each item SQS moved
after maxReceiveCount receives the batch function never concluded (throttles, timeouts).
--analysis NAME does the same for that analysis's own queues: each item is then counted once in its
windows, on time if it is back before their end plus the lateness, late otherwise.`;

runTool(async () => {
  const { values } = toolArgs(USAGE, {
    stack: { type: 'string' },
    analysis: { type: 'string' },
    reconcile: { type: 'boolean' },
  });
  const deployment = await loadDeployment({ stack: values.stack });
  const { sqs } = clientsFor(deployment);
  if (values.reconcile) {
    if (values.analysis !== undefined)
      throw new UsageError('--reconcile is for the item queue only, not --analysis');
    const outcome = await reconcileDeadLetterQueue(
      sqs,
      deployment.deadLetterQueueUrl,
      await reconcileDepsFor(deployment),
    );
    console.log(
      `${outcome.itemsFailed} dead-lettered items failed in the ledger; ${outcome.recordsWritten} failure records written for items SQS moved on its own` +
        (outcome.malformed > 0 ? `; ${outcome.malformed} malformed messages name no request` : ''),
    );
    return 0;
  }
  const show = (count: number) => process.stdout.write(`\rmoved ${count}`);
  if (values.analysis !== undefined) {
    const analysis = deployment.analyses.find(({ name }) => name === values.analysis);
    if (analysis === undefined) {
      const known = deployment.analyses.map(({ name }) => name).join(', ') || 'none';
      throw new UsageError(`--analysis must name a registered analysis (${known}), not ${values.analysis}`);
    }
    const { moved } = await redrive(sqs, analysis.deadLetterQueueUrl, analysis.queueUrl, show);
    console.log(
      `\rmoved ${moved} messages from analysis ${analysis.name}'s dead-letter queue back to its queue`,
    );
    return 0;
  }
  const { moved, alreadyStored } = await redrive(
    sqs,
    deployment.deadLetterQueueUrl,
    deployment.queueUrl,
    show,
    ledgerOnRedrive(deployment),
  );
  console.log(
    `\rmoved ${moved} messages from the dead-letter queue back to ${deployment.queueUrl}` +
      (alreadyStored > 0
        ? `; deleted ${alreadyStored} whose items the ledger shows stored (a redelivery stored them after they were dead-lettered)`
        : ''),
  );
  return 0;
});
