import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { IdempotencyKeyReusedError, type LedgerEntry, type OwnedEntry } from '../../lambdas/domain/ledger';
import type { AcceptedEntry } from '../../lambdas/ledger/ledger-inputs';
import type { RequestLedger, StatusLedger } from '../../lambdas/ledger/ledger-interfaces';
import { API_KEY_ID, statusEvent } from '../support/lambda-events';

export { API_KEY_ID, statusEvent };

export const LEDGER_TABLE = 'request-ledger';
/** The clock of every ledger test, and a request accepted a little earlier. */
export const FIXED_NOW = '2026-11-23T10:42:07.123Z';
export const ACCEPTED_AT = '2026-11-23T10:41:59.000Z';
export const OTHER_API_KEY_ID = 'key-id-2';
/** The retries of the default settings, (3 + 1) x 180 s: a pending request quiet for longer is stale. */
export const STALE_AFTER_SECONDS = 720;

/** The ledger's variables, as the stack gives them to ingest and the batch writer with the defaults. */
export const LEDGER_ENV: Readonly<Record<string, string>> = {
  LEDGER_TABLE_NAME: LEDGER_TABLE,
  LEDGER_RETENTION_DAYS: '30',
};

/** Every variable the stack gives the status function. */
export const STATUS_FUNCTION_ENV: Readonly<Record<string, string>> = {
  LEDGER_TABLE_NAME: LEDGER_TABLE,
  STALE_AFTER_SECONDS: String(STALE_AFTER_SECONDS),
};

/** An entry ingest wrote for 4 items, nothing stored or failed yet, unless overridden. */
export function ledgerEntry(overrides: Partial<OwnedEntry> = {}): OwnedEntry {
  return {
    requestId: 'req-A',
    apiKeyId: API_KEY_ID,
    itemCount: 4,
    itemsHash: 'hash-of-1-2-3-4',
    acceptedAt: ACCEPTED_AT,
    updatedAt: ACCEPTED_AT,
    stored: [],
    failed: [],
    enqueued: [],
    objects: [],
    ...overrides,
  };
}

/** An entry as DynamoDB returns it (sets only when not empty: DynamoDB has no empty sets). */
export function dynamoItem(entry: LedgerEntry): Record<string, AttributeValue> {
  const text = (name: string, value: string | undefined) =>
    value === undefined ? {} : { [name]: { S: value } };
  const numberSet = (name: string, values: readonly number[]) =>
    values.length === 0 ? {} : { [name]: { NS: values.map(String) } };
  return {
    pk: { S: `request#${entry.requestId}` },
    ...text('apiKeyId', entry.apiKeyId),
    ...(entry.itemCount === undefined ? {} : { itemCount: { N: String(entry.itemCount) } }),
    ...text('itemsHash', entry.itemsHash),
    ...text('acceptedAt', entry.acceptedAt),
    ...text('updatedAt', entry.updatedAt),
    ...numberSet('stored', entry.stored),
    ...numberSet('failed', entry.failed),
    ...numberSet('enqueued', entry.enqueued),
    ...(entry.objects.length === 0 ? {} : { objects: { SS: [...entry.objects] } }),
  };
}

/** DynamoDB's answer to a write whose condition failed, with the item as it is (ALL_OLD). */
export const conditionalCheckFailed = (
  item?: Record<string, AttributeValue>,
): ConditionalCheckFailedException =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    Item: item,
  });

type MutableEntry = { -readonly [Field in keyof LedgerEntry]: LedgerEntry[Field] };

export interface FakeLedger extends RequestLedger, StatusLedger {
  /** The entries by request id, as the ledger holds them now. */
  readonly entries: Map<string, LedgerEntry>;
  /** Every call that reached the ledger, in order, e.g. `stored req-A 0,1 results/...`. */
  readonly calls: string[];
  /** While true, every call fails as an unreachable DynamoDB would. */
  unreachable: boolean;
}

const union = (a: readonly number[], b: readonly number[]): number[] =>
  [...new Set([...a, ...b])].sort((x, y) => x - y);

/**
 * The ledger in memory, with DynamoDB's semantics as dynamodb-ledger.ts uses them (sets that only grow,
 * the acceptance condition, the time of the last update), for tests of the code that uses it.
 */
