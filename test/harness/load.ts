import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { runTool, toolArgs } from '../../cdk/ops/cli';
import { integerOption, mixOption, numberOption } from '../../cdk/ops/cli-options';
import { clientsFor, loadDeployment } from '../../cdk/ops/deployment';
import { queueDepth, waitForDrain } from '../../cdk/ops/queues';
import { table } from '../../cdk/ops/terminal';
import { LOCAL_DIR } from '../../cdk/project';
import { messageOf } from '../../lambdas/domain/errors';
import { percentiles, sendLoad, storedRun } from './load-run';

const USAGE = `usage: npm run load -- [options]

Sends items to the deployment (.local/outputs.json, or --stack NAME), records every accepted
request, waits until the queues drain, and prints latency, throughput and errors.

  --items N          items in all (default 1000)
  --requests R       requests to spread them over (default items / 4)
  --rate RPS         target requests per second (default 50)
  --concurrency C    requests in flight at most (default 8)
  --mix MIX          uniform (0-9), exclusion (half 1s and 2s), pairs (only 1s and 2s) (default exclusion)
  --seed S           item generator seed (default 1)
  --out FILE         accepted requests as JSON lines (default .local/load/<time>.jsonl)
  --drain-timeout S  seconds to wait for the queues to drain (default 900)
  --no-drain         do not wait for the queues
  --stack NAME       a stack in your AWS account instead of the local deployment`;

const ms = (value: number | undefined) => (value === undefined ? '-' : `${Math.round(value)} ms`);

runTool(async () => {
  const { values } = toolArgs(USAGE, {
    items: { type: 'string' },
    requests: { type: 'string' },
    rate: { type: 'string' },
    concurrency: { type: 'string' },
    mix: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
    'drain-timeout': { type: 'string' },
    'no-drain': { type: 'boolean' },
    stack: { type: 'string' },
  });
  const items = integerOption(values.items, 'items', 1000, 1, 1_000_000);
  const requests = integerOption(
    values.requests,
    'requests',
    Math.max(Math.ceil(items / 4), Math.ceil(items / 500)),
    Math.ceil(items / 500),
    items,
  );
  const out =
    values.out ?? path.join(LOCAL_DIR, 'load', `${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`);
  const options = {
    items,
    requests,
    mix: mixOption(values.mix),
    rate: numberOption(values.rate, 'rate', 50, 0.1),
    concurrency: integerOption(values.concurrency, 'concurrency', 8, 1, 256),
    seed: integerOption(values.seed, 'seed', 1, 0, 2 ** 31 - 1),
    out,
    showProgress: true,
  };
  const drainTimeoutMs = numberOption(values['drain-timeout'], 'drain-timeout', 900, 1) * 1000;

  const deployment = await loadDeployment({ stack: values.stack });
  const clients = clientsFor(deployment);
  console.error(
    `Sending ${items} items in ${requests} requests at ${options.rate} req/s to ${deployment.apiUrl}`,
  );
  const load = await sendLoad(deployment, options);

  let drainSeconds: number | undefined;
  let drainProblem: string | undefined;
  if (!values['no-drain']) {
    console.error('Waiting for the queues to drain...');
    try {
      drainSeconds = await waitForDrain(clients, deployment.queueUrl, drainTimeoutMs);
    } catch (error) {
      drainProblem = messageOf(error);
    }
  }
  const deadLetters = (await queueDepth(clients, deployment.deadLetterQueueUrl)).visible;
  const { latencies: endToEnd } = await storedRun(clients, deployment, load);
  const acceptedItems = load.accepted.reduce((sum, request) => sum + request.items.length, 0);
  const summary = {
    items,
    requests,
    acceptedRequests: load.accepted.length,
    acceptedItems,
    errors: Object.fromEntries(load.errors),
    sendSeconds: load.sendSeconds,
    offeredRate: options.rate,
    acceptedItemsPerSecond: acceptedItems / load.sendSeconds,
    drainSecondsAfterSending: drainSeconds,
    storedItemsSeen: endToEnd.length,
    endToEndItemsPerSecond:
      drainSeconds === undefined ? undefined : endToEnd.length / (load.sendSeconds + drainSeconds),
    deadLetterMessages: deadLetters,
    requestLatencyMs: percentiles(load.accepted.map((request) => request.latencyMs)),
    endToEndLatencyMs: percentiles(endToEnd),
    acceptedFile: out,
  };
  writeFileSync(out.replace(/\.jsonl$/, '.summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  const { requestLatencyMs: request, endToEndLatencyMs: e2e } = summary;
  console.log(
    table([
      ['measure', 'value'],
      ['requests accepted / sent', `${load.accepted.length} / ${requests}`],
      ['items accepted', acceptedItems],
      ['errors', load.errors.size === 0 ? 0 : [...load.errors].map(([key, n]) => `${key}: ${n}`).join(', ')],
      ['send time', `${load.sendSeconds.toFixed(1)} s`],
      ['accepted items/s', summary.acceptedItemsPerSecond.toFixed(1)],
      [
        'drain after sending',
        drainSeconds === undefined ? (drainProblem ?? 'not waited for') : `${drainSeconds.toFixed(1)} s`,
      ],
      ['stored items/s (end to end)', summary.endToEndItemsPerSecond?.toFixed(1) ?? '-'],
      ['request latency p50 / p95 / p99', `${ms(request.p50)} / ${ms(request.p95)} / ${ms(request.p99)}`],
      ['POST to S3 p50 / p95 / p99', `${ms(e2e.p50)} / ${ms(e2e.p95)} / ${ms(e2e.p99)}`],
      ['stored items seen', endToEnd.length],
      ['dead-letter messages', deadLetters],
    ]),
  );
  console.log(
    `\nAccepted requests: ${path.relative(process.cwd(), out)} (npm run verify -- --accepted ${path.relative(process.cwd(), out)})`,
  );
  return load.errors.size === 0 && drainProblem === undefined ? 0 : 1;
});
