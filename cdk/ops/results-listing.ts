import { UsageError } from './cli-options';
import type { Clients } from './deployment';
import { readObjects, type StoredObject } from './pipeline-client';

/** What `npm run results` shows of a deployment's stored objects. */

export interface ListedBody {
  readonly items?: { item: number; requestId: string; index: number; groupId?: string }[];
  readonly requestId?: string;
  readonly reason?: string;
  readonly item?: number;
  readonly receiveCount?: number;
}

/** `--minute 2026-11-23T10:42` as the key path `2026/11/23/10/42`; anything else is a usage error. */
export function minuteOption(value: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})Z?$/.exec(value);
  if (!match || Number.isNaN(Date.parse(`${match.slice(1, 4).join('-')}T${match[4]}:${match[5]}:00Z`))) {
    throw new UsageError(`--minute must be a UTC minute like 2026-11-23T10:42 (got ${value})`);
  }
  return match.slice(1).join('/');
}

/** Every results/ object, then every failed/ record; only those of one minute (a key path) when given. */
export const readStoredObjects = async (
  clients: Clients,
  bucketName: string,
  minutePath?: string,
): Promise<StoredObject<ListedBody>[]> => {
  const under = (prefix: string) => (minutePath ? `${prefix}${minutePath}/` : prefix);
  return [
    ...(await readObjects<ListedBody>(clients, bucketName, under('results/'))),
    ...(await readObjects<ListedBody>(clients, bucketName, under('failed/'))),
  ];
};

/** The objects holding items of one request, and its failure records. */
export const ofRequest = (
  objects: readonly StoredObject<ListedBody>[],
  requestId: string,
): StoredObject<ListedBody>[] =>
  objects.filter(
    ({ body }) =>
      body.requestId === requestId || (body.items ?? []).some((entry) => entry.requestId === requestId),
  );

/** The message groups an object holds, in order: one per request unless ordering is global. */
const groupsOf = (body: ListedBody): string => {
  const groups = [...new Set((body.items ?? []).map((entry) => entry.groupId ?? '?'))];
  return `${groups.length === 1 ? 'group' : 'groups'} ${groups.join(', ')}`;
};

/** `results/2026/11/23/10/42/<id>.json` -> `2026-11-23 10:42`. */
const minuteOf = (key: string): string => {
  const [, y, mo, d, h, mi] = key.split('/');
  return `${y}-${mo}-${d} ${h}:${mi}`;
};

const lineOf = ({ key, body }: StoredObject<ListedBody>): string => {
  const id =
    key
      .split('/')
      .pop()
      ?.replace(/\.json$/, '') ?? key;
  return key.startsWith('failed/')
    ? `  failed   ${id}  item ${body.item ?? '-'}  ${body.reason} (receive ${body.receiveCount})`
    : `  results  ${id}  [${(body.items ?? []).map((entry) => entry.item).join(',')}]  ${groupsOf(body)}`;
};

/** The objects per UTC minute, oldest first, with a closing count. */
export function formatByMinute(objects: readonly StoredObject<ListedBody>[]): string[] {
  const byMinute = new Map<string, string[]>();
  for (const object of objects) {
    const minute = minuteOf(object.key);
    byMinute.set(minute, [...(byMinute.get(minute) ?? []), lineOf(object)]);
  }
  const lines = [...byMinute.keys()]
    .sort()
    .flatMap((minute) => [`${minute} UTC`, ...(byMinute.get(minute) ?? [])]);
  const results = objects.filter((object) => object.key.startsWith('results/'));
  const items = results.reduce((sum, object) => sum + (object.body.items?.length ?? 0), 0);
  lines.push(
    `${results.length} results objects (${items} items), ${objects.length - results.length} failure records`,
  );
  return lines;
}
