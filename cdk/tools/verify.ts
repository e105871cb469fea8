import { readFileSync } from 'node:fs';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { readBatchSettings } from '../../lambdas/domain/settings';
import { runTool, toolArgs } from './cli';
import { clientConfig, clientsFor, loadDeployment } from './deployment';
import {
  type AcceptedRequest,
  auditInvariants,
  type FailureObject,
  type ResultObject,
  violationsOf,
} from './invariants';
import { readObjects } from './pipeline-client';
import { queueDepth } from './queues';
import { table } from './stats';

const USAGE = `usage: npm run verify -- [--accepted FILE] [--stack NAME] [--strict]

Audits SPEC section 5 on a deployment (.local/outputs.json, or --stack NAME in your AWS account):
every results/ and failed/ object is read; exclusion (2), size (3) and minute partition (4) are
checked on all of them; with --accepted (the JSON lines npm run load writes), also no loss (1),
order (5) and duplicates (6). Exits 1 on any violation; duplicates are counted, and fail only with
--strict (they are expected under injected crashes: at-least-once delivery).`;

function readAccepted(file: string): AcceptedRequest[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, number) => {
      const parsed = JSON.parse(line) as Partial<AcceptedRequest>;
      if (typeof parsed.requestId !== 'string' || !Array.isArray(parsed.items)) {
        throw new Error(`${file}:${number + 1} is not a {requestId, items} record`);
      }
      return { requestId: parsed.requestId, items: parsed.items };
    });
}

runTool(async () => {
  const { values } = toolArgs(USAGE, {
    accepted: { type: 'string' },
    stack: { type: 'string' },
    strict: { type: 'boolean' },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const started = performance.now();
  const deployment = await loadDeployment({ stack: values.stack });
  const clients = clientsFor(deployment);
  // The rules the deployment enforces are the batch function's own settings.
  const fn = await new LambdaClient(clientConfig(deployment)).send(
    new GetFunctionConfigurationCommand({ FunctionName: deployment.batchFunctionName }),
  );
  const settings = readBatchSettings(fn.Environment?.Variables ?? {});
  const accepted = values.accepted ? readAccepted(values.accepted) : [];

  const read = { concurrency: 32 };
  const [results, failures, deadLetters] = await Promise.all([
    readObjects<ResultObject['body']>(clients, deployment.bucketName, 'results/', read),
    readObjects<FailureObject['body']>(clients, deployment.bucketName, 'failed/', read),
    queueDepth(clients, deployment.deadLetterQueueUrl),
  ]);
  const audit = auditInvariants({
    accepted,
    results,
    failures,
    batchSize: settings.batchSize,
    exclusionPairs: settings.exclusionPairs,
  });

  const withAccepted = (count: number) => (values.accepted ? count : 'n/a (no --accepted)');
  const acceptedItems = accepted.reduce((sum, request) => sum + request.items.length, 0);
  console.log(
    table([
      ['check', 'result'],
      ['results objects read', results.length],
      ['items stored', results.reduce((sum, object) => sum + object.body.items.length, 0)],
      ['failure records', failures.length],
      ['dead-letter messages', deadLetters.visible + deadLetters.inFlight],
      ['accepted items (from --accepted)', withAccepted(acceptedItems)],
      ['1 lost', withAccepted(audit.lost.length)],
      ['2 exclusion violations', audit.exclusionViolations.length],
      ['3 oversize objects', audit.oversize.length],
      ['4 objects outside their minute', audit.misplaced.length],
      ['5 out of order', withAccepted(audit.outOfOrder.length)],
      ['6 duplicates', withAccepted(audit.duplicates.length)],
      ['items stored with another value', withAccepted(audit.altered.length)],
      ['seconds', ((performance.now() - started) / 1000).toFixed(1)],
    ]),
  );
  const violations = [...violationsOf(audit), ...(values.strict ? audit.duplicates : [])];
  for (const violation of violations.slice(0, 20)) console.log(`  ${violation}`);
  if (violations.length > 20) console.log(`  ... and ${violations.length - 20} more`);
  console.log(violations.length === 0 ? 'verify: OK' : `verify: ${violations.length} violations`);
  return violations.length === 0 ? 0 : 1;
});
