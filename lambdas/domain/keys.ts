import { createHash } from 'node:crypto';

/**
 * Where the batch writer's objects live in the bucket, the one home of the key layout: the writer
 * names its keys here, and the tools, the dashboard and the audit list and read them back with the
 * same functions.
 *
 *   results/YYYY/MM/DD/HH/mm/<id>.json         one object per segment, under the UTC minute of the write
 *   failed/YYYY/MM/DD/HH/mm/<messageId>.json   one failure record per message
 */

export const RESULTS_PREFIX = 'results/';
export const FAILED_PREFIX = 'failed/';

/** What a stored object is, told by its key's prefix. */
export type StoredKind = 'results' | 'failed';

/** Where each kind of object lives: `results/` or `failed/`. */
export const PREFIX_OF: Readonly<Record<StoredKind, string>> = {
  results: RESULTS_PREFIX,
  failed: FAILED_PREFIX,
};

const pad = (n: number): string => String(n).padStart(2, '0');

/** `YYYY/MM/DD/HH/mm` of the UTC minute. */
export const minutePath = (at: Date): string =>
  `${at.getUTCFullYear()}/${pad(at.getUTCMonth() + 1)}/${pad(at.getUTCDate())}/${pad(at.getUTCHours())}/${pad(at.getUTCMinutes())}`;

/** `YYYY-MM-DDTHH:mmZ`, the minute an object belongs to, as stored in its body. */
export const minuteLabel = (at: Date): string => `${at.toISOString().slice(0, 16)}Z`;

/**
 * The id hashes the segment's deduplication ids, so writing the same segment again in the same
 * minute (a redelivery after a crash) finds its object (writes are write-once) instead of adding a
 * duplicate.
 */
export function resultKey(at: Date, deduplicationIds: readonly string[]): string {
  const id = createHash('sha256').update(deduplicationIds.join('\n')).digest('hex').slice(0, 32);
  return `${RESULTS_PREFIX}${minutePath(at)}/${id}.json`;
}

/** One failure record per message: SQS keeps the message id across redeliveries. */
export const failureKey = (at: Date, messageId: string): string =>
  `${FAILED_PREFIX}${minutePath(at)}/${messageId}.json`;

/** The folder of one UTC minute, e.g. `results/2026/11/23/10/42/`: a listing of that minute's objects. */
export const minutePrefix = (kind: StoredKind, at: Date): string => `${PREFIX_OF[kind]}${minutePath(at)}/`;

/** The folder of one UTC hour, e.g. `failed/2026/11/23/10/`. */
export const hourPrefix = (kind: StoredKind, at: Date): string =>
  `${PREFIX_OF[kind]}${minutePath(at).slice(0, 'YYYY/MM/DD/HH'.length)}/`;

/** A stored object's key, read back: what it is, its minute and its id (the file name without `.json`). */
export interface StoredKey {
  readonly kind: StoredKind;
  /** `YYYY-MM-DDTHH:mmZ`, as minuteLabel gives it. */
  readonly minute: string;
  readonly id: string;
}

const STORED_KEY = /^(results|failed)\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\/(\d{2})\/([^/]+)\.json$/;

/** Reads a key of the layout above; undefined for any other key. */
export function parseStoredKey(key: string): StoredKey | undefined {
  const match = STORED_KEY.exec(key);
  if (!match) return undefined;
  const [, kind, year, month, day, hour, minute, id] = match as unknown as [string, StoredKind, ...string[]];
  return { kind, minute: `${year}-${month}-${day}T${hour}:${minute}Z`, id: id ?? '' };
}
