import { createHash } from 'node:crypto';
import { MalformedEnvelopeError } from './errors';
import type { Ordering } from './settings';

/** The body of one SQS message: one item plus where it came from. Versioned for future changes. */
export interface Envelope {
  readonly v: 1;
  readonly item: number;
  readonly requestId: string;
  readonly index: number;
  readonly acceptedAt: string;
}

export const GLOBAL_GROUP_ID = 'global';

export const encodeEnvelope = (envelope: Envelope): string => JSON.stringify(envelope);

const isIsoDate = (value: unknown): value is string =>
  typeof value === 'string' && !Number.isNaN(Date.parse(value));

export function decodeEnvelope(body: string): Envelope {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new MalformedEnvelopeError('Message body is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MalformedEnvelopeError('Message body is not a JSON object');
  }
  const { v, item, requestId, index, acceptedAt } = value as Record<string, unknown>;
  if (v !== 1) throw new MalformedEnvelopeError(`Unsupported envelope version ${JSON.stringify(v)}`);
  if (!Number.isSafeInteger(item)) throw new MalformedEnvelopeError('item is not a safe integer');
  if (typeof requestId !== 'string' || requestId === '')
    throw new MalformedEnvelopeError('requestId is missing');
  if (!Number.isSafeInteger(index) || (index as number) < 0)
    throw new MalformedEnvelopeError('index is invalid');
  if (!isIsoDate(acceptedAt)) throw new MalformedEnvelopeError('acceptedAt is not a date');
  return { v, item: item as number, requestId, index: index as number, acceptedAt };
}

/** Formats the first 128 bits of a digest like a UUID, so derived ids look like random ones. */
const uuidFromDigest = (hex: string): string =>
  `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;

/**
 * A request with an Idempotency-Key gets a request id derived from the key (scoped to the caller's
 * API key), so a repeat answers the same id and produces the same deduplication ids.
 */
export function requestIdFor(
  idempotencyKey: string | undefined,
  callerScope: string,
  randomId: () => string,
): string {
  if (idempotencyKey === undefined) return randomId();
  return uuidFromDigest(createHash('sha256').update(`${callerScope}\n${idempotencyKey}`).digest('hex'));
}

/** Explicit, never content-based: two requests that both send `1` carry two distinct items. */
export const deduplicationId = (requestId: string, index: number): string => `${requestId}:${index}`;

export const messageGroupId = (ordering: Ordering, requestId: string): string =>
  ordering === 'global' ? GLOBAL_GROUP_ID : requestId;
