import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { deployToEmulator } from '../../cdk/local/deploy';
import { auditDeployment } from '../../cdk/ops/audit-run';
import { runTool, toolArgs } from '../../cdk/ops/cli';
import { integerOption, mixOption, numberOption } from '../../cdk/ops/cli-options';
import { clientsFor, type Deployment, loadDeployment, writeDeployment } from '../../cdk/ops/deployment';
import { functionLogMessages } from '../../cdk/ops/function-logs';
import { violationsOf } from '../../cdk/ops/invariants';
import { redrive } from '../../cdk/ops/pipeline-client';
import { queueDepth, waitForDrain } from '../../cdk/ops/queues';
import { table } from '../../cdk/ops/terminal';
import { LOCAL_DIR } from '../../cdk/project';
import { sendLoad } from './load-run';

const USAGE = `usage: npm run chaos -- [--items N] [--fault-rate R] [--crash-rate R] [--rate RPS] [--concurrency C]

A chaos run on the running local cloud (.local/outputs.json): redeploys with FAULT_RATE and
CRASH_RATE, sends the items, stops the faults (redeploys with the local defaults), measures the
drain, redrives the dead-letter queue, drains again and audits the contract's Invariants with the accepted
record. Defaults: 10000 items, fault rate 0.3, crash rate 0.05, 50 requests/s, 8 in flight.`;

/** Counts log lines of the batch function that mention a text, since a time. */
async function countLogLines(
  deployment: Deployment,
  since: number,
  texts: readonly string[],
): Promise<number[]> {
  const counts = texts.map(() => 0);
  for await (const message of functionLogMessages(deployment, deployment.batchFunctionName, since)) {
    texts.forEach((text, i) => {
      if (message.includes(text)) counts[i] = (counts[i] ?? 0) + 1;
    });
  }
  return counts;
}

runTool(async () => {
  const { values } = toolArgs(USAGE, {
    items: { type: 'string' },
    'fault-rate': { type: 'string' },
    'crash-rate': { type: 'string' },
    rate: { type: 'string' },
    concurrency: { type: 'string' },
    mix: { type: 'string' },
  });
  const items = integerOption(values.items, 'items', 10_000, 1, 1_000_000);
  const faults = {
    faultRate: numberOption(values['fault-rate'], 'fault-rate', 0.3, 0, 1),
    crashRate: numberOption(values['crash-rate'], 'crash-rate', 0.05, 0, 1),
  };
  const initial = await loadDeployment();
  const { endpoint } = initial;
  if (!endpoint) throw new Error('chaos runs on the local cloud: start it with npm start');
  const log = (message: string) => console.error(`[chaos] ${message}`);
  const redeploy = async (pipeline: Record<string, unknown>) => {
    const deployment = await deployToEmulator({ endpoint, stackName: initial.stackName, pipeline, log });
    writeDeployment(deployment);
    return deployment;
  };
  const runStarted = Date.now();
  const out = path.join(LOCAL_DIR, 'chaos', `${new Date(runStarted).toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(path.dirname(out), { recursive: true });

  log(`faults on: ${JSON.stringify(faults)}`);
  const deployment = await redeploy(faults);
  const clients = clientsFor(deployment);
  const load = await sendLoad(deployment, {
    items,
    requests: Math.ceil(items / 4),
    rate: numberOption(values.rate, 'rate', 50, 0.1),
    concurrency: integerOption(values.concurrency, 'concurrency', 8, 1, 256),
    mix: mixOption(values.mix),
    seed: 1,
    out: `${out}.accepted.jsonl`,
    showProgress: true,
  });
  const atFaultsOff = await queueDepth(clients, deployment.queueUrl);
  log('faults off: redeploying with the local defaults');
  const deployStarted = Date.now();
  await redeploy({});
  const faultsOff = Date.now();
  const drainSeconds = await waitForDrain(clients, deployment.queueUrl, 900_000);
  const deadLettered = (await queueDepth(clients, deployment.deadLetterQueueUrl)).visible;
  const { moved } = await redrive(clients.sqs, deployment.deadLetterQueueUrl, deployment.queueUrl);
  const redriveDrainSeconds = await waitForDrain(clients, deployment.queueUrl, 900_000);
  const [faultedRecords, crashes] = await countLogLines(deployment, runStarted, ['FAULT_RATE', 'CRASH_RATE']);
  const result = await auditDeployment(deployment, load.accepted);
  const { audit } = result;

  const summary = {
    items,
    faults,
    acceptedItems: result.acceptedItems,
    requestErrors: Object.fromEntries(load.errors),
    sendSeconds: load.sendSeconds,
    queuedWhenFaultsStopped: atFaultsOff,
    faultsOffRedeploySeconds: (faultsOff - deployStarted) / 1000,
    drainSecondsAfterFaultsStopped: drainSeconds,
    deadLettered,
    redriven: moved,
    drainSecondsAfterRedrive: redriveDrainSeconds,
    injected: { recordsFailedByFaultRate: faultedRecords, crashLogLines: crashes },
    failureRecords: result.failureRecords,
    lost: audit.lost.length,
    exclusionViolations: audit.exclusionViolations.length,
    oversize: audit.oversize.length,
    misplaced: audit.misplaced.length,
    outOfOrder: audit.outOfOrder.length,
    altered: audit.altered.length,
    duplicates: audit.duplicates.length,
    violations: violationsOf(audit).slice(0, 50),
  };
  writeFileSync(`${out}.summary.json`, `${JSON.stringify(summary, null, 2)}\n`);
  console.log(
    table([
      ['chaos run', 'value'],
      ['items accepted / sent', `${result.acceptedItems} / ${items}`],
      ['request errors', load.errors.size === 0 ? 0 : JSON.stringify(summary.requestErrors)],
      ['fault rate / crash rate', `${faults.faultRate} / ${faults.crashRate}`],
      ['records failed by FAULT_RATE (log lines)', faultedRecords ?? 0],
      ['injected crashes (log lines)', crashes ?? 0],
      ['queued when faults stopped', `${atFaultsOff.visible} visible, ${atFaultsOff.inFlight} in flight`],
      ['drain after faults stopped', `${drainSeconds.toFixed(1)} s`],
      ['dead-lettered, redriven', `${deadLettered}, ${moved}`],
      ['drain after redrive', `${redriveDrainSeconds.toFixed(1)} s`],
      ['failure records', result.failureRecords],
      ['lost', audit.lost.length],
      ['exclusion violations', audit.exclusionViolations.length],
      ['oversize objects', audit.oversize.length],
      ['objects outside their minute', audit.misplaced.length],
      ['out of order', audit.outOfOrder.length],
      ['duplicates (counted, expected under crashes)', audit.duplicates.length],
    ]),
  );
  console.log(`\nSummary: ${path.relative(process.cwd(), `${out}.summary.json`)}`);
  return violationsOf(audit).length === 0 ? 0 : 1;
});
