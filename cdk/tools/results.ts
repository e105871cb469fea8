import { runTool, toolArgs } from './cli';
import { clientsFor, loadDeployment } from './deployment';
import { readObjects } from './pipeline-client';

const USAGE = `usage: npm run results -- [--stack NAME] [--json]

Lists results/ and failed/ objects per minute with their items (.local/outputs.json, or --stack NAME
in your AWS account). --json prints every object as one JSON line instead.`;

interface ResultBody {
  readonly items?: { item: number; requestId: string; index: number; groupId?: string }[];
  readonly reason?: string;
  readonly item?: number;
  readonly receiveCount?: number;
}

/** The message groups an object holds, in order: one per request unless ordering is global. */
const groupsOf = (body: ResultBody): string => {
  const groups = [...new Set((body.items ?? []).map((entry) => entry.groupId ?? '?'))];
  return `${groups.length === 1 ? 'group' : 'groups'} ${groups.join(', ')}`;
};

/** `results/2026/11/23/10/42/<id>.json` -> `2026-11-23 10:42`. */
const minuteOf = (key: string): string => {
  const [, y, mo, d, h, mi] = key.split('/');
  return `${y}-${mo}-${d} ${h}:${mi}`;
};

runTool(async () => {
  const { values } = toolArgs(USAGE, { stack: { type: 'string' }, json: { type: 'boolean' } });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const deployment = await loadDeployment({ stack: values.stack });
  const clients = clientsFor(deployment);
  const objects = [
    ...(await readObjects<ResultBody>(clients, deployment.bucketName, 'results/')),
    ...(await readObjects<ResultBody>(clients, deployment.bucketName, 'failed/')),
  ];
  if (values.json) {
    for (const object of objects) console.log(JSON.stringify({ key: object.key, ...object.body }));
    return 0;
  }
  const byMinute = new Map<string, string[]>();
  for (const { key, body } of objects) {
    const id =
      key
        .split('/')
        .pop()
        ?.replace(/\.json$/, '') ?? key;
    const line = key.startsWith('failed/')
      ? `  failed   ${id}  item ${body.item ?? '-'}  ${body.reason} (receive ${body.receiveCount})`
      : `  results  ${id}  [${(body.items ?? []).map((entry) => entry.item).join(',')}]  ${groupsOf(body)}`;
    const minute = minuteOf(key);
    byMinute.set(minute, [...(byMinute.get(minute) ?? []), line]);
  }
  for (const minute of [...byMinute.keys()].sort()) {
    console.log(`${minute} UTC`);
    for (const line of byMinute.get(minute) ?? []) console.log(line);
  }
  const results = objects.filter((object) => object.key.startsWith('results/'));
  const items = results.reduce((sum, object) => sum + (object.body.items?.length ?? 0), 0);
  console.log(
    `${results.length} results objects (${items} items), ${objects.length - results.length} failure records`,
  );
  return 0;
});
