import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { deployToEmulator } from '../../cdk/local/deploy';
import type { Log } from '../../cdk/local/local-cloud';
import { auditDeployment } from '../../cdk/ops/audit-run';
import { readObjects, readResultsObjects } from '../../cdk/ops/bucket';
import { runTool, toolArgs } from '../../cdk/ops/cli';
import { integerOption, mixOption, numberOption } from '../../cdk/ops/cli-options';
import { mapConcurrently } from '../../cdk/ops/concurrency';
import {
  clientsFor,
  type DeployedAnalysis,
  type Deployment,
  loadDeployment,
  writeDeployment,
} from '../../cdk/ops/deployment';
import { functionLogMessages } from '../../cdk/ops/function-logs';
import { violationsOf } from '../../cdk/ops/invariants';
import { redrive } from '../../cdk/ops/pipeline-client';
import { queueDepth, waitForDrain } from '../../cdk/ops/queues';
import { ledgerOnRedrive } from '../../cdk/ops/redrive-ledger';
import { table } from '../../cdk/ops/terminal';
import {
  auditWindows,
  expectedWindows,
  type TimedItem,
  type WindowAudit,
  windowViolations,
} from '../../cdk/ops/window-audit';
import { getWindows } from '../../cdk/ops/windows-client';
import { LOCAL_DIR } from '../../cdk/project';
import { ANALYSIS_LIMITS, type Analysis, formatAnalysis } from '../../lambdas/domain/analyses';
import { type FinalWindowBody, isoOf, onTimeBeforeMs, WINDOWS_PREFIX } from '../../lambdas/domain/windows';
import { sendLoad } from './load-run';

const USAGE = `usage: npm run chaos -- [--items N] [--fault-rate R] [--crash-rate R] [--analysis-fault-rate R]
                         [--analysis-crash-rate R] [--lateness S] [--rate RPS] [--concurrency C]

A chaos run on the running local cloud (.local/outputs.json): redeploys with faults and crashes in
the batch function and in every analysis's consumer, and the analyses' lateness set to S seconds
(so that redelivered and redriven items still count), sends the items, stops the faults, measures
the drain of every queue, redrives every dead-letter queue, drains again, audits the contract's
Invariants with the accepted record, then waits until the analyses' windows are final and checks
each against this run's stored items (count + late = the window's items; the exact sum where none
came late; an S3 object per final window with items): use a fresh local cloud, or one that took no
items for a window's width before the run. Redeploys with the local defaults at the end.
Defaults: 10000 items, fault rate 0.3, crash rate 0.05, analysis fault rate 0.3, analysis crash
rate 0.05, lateness 600 s, 50 requests/s, 8 in flight.`;

/** Counts log lines of a function that mention a text, since a time. */
async function countLogLines(
  deployment: Deployment,
  functionName: string,
  since: number,
  texts: readonly string[],
): Promise<number[]> {
  const counts = texts.map(() => 0);
  for await (const message of functionLogMessages(deployment, functionName, since)) {
    texts.forEach((text, i) => {
      if (message.includes(text)) counts[i] = (counts[i] ?? 0) + 1;
    });
  }
  return counts;
}

/** Drains an analysis's queue, redrives its dead-letter queue and drains again. */
async function drainAndRedriveAnalysis(deployment: Deployment, analysis: DeployedAnalysis, log: Log) {
  const clients = clientsFor(deployment);
  const drainSeconds = await waitForDrain(clients, analysis.queueUrl, 900_000);
  const { moved } = await redrive(clients.sqs, analysis.deadLetterQueueUrl, analysis.queueUrl);
  const redriveDrainSeconds = await waitForDrain(clients, analysis.queueUrl, 900_000);
  log(`${analysis.name}: drained in ${drainSeconds.toFixed(1)} s, ${moved} redriven`);
  return { drainSeconds, redriven: moved, redriveDrainSeconds };
}

/**
 * Every stored item of this run's requests once (a duplicate object holds the same item), with its
 * acceptance time. Items of earlier runs on the same cloud are left out: an isolation run, for one,
 * purges what its failing analysis dead-lettered, so its windows hold fewer items than S3 by design.
 */
