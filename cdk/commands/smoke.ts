import { runTool, toolArgs } from '../ops/cli';
import { clientsFor, loadDeployment } from '../ops/deployment';
import { formatVerdict, runSmoke, SMOKE_USAGE, smokeOptions } from '../ops/smoke-run';

runTool(async () => {
  const { values, positionals } = toolArgs(
    SMOKE_USAGE,
    {
      timeout: { type: 'string' },
      stack: { type: 'string' },
    },
    { positionals: true },
  );
  const options = smokeOptions(values, positionals);
  const deployment = await loadDeployment({ stack: values.stack });
  const log = (line: string) => console.error(line);
  const report = await runSmoke(deployment, { clients: clientsFor(deployment), log }, options);
  console.log(formatVerdict(report));
  return report.passed ? 0 : 1;
});