export function fakeLedger(clock: () => Date = () => new Date(FIXED_NOW)): FakeLedger {
  const entries = new Map<string, LedgerEntry>();
  const calls: string[] = [];
  const ledger: FakeLedger = {
    entries,
    calls,
    unreachable: false,

    async recordAccepted(request: AcceptedEntry) {
      reach(`accepted ${request.requestId} ${request.itemCount}`);
      const old = entries.get(request.requestId);
      const acceptedAt = old?.acceptedAt ?? request.acceptedAt.toISOString();
      if (
        old?.itemsHash !== undefined &&
        (old.itemsHash !== request.itemsHash || acceptedAt < request.windowStart)
      ) {
        throw new IdempotencyKeyReusedError(request.requestId, 'reused');
      }
      const { requestId, apiKeyId, itemCount, itemsHash } = request;
      update(requestId, { apiKeyId, itemCount, itemsHash, acceptedAt });
      return old;
    },
    async recordEnqueued(requestId, indexes) {
      reach(`enqueued ${requestId} ${indexes.join(',')}`);
      update(requestId, { enqueued: union(entryOf(requestId).enqueued, indexes) });
    },
    async recordStored(requestId, indexes, objectKey) {
      reach(`stored ${requestId} ${indexes.join(',')} ${objectKey}`);
      const entry = entryOf(requestId);
      update(requestId, {
        stored: union(entry.stored, indexes),
        objects: [...new Set([...entry.objects, objectKey])].sort(),
      });
    },
    async recordFailed(requestId, indexes) {
      reach(`failed ${requestId} ${indexes.join(',')}`);
      update(requestId, { failed: union(entryOf(requestId).failed, indexes) });
    },
    async storedIndexes(requestIds) {
      reach(`read stored ${requestIds.join(',')}`);
      return new Map(
        requestIds.flatMap((id) => {
          const entry = entries.get(id);
          return entry === undefined ? [] : [[id, new Set(entry.stored)] as const];
        }),
      );
    },
    async read(requestId) {
      reach(`read ${requestId}`);
      return entries.get(requestId);
    },
  };

  function reach(call: string): void {
    if (ledger.unreachable)
      throw Object.assign(new Error('connect ECONNREFUSED'), { name: 'NetworkingError' });
    calls.push(call);
  }
  function entryOf(requestId: string): LedgerEntry {
    return entries.get(requestId) ?? { requestId, stored: [], failed: [], enqueued: [], objects: [] };
  }
  function update(requestId: string, changes: Partial<MutableEntry>): void {
    entries.set(requestId, { ...entryOf(requestId), ...changes, updatedAt: clock().toISOString() });
  }
  return ledger;
}

interface StoredRecord {
  [attribute: string]: AttributeValue;
}

/** Attributes of an item set by an `SET #a = :a, #b = :b` expression, the only form Powertools writes. */
function applySet(
  item: StoredRecord,
  expression: string,
  names: Record<string, string>,
  values: Record<string, AttributeValue>,
): StoredRecord {
  const assignments = expression.replace(/^SET\s+/, '').split(/,\s*/);
  const updated = { ...item };
  for (const assignment of assignments) {
    const [name = '', value = ''] = assignment.split(/\s*=\s*/);
    const attribute = names[name] ?? name;
    const attributeValue = values[value];
    if (attributeValue !== undefined) updated[attribute] = attributeValue;
  }
  return updated;
}

export interface FakeIdempotencyTable {
  readonly items: Map<string, StoredRecord>;
}

/**
 * Powertools' idempotency records on a mocked DynamoDB client: its conditional PutItem (refused with
 * the record while one is in progress or completed and not expired), UpdateItem, GetItem and
 * DeleteItem, keyed by `pk`. Every other call (the ledger's entries) is answered `{}`.
 */
export function fakeIdempotencyTable(ddbMock: AwsClientStub<DynamoDBClient>): FakeIdempotencyTable {
  const items = new Map<string, StoredRecord>();
  const keyOf = (key: Record<string, AttributeValue> | undefined): string => key?.pk?.S ?? '';
  ddbMock.onAnyCommand().resolves({});
  ddbMock.on(PutItemCommand).callsFake(async (input) => {
    const key = keyOf(input.Item);
    const existing = items.get(key);
    const nowSeconds = Date.now() / 1000;
    const expired = Number(existing?.expiresAt?.N ?? 0) < nowSeconds;
    const inProgressExpired =
      existing?.status?.S === 'INPROGRESS' &&
      Number(existing.in_progress_expiration?.N ?? Infinity) < Date.now();
    if (existing !== undefined && !expired && !inProgressExpired) throw conditionalCheckFailed(existing);
    items.set(key, { ...input.Item });
    return {};
  });
  ddbMock.on(UpdateItemCommand).callsFake(async (input) => {
    const key = keyOf(input.Key);
    if (!key.startsWith('idempotency#')) return {};
    items.set(
      key,
      applySet(
        items.get(key) ?? { ...input.Key },
        input.UpdateExpression,
        input.ExpressionAttributeNames,
        input.ExpressionAttributeValues,
      ),
    );
    return {};
  });
  ddbMock.on(GetItemCommand).callsFake(async (input) => ({ Item: items.get(keyOf(input.Key)) }));
  ddbMock.on(DeleteItemCommand).callsFake(async (input) => {
    items.delete(keyOf(input.Key));
    return {};
  });
  return { items };
}