async function storedTimedItems(
  deployment: Deployment,
  runRequests: ReadonlySet<string>,
): Promise<TimedItem[]> {
  const objects = await readResultsObjects(clientsFor(deployment), deployment.bucketName, {
    concurrency: 32,
  });
  const items = new Map<string, TimedItem>();
  for (const { body } of objects) {
    for (const { requestId, index, item, acceptedAt } of body.items) {
      if (runRequests.has(requestId))
        items.set(`${requestId}:${index}`, { item, acceptedAtMs: Date.parse(acceptedAt) });
    }
  }
  return [...items.values()];
}

/**
 * Waits until every window of the items is final and written (polling the API and the bucket with a
 * deadline past the last window's lateness), then audits the windows against the items.
 */
async function auditFinalWindows(
  deployment: Deployment,
  analysis: Analysis,
  items: readonly TimedItem[],
  log: Log,
): Promise<WindowAudit> {
  const starts = [...expectedWindows(items, analysis).keys()];
  const first = Math.min(...starts);
  const last = Math.max(...starts);
  const range = { from: isoOf(first), to: isoOf(last + analysis.advanceSeconds) };
  const deadline = onTimeBeforeMs(last, analysis) + 300_000;
  const prefix = `${WINDOWS_PREFIX}${analysis.name}/`;
  const clients = clientsFor(deployment);
  for (;;) {
    const { windows } = await getWindows(deployment, analysis.name, range);
    const objects = await readObjects<FinalWindowBody>(clients, deployment.bucketName, prefix, {
      concurrency: 16,
    });
    const audit = auditWindows({
      analysis,
      items,
      windows,
      objects: new Map(objects.map(({ body }) => [body.start, body])),
    });
    const waiting = audit.windows - audit.final + audit.missingObjects.length;
    if (waiting === 0 || Date.now() > deadline) return audit;
    const finalIn = Math.max(0, Math.round((onTimeBeforeMs(last, analysis) - Date.now()) / 1000));
    log(
      `${analysis.name}: ${audit.final}/${audit.windows} windows final, the last one in about ${finalIn} s`,
    );
    await new Promise((resolve) => setTimeout(resolve, 10_000));
  }
}

/** The chaos table's rows for one analysis. */
function analysisRows(
  analysis: Analysis,
  injected: readonly number[] | undefined,
  queue: { drainSeconds: number; redriven: number } | undefined,
  audit: WindowAudit | undefined,
): (string | number)[][] {
  const name = analysis.name;
  if (!audit || !queue) return [[`${name}`, 'not audited']];
  return [
    [
      `${name}: pane writes failed by FAULT_RATE, crashes (log lines)`,
      `${injected?.[0] ?? 0}, ${injected?.[1] ?? 0}`,
    ],
    [
      `${name}: drain after faults stopped, redriven`,
      `${queue.drainSeconds.toFixed(1)} s, ${queue.redriven}`,
    ],
    [
      `${name}: windows final / answered (with items)`,
      `${audit.final} / ${audit.windows} (${audit.withItems})`,
    ],
    [`${name}: late counts (windows with late items)`, `${audit.lateCounts} (${audit.windowsWithLate})`],
    [`${name}: count + late not the window's items`, audit.countMismatches.length],
    [`${name}: sum differs without late items`, audit.exactMismatches.length],
    [`${name}: windows missing from the answer`, audit.unanswered.length],
    [
      `${name}: final windows without their S3 object / differing`,
      `${audit.missingObjects.length} / ${audit.objectMismatches.length}`,
    ],
  ];
}

