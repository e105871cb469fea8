import { auditDeployment, readAcceptedFile } from '../ops/audit-run';
import { runTool, toolArgs } from '../ops/cli';
import { loadDeployment } from '../ops/deployment';
import { violationsOf } from '../ops/invariants';
import { table } from '../ops/terminal';

const USAGE = `usage: npm run verify -- [--accepted FILE] [--stack NAME] [--strict]

Audits the contract's Invariants on a deployment (.local/outputs.json, or --stack NAME in your AWS account):
every results/ and failed/ object is read; exclusion (2), size (3) and minute partition (4) are
checked on all of them; with --accepted (the JSON lines npm run load writes), also no loss (1),
order (5) and duplicates (6). Exits 1 on any violation; duplicates are counted, and fail only with
--strict (they are expected under injected crashes: at-least-once delivery).`;

runTool(async () => {
  const { values } = toolArgs(USAGE, {
    accepted: { type: 'string' },
    stack: { type: 'string' },
    strict: { type: 'boolean' },
  });
  const started = performance.now();
  const deployment = await loadDeployment({ stack: values.stack });
  const result = await auditDeployment(deployment, values.accepted ? readAcceptedFile(values.accepted) : []);
  const { audit } = result;
  const withAccepted = (count: number) => (values.accepted ? count : 'n/a (no --accepted)');
  console.log(
    table([
      ['check', 'result'],
      ['results objects read', result.resultObjects],
      ['items stored', result.itemsStored],
      ['failure records', result.failureRecords],
      ['dead-letter messages', result.deadLetterMessages],
      ['accepted items (from --accepted)', withAccepted(result.acceptedItems)],
      ['1 lost', withAccepted(audit.lost.length)],
      ['2 exclusion violations', audit.exclusionViolations.length],
      ['3 oversize objects', audit.oversize.length],
      ['4 objects outside their minute', audit.misplaced.length],
      ['5 out of order', withAccepted(audit.outOfOrder.length)],
      [
        '  enqueued out of order, as the 202 said (not checked)',
        withAccepted(audit.enqueuedOutOfOrder.length),
      ],
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
