import { minutePrefix, parseStoredKey } from '../../lambdas/domain/keys';
import type { ResultsObject } from '../../lambdas/domain/stored-objects';
import { type BatchWriterObject, readFailureRecords, readResultsObjects } from './bucket';
import { UsageError } from './cli-options';
import type { Clients } from './deployment';

/** What `npm run results` shows of a deployment's stored objects. */

/** `--minute 2026-11-23T10:42` as that minute's start; anything else is a usage error. */
export function minuteOption(value: string): Date {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})Z?$/.exec(value);
  const minute = new Date(`${match?.[1]}:00Z`);
  if (!match || Number.isNaN(minute.getTime()) || minute.toISOString().slice(0, 16) !== match[1]) {
    throw new UsageError(`--minute must be a UTC minute like 2026-11-23T10:42 (got ${value})`);
  }
  return minute;
}

/** Every results object, then every failure record; only those of one minute when given. */
export const readStoredObjects = async (
  clients: Clients,
  bucketName: string,
  minute?: Date,
): Promise<BatchWriterObject[]> => [
  ...(await readResultsObjects(
    clients,
    bucketName,
    minute ? { prefix: minutePrefix('results', minute) } : {},
  )),
  ...(await readFailureRecords(
    clients,
    bucketName,
    minute ? { prefix: minutePrefix('failed', minute) } : {},
  )),
];

/** The objects holding items of one request, and its failure records. */
export const ofRequest = (objects: readonly BatchWriterObject[], requestId: string): BatchWriterObject[] =>
  objects.filter((object) =>
    object.kind === 'failed'
      ? object.body.requestId === requestId
      : object.body.items.some((entry) => entry.requestId === requestId),
  );

/** The message groups an object holds, in order: one per request unless ordering is global. */
const groupsOf = (body: ResultsObject): string => {
  const groups = [...new Set(body.items.map((entry) => entry.groupId))];
  return `${groups.length === 1 ? 'group' : 'groups'} ${groups.join(', ')}`;
};

/** `results/2026/11/23/10/42/<id>.json` -> `2026-11-23 10:42`. */
const minuteOf = (key: string): string => parseStoredKey(key)?.minute.replace('T', ' ').slice(0, -1) ?? key;

const lineOf = (object: BatchWriterObject): string => {
  const id = parseStoredKey(object.key)?.id ?? object.key;
  return object.kind === 'failed'
    ? `  failed   ${id}  item ${object.body.item ?? '-'}  ${object.body.reason} (receive ${object.body.receiveCount})`
    : `  results  ${id}  [${object.body.items.map((entry) => entry.item).join(',')}]  ${groupsOf(object.body)}`;
};

/** The objects per UTC minute, oldest first, with a closing count. */
export function formatByMinute(objects: readonly BatchWriterObject[]): string[] {
  const byMinute = new Map<string, string[]>();
  for (const object of objects) {
    const minute = minuteOf(object.key);
    byMinute.set(minute, [...(byMinute.get(minute) ?? []), lineOf(object)]);
  }
  const lines = [...byMinute.keys()]
    .sort()
    .flatMap((minute) => [`${minute} UTC`, ...(byMinute.get(minute) ?? [])]);
  const results = objects.filter((object) => object.kind === 'results');
  const items = results.reduce((sum, object) => sum + object.body.items.length, 0);
  lines.push(
    `${results.length} results objects (${items} items), ${objects.length - results.length} failure records`,
  );
  return lines;
}
