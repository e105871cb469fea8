import type { StoredFailure, StoredResults } from '../../cdk/ops/bucket';
import { parseStoredKey } from '../../lambdas/domain/keys';
import type { FailureRecord, StoredItem } from '../../lambdas/domain/stored-objects';
import { ACCEPTED_AT } from './factories.batch';

/** Objects of the batch writer as the tools read them back, complete bodies with defaults. */

type ItemSpec = Pick<StoredItem, 'item' | 'requestId' | 'index'> & Partial<StoredItem>;

export const storedItem = (spec: ItemSpec): StoredItem => ({
  messageId: `m-${spec.requestId}-${spec.index}`,
  groupId: spec.requestId,
  acceptedAt: ACCEPTED_AT,
  ...spec,
});

/** The minute a key names, e.g. `2026-11-23T10:42Z`; the write a second into it by default. */
const minuteOf = (key: string): string => parseStoredKey(key)?.minute ?? '2026-11-23T10:42Z';
const aSecondInto = (minute: string): string => new Date(Date.parse(minute) + 1_000).toISOString();

export const storedResults = (
  key: string,
  items: readonly ItemSpec[],
  { writtenAt, lastModified }: { writtenAt?: string; lastModified?: Date } = {},
): StoredResults => ({
  key,
  kind: 'results',
  lastModified,
  body: {
    v: 1,
    minute: minuteOf(key),
    writtenAt: writtenAt ?? aSecondInto(minuteOf(key)),
    items: items.map(storedItem),
  },
});

export const storedFailure = (key: string, fields: Partial<FailureRecord> = {}): StoredFailure => ({
  key,
  kind: 'failed',
  lastModified: undefined,
  body: {
    v: 1,
    minute: minuteOf(key),
    writtenAt: aSecondInto(minuteOf(key)),
    reason: 'write_failed',
    error: 'InjectedFaultError: FAULT_ITEMS: item 13 always fails',
    messageId: parseStoredKey(key)?.id ?? 'm',
    groupId: fields.requestId ?? 'group',
    receiveCount: 3,
    ...fields,
  },
});