runTool(async () => {
  const { values } = toolArgs(USAGE, {
    items: { type: 'string' },
    'fault-rate': { type: 'string' },
    'crash-rate': { type: 'string' },
    rate: { type: 'string' },
    concurrency: { type: 'string' },
    mix: { type: 'string' },
    'analysis-fault-rate': { type: 'string' },
    'analysis-crash-rate': { type: 'string' },
    lateness: { type: 'string' },
  });
  const items = integerOption(values.items, 'items', 10_000, 1, 1_000_000);
  const faults = {
    faultRate: numberOption(values['fault-rate'], 'fault-rate', 0.3, 0, 1),
    crashRate: numberOption(values['crash-rate'], 'crash-rate', 0.05, 0, 1),
    analysisFaultRate: numberOption(values['analysis-fault-rate'], 'analysis-fault-rate', 0.3, 0, 1),
    analysisCrashRate: numberOption(values['analysis-crash-rate'], 'analysis-crash-rate', 0.05, 0, 1),
  };
  const { min, max } = ANALYSIS_LIMITS.latenessSeconds;
  const latenessSeconds = integerOption(values.lateness, 'lateness', 600, min, max);
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

  // The deployed analyses, each given the run's lateness: kept while the faults are on and after.
  const analyses = initial.analyses.map((deployed) => ({
    ...(JSON.parse(formatAnalysis(deployed)) as Analysis),
    latenessSeconds,
  }));
  log(`faults on: ${JSON.stringify(faults)}, analyses' lateness ${latenessSeconds} s`);
  const deployment = await redeploy({ ...faults, analyses });
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
  log("faults off: redeploying with the local defaults and the run's lateness");
  const deployStarted = Date.now();
  await redeploy({ analyses });
  const faultsOff = Date.now();
  const drainSeconds = await waitForDrain(clients, deployment.queueUrl, 900_000);
  const deadLettered = (await queueDepth(clients, deployment.deadLetterQueueUrl)).visible;
  const { moved, alreadyStored } = await redrive(
    clients.sqs,
    deployment.deadLetterQueueUrl,
    deployment.queueUrl,
    () => {},
    ledgerOnRedrive(deployment),
  );
  const redriveDrainSeconds = await waitForDrain(clients, deployment.queueUrl, 900_000);
  const analysisQueues = await mapConcurrently(deployment.analyses, 4, (analysis) =>
    drainAndRedriveAnalysis(deployment, analysis, log),
  );
  const [faultedRecords, crashes] = await countLogLines(
    deployment,
    deployment.batchFunctionName,
    runStarted,
    ['FAULT_RATE', 'CRASH_RATE'],
  );
  const analysisInjected = await mapConcurrently(deployment.analyses, 4, (analysis) =>
    countLogLines(deployment, analysis.functionName, runStarted, ['FAULT_RATE', 'CRASH_RATE']),
  );
  const result = await auditDeployment(deployment, load.accepted);
  const { audit } = result;
  const timedItems = await storedTimedItems(
    deployment,
    new Set(load.accepted.map(({ requestId }) => requestId)),
  );
  const windowAudits = await mapConcurrently(analyses, 4, (analysis) =>
    auditFinalWindows(deployment, analysis, timedItems, log),
  );
  log('restoring the local defaults');
  await redeploy({});

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
    alreadyStored,
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
    analyses: analyses.map((analysis, i) => ({
      analysis,
      injected: {
        recordsFailedByFaultRate: analysisInjected[i]?.[0],
        crashLogLines: analysisInjected[i]?.[1],
      },
      ...analysisQueues[i],
      audit: windowAudits[i],
    })),
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
      ['dead-lettered, redriven, deleted as already stored', `${deadLettered}, ${moved}, ${alreadyStored}`],
      ['drain after redrive', `${redriveDrainSeconds.toFixed(1)} s`],
      ['failure records', result.failureRecords],
      ['lost', audit.lost.length],
      ['exclusion violations', audit.exclusionViolations.length],
      ['oversize objects', audit.oversize.length],
      ['objects outside their minute', audit.misplaced.length],
      ['out of order', audit.outOfOrder.length],
      ['duplicates (counted, expected under crashes)', audit.duplicates.length],
      ...analyses.flatMap((analysis, i) =>
        analysisRows(analysis, analysisInjected[i], analysisQueues[i], windowAudits[i]),
      ),
    ]),
  );
  console.log(`\nSummary: ${path.relative(process.cwd(), `${out}.summary.json`)}`);
  const windowFindings = windowAudits.reduce(
    (total, windowAudit) => total + windowViolations(windowAudit),
    0,
  );
  return violationsOf(audit).length === 0 && windowFindings === 0 ? 0 : 1;
});
