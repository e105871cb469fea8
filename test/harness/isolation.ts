import { PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { deployToEmulator } from '../../cdk/local/deploy';
import { runTool, toolArgs } from '../../cdk/ops/cli';
import { integerOption } from '../../cdk/ops/cli-options';
import { clientsFor, type Deployment, loadDeployment, writeDeployment } from '../../cdk/ops/deployment';
import { queueDepth, waitForDrain } from '../../cdk/ops/queues';
import { median } from '../../cdk/ops/stats';
import { table } from '../../cdk/ops/terminal';
import { sendLoad } from './load-run';

const USAGE = `usage: npm run isolation -- [--items N] [--rounds R]

Measures whether an analysis that keeps failing slows the storage path, on the running local cloud
(.local/outputs.json): in each round, with the analyses healthy and with every pane write failing
(analysisFaultRate 1, in alternating order), sends N items at 50 requests/s and measures how long the
item queue takes to drain after the last one. Each round then waits until the analyses' queues are
empty (a failing analysis's items reach its dead-letter queue) and purges their dead-letter queues, so
no round inherits another's backlog. Prints the medians and their ratio, then redeploys with the
local defaults. Run it on a quiet machine and a quiet local cloud (npm start -- --quiet): every
process shares the same cores. Defaults: 2000 items, 3 rounds.`;

type Mode = 'healthy' | 'failing';

/** Waits until every analysis's queue is empty, then empties its dead-letter queue. */
async function settleAnalyses(deployment: Deployment): Promise<void> {
  const clients = clientsFor(deployment);
  for (const analysis of deployment.analyses) {
    await waitForDrain(clients, analysis.queueUrl, 900_000);
    await clients.sqs.send(new PurgeQueueCommand({ QueueUrl: analysis.deadLetterQueueUrl }));
  }
}

runTool(async () => {
  const { values } = toolArgs(USAGE, { items: { type: 'string' }, rounds: { type: 'string' } });
  const items = integerOption(values.items, 'items', 2_000, 100, 100_000);
  const rounds = integerOption(values.rounds, 'rounds', 3, 1, 20);
  const initial = await loadDeployment();
  const { endpoint } = initial;
  if (!endpoint) throw new Error('the isolation run needs the local cloud: start it with npm start');
  const log = (message: string) => console.error(`[isolation] ${message}`);
  const deployWith = async (mode: Mode): Promise<Deployment> => {
    const deployment = await deployToEmulator({
      endpoint,
      stackName: initial.stackName,
      pipeline: { analysisFaultRate: mode === 'failing' ? 1 : 0 },
      log,
    });
    writeDeployment(deployment);
    return deployment;
  };
  const drains: Record<Mode, number[]> = { healthy: [], failing: [] };
  const analysisBacklog: Record<Mode, number[]> = { healthy: [], failing: [] };
  for (let round = 1; round <= rounds; round++) {
    const order: Mode[] = round % 2 === 1 ? ['healthy', 'failing'] : ['failing', 'healthy'];
    for (const mode of order) {
      const deployment = await deployWith(mode);
      const clients = clientsFor(deployment);
      log(`round ${round}/${rounds}, analyses ${mode}: sending ${items} items`);
      const load = await sendLoad(deployment, {
        items,
        requests: Math.ceil(items / 4),
        rate: 50,
        concurrency: 8,
        mix: 'exclusion',
        seed: round,
      });
      if (load.errors.size > 0)
        throw new Error(`requests failed: ${JSON.stringify(Object.fromEntries(load.errors))}`);
      drains[mode].push(await waitForDrain(clients, deployment.queueUrl, 900_000));
      const [analysis] = deployment.analyses;
      if (analysis) {
        const depth = await queueDepth(clients, analysis.queueUrl);
        analysisBacklog[mode].push(depth.visible + depth.inFlight);
      }
      log(`  item queue drained ${drains[mode].at(-1)?.toFixed(1)} s after the last item`);
      await settleAnalyses(deployment);
    }
  }
  const restored = await deployWith('healthy');
  const healthy = median(drains.healthy) ?? Number.NaN;
  const failing = median(drains.failing) ?? Number.NaN;
  console.log(
    table([
      [
        'analyses',
        'storage drain after the last item, s (median)',
        'each round',
        'analysis queue left, median',
      ],
      [
        'healthy',
        healthy.toFixed(1),
        drains.healthy.map((s) => s.toFixed(1)).join(', '),
        median(analysisBacklog.healthy) ?? '-',
      ],
      [
        'failing (every pane write)',
        failing.toFixed(1),
        drains.failing.map((s) => s.toFixed(1)).join(', '),
        median(analysisBacklog.failing) ?? '-',
      ],
    ]),
  );
  console.log(
    `\nratio failing / healthy: ${(failing / healthy).toFixed(2)} (${items} items, ${rounds} rounds)`,
  );
  console.log(
    `Redeployed with the local defaults; analysis dead-letter queues: npm run redrive -- --analysis ${restored.analyses[0]?.name ?? 'NAME'}`,
  );
  return 0;
});
