import type { Clients } from './deployment';
import { readObjects, type StoredObject } from './pipeline-client';

/** What `npm run results` shows of a deployment's stored objects. */

export interface ListedBody {
  readonly items?: { item: number; requestId: string; index: number; groupId?: string }[];
  readonly reason?: string;
  readonly item?: number;
  readonly receiveCount?: number;
}

/** Every results/ object, then every failed/ record. */
export const readStoredObjects = async (
  clients: Clients,
  bucketName: string,
): Promise<StoredObject<ListedBody>[]> => [
  ...(await readObjects<ListedBody>(clients, bucketName, 'results/')),
  ...(await readObjects<ListedBody>(clients, bucketName, 'failed/')),
];

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
