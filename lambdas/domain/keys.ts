import { createHash } from 'node:crypto';

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
  return `results/${minutePath(at)}/${id}.json`;
}

/** One failure record per message: SQS keeps the message id across redeliveries. */
export const failureKey = (at: Date, messageId: string): string =>
  `failed/${minutePath(at)}/${messageId}.json`;

export const RESULTS_PREFIX = 'results/';
export const FAILED_PREFIX = 'failed/';
