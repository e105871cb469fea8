import { runTool, toolArgs } from '../ops/cli';
import { UsageError } from '../ops/cli-options';
import { loadDeployment } from '../ops/deployment';
import { getRequestStatus, statusLine } from '../ops/status-client';

const USAGE = `usage: npm run status -- REQUEST_ID [--json] [--stack NAME]

A request's status from the request ledger (GET /requests/{id} with the deployment's API key, or
SigV4-signed when it says auth iam): queued, storing, stored or failed, with its counts and the
objects holding its items.
--json prints the answer as it is.`;

runTool(async () => {
  const { values, positionals } = toolArgs(
    USAGE,
    { json: { type: 'boolean' }, stack: { type: 'string' } },
    { positionals: true },
  );
  const [requestId, ...extra] = positionals;
  if (requestId === undefined || extra.length > 0) {
    throw new UsageError(`status takes one request id (got ${positionals.length})`);
  }
  const status = await getRequestStatus(await loadDeployment({ stack: values.stack }), requestId);
  console.log(values.json ? JSON.stringify(status) : `${requestId}: ${statusLine(status)}`);
  for (const key of values.json ? [] : status.objects) console.log(`  ${key}`);
  return 0;
});
