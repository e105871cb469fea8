import { runTool, toolArgs } from '../ops/cli';
import { integerOption } from '../ops/cli-options';
import { DEFAULT_DASHBOARD_PORT, startDashboard } from '../ops/dashboard/server';
import { loadDeployment } from '../ops/deployment';

const USAGE = `usage: npm run dashboard -- [--port PORT] [--stack NAME]

Serves a live dashboard of a deployment on http://127.0.0.1:PORT/ (default ${DEFAULT_DASHBOARD_PORT}): items
accepted and stored per minute, queue depths, batch invocations, the objects of each minute with their
items, recent failures, a request lookup, and each analysis's count and mean per window over the last
30 minutes. Reads .local/outputs.json, or --stack NAME in your AWS account. Ctrl-C stops it.`;

runTool(async () => {
  const { values } = toolArgs(USAGE, { port: { type: 'string' }, stack: { type: 'string' } });
  const port = integerOption(values.port, 'port', DEFAULT_DASHBOARD_PORT, 1, 65_535);
  const deployment = await loadDeployment({ stack: values.stack });
  const dashboard = await startDashboard({ deployment, port });
  console.log(`Dashboard of ${deployment.stackName}: ${dashboard.url}  (Ctrl-C stops it)`);
  return undefined;
});
