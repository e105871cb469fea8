import type { AttributeValue, UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { expiresAtEpoch, isOwnedBy, requestStatus } from '../../lambdas/domain/ledger';
import {
  type AcceptedEntry,
  acceptedUpdate,
  entryFrom,
  storedUpdate,
} from '../../lambdas/ledger/ledger-inputs';
import { type DynamoItem, itemAfterUpdate } from '../bench/cost-model';
import { API_KEY_ID, STALE_AFTER_SECONDS } from './factories.ledger';

/**
 * Without an Idempotency-Key, ingest writes the entry while it publishes the items, so the batch
 * writer's updates of the request may reach the entry before ingest's write does. Applied in any such
 * order, the writes must leave the same entry. DynamoDB's semantics of the clauses the ledger sends
 * (SET, if_not_exists, ADD to a set) are cost-model.ts's `itemAfterUpdate`; the end-to-end tier checks
 * the same orders on the local cloud's DynamoDB (test/e2e/ledger.test.ts).
 */

const TABLE = 'ledger';
const RETENTION_DAYS = 30;
/** Ingest's clock when it accepts, and the batch writer's when it stores the two objects after it. */
const ACCEPTED = new Date('2026-11-23T10:42:07.123Z');
const FIRST_STORE = new Date('2026-11-23T10:42:07.480Z');
const SECOND_STORE = new Date('2026-11-23T10:42:08.015Z');
const OBJECT_A = 'results/2026/11/23/10/42/aaaa.json';
const OBJECT_B = 'results/2026/11/23/10/42/bbbb.json';

const accepted = (repeatable: boolean): AcceptedEntry => ({
  requestId: 'req-A',
  apiKeyId: API_KEY_ID,
  itemCount: 4,
  itemsHash: 'hash-of-1-2-3-4',
  acceptedAt: ACCEPTED,
  windowStart: '2026-11-22T10:42:07.123Z',
  repeatable,
});
const ingestWrite = (repeatable: boolean): UpdateItemCommandInput =>
  acceptedUpdate(accepted(repeatable), { tableName: TABLE, now: ACCEPTED, retentionDays: RETENTION_DAYS });
/** The batch writer's updates in the order it makes them. */
const batchWrites: readonly UpdateItemCommandInput[] = [
  storedUpdate('req-A', [0, 1], OBJECT_A, {
    tableName: TABLE,
    now: FIRST_STORE,
    retentionDays: RETENTION_DAYS,
  }),
  storedUpdate('req-A', [2, 3], OBJECT_B, {
    tableName: TABLE,
    now: SECOND_STORE,
    retentionDays: RETENTION_DAYS,
  }),
];

/** Sets in a fixed order: DynamoDB's sets have none. */
const normalized = (item: DynamoItem): DynamoItem =>
  Object.fromEntries(
    Object.entries(item).map(([name, value]): [string, AttributeValue] => {
      if (value.NS !== undefined) return [name, { NS: [...value.NS].sort() }];
      if (value.SS !== undefined) return [name, { SS: [...value.SS].sort() }];
      return [name, value];
    }),
  );

/** The entry after ingest's write lands after `batchFirst` of the batch writer's updates. */
function entryWithIngestAfter(batchFirst: number, repeatable: boolean): DynamoItem {
  const writes = [...batchWrites];
  writes.splice(batchFirst, 0, ingestWrite(repeatable));
  const item = writes.reduce<DynamoItem | undefined>(
    (before, write) => itemAfterUpdate(before, write),
    undefined,
  );
  if (item === undefined) throw new Error('no writes applied');
  return normalized(item);
}

describe("ingest's entry of a new request id and the batch writer's updates, in any order", () => {
  it.each([1, 2])(
    'leaves the same entry when it lands after %i of the updates as when it lands first',
    (batchFirst) => {
      // Act
      const entry = entryWithIngestAfter(batchFirst, false);

      // Assert
      expect(entry).toStrictEqual(entryWithIngestAfter(0, false));
    },
  );

  it('keeps the last store as the time of the last update, and expires from the acceptance', () => {
    // Act
    const entry = entryWithIngestAfter(batchWrites.length, false);

    // Assert
    expect(entry.updatedAt).toStrictEqual({ S: SECOND_STORE.toISOString() });
    expect(entry.expiresAt).toStrictEqual({ N: String(expiresAtEpoch(ACCEPTED, RETENTION_DAYS)) });
  });

  it('answers the status of every item stored, completed at the last store, with the entry landing last', () => {
    // Prepare
    const entry = entryFrom(entryWithIngestAfter(batchWrites.length, false));
    if (!isOwnedBy(entry, API_KEY_ID)) throw new Error('the entry has no owner');

    // Act
    const status = requestStatus(entry, SECOND_STORE, STALE_AFTER_SECONDS);

    // Assert
    expect(status).toMatchObject({
      status: 'stored',
      stored: 4,
      pending: 0,
      acceptedAt: ACCEPTED.toISOString(),
      completedAt: SECOND_STORE.toISOString(),
      objects: [OBJECT_A, OBJECT_B],
    });
  });

  it("meets its condition over the batch writer's updates: they never write the items hash it checks", () => {
    // Act
    const before = batchWrites.reduce<DynamoItem | undefined>(
      (item, write) => itemAfterUpdate(item, write),
      undefined,
    );

    // Assert: `attribute_not_exists(#itemsHash) OR ...` holds
    expect(ingestWrite(false).ConditionExpression).toMatch(/^attribute_not_exists\(#itemsHash\) OR /);
    expect(before).toBeDefined();
    expect(before).not.toHaveProperty('itemsHash');
  });

  it('would not commute in the form kept for Idempotency-Keys, which is written before anything is published', () => {
    // Act
    const landingLast = entryWithIngestAfter(batchWrites.length, true);

    // Assert: the time of the last update would go back to the acceptance
    expect(landingLast.updatedAt).toStrictEqual({ S: ACCEPTED.toISOString() });
    expect(landingLast).not.toStrictEqual(entryWithIngestAfter(0, true));
  });
});
