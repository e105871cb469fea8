import { runTool, toolArgs } from '../ops/cli';
import { clientsFor, loadDeployment } from '../ops/deployment';
import { formatByMinute, readStoredObjects } from '../ops/results-listing';

const USAGE = `usage: npm run results -- [--stack NAME] [--json]

Lists results/ and failed/ objects per minute with their items (.local/outputs.json, or --stack NAME
in your AWS account). --json prints every object as one JSON line instead.`;

runTool(async () => {
  const { values } = toolArgs(USAGE, { stack: { type: 'string' }, json: { type: 'boolean' } });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const deployment = await loadDeployment({ stack: values.stack });
  const objects = await readStoredObjects(clientsFor(deployment), deployment.bucketName);
  const lines = values.json
    ? objects.map((object) => JSON.stringify({ key: object.key, ...object.body }))
    : formatByMinute(objects);
  for (const line of lines) console.log(line);
  return 0;
});
