import { runTool, toolArgs } from '../ops/cli';
import { clientsFor, loadDeployment } from '../ops/deployment';
import { formatByMinute, minuteOption, ofRequest, readStoredObjects } from '../ops/results-listing';

const USAGE = `usage: npm run results -- [--request ID] [--minute YYYY-MM-DDTHH:mm] [--stack NAME] [--json]

Lists results/ and failed/ objects per minute with their items (.local/outputs.json, or --stack NAME
in your AWS account). --request keeps the objects holding that request's items and its failure
records; --minute reads only that UTC minute. --json prints every object as one JSON line instead.`;

runTool(async () => {
  const { values } = toolArgs(USAGE, {
    stack: { type: 'string' },
    json: { type: 'boolean' },
    request: { type: 'string' },
    minute: { type: 'string' },
  });
  const minute = values.minute === undefined ? undefined : minuteOption(values.minute);
  const deployment = await loadDeployment({ stack: values.stack });
  const all = await readStoredObjects(clientsFor(deployment), deployment.bucketName, minute);
  const objects = values.request === undefined ? all : ofRequest(all, values.request);
  const lines = values.json
    ? objects.map((object) => JSON.stringify({ key: object.key, ...object.body }))
    : formatByMinute(objects);
  for (const line of lines) console.log(line);
  return 0;
});
