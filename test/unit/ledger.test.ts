import { describe, expect, it } from 'vitest';
import {
  entryKey,
  expiresAtEpoch,
  indexesByRequest,
  itemsHash,
  type OwnedEntry,
  type RequestState,
  redeliveredRequests,
  requestStatus,
  windowStart,
  withoutAlreadyStored,
} from '../../lambdas/domain/ledger';
import { ACCEPTED_AT, FIXED_NOW, ledgerEntry, STALE_AFTER_SECONDS } from './factories.ledger';

const now = new Date(FIXED_NOW);
const OBJECT_1 = 'results/2026/11/23/10/42/aaaa.json';
const OBJECT_2 = 'results/2026/11/23/10/42/bbbb.json';
const COMPLETED_AT = '2026-11-23T10:42:05.000Z';

describe('requestStatus', () => {
  it.each<{
    name: string;
    entry: Partial<OwnedEntry>;
    status: RequestState;
    counts: { stored: number; pending: number; failed: number };
  }>([
    {
      name: 'nothing stored or failed yet',
      entry: {},
      status: 'queued',
      counts: { stored: 0, pending: 4, failed: 0 },
    },
    {
      name: 'some items stored',
      entry: { stored: [0, 1], objects: [OBJECT_1] },
      status: 'storing',
      counts: { stored: 2, pending: 2, failed: 0 },
    },
    {
      name: 'one item failed and others pending',
      entry: { failed: [2] },
      status: 'storing',
      counts: { stored: 0, pending: 3, failed: 1 },
    },
    {
      name: 'every item stored',
      entry: { stored: [0, 1, 2, 3], objects: [OBJECT_1, OBJECT_2], updatedAt: COMPLETED_AT },
      status: 'stored',
      counts: { stored: 4, pending: 0, failed: 0 },
    },
    {
      name: 'some items dead-lettered and nothing pending',
      entry: { stored: [0, 1, 3], failed: [2] },
      status: 'failed',
      counts: { stored: 3, pending: 0, failed: 1 },
    },
    {
      name: 'every item dead-lettered',
      entry: { failed: [0, 1, 2, 3] },
      status: 'failed',
      counts: { stored: 0, pending: 0, failed: 4 },
    },
    {
      name: 'the failed item redriven (out of failed, pending again)',
      entry: { stored: [0, 1, 3], failed: [] },
      status: 'storing',
      counts: { stored: 3, pending: 1, failed: 0 },
    },
    {
      name: 'an item stored after its final attempt was recorded failed (the object wins)',
      entry: { stored: [0, 1, 2, 3], failed: [2], updatedAt: COMPLETED_AT },
      status: 'stored',
      counts: { stored: 4, pending: 0, failed: 0 },
    },
  ])('is $status with $name', ({ entry, status, counts }) => {
    // Act
    const answer = requestStatus(ledgerEntry(entry), now, STALE_AFTER_SECONDS);

    // Assert
    expect(answer).toMatchObject({
      requestId: 'req-A',
      status,
      accepted: 4,
      ...counts,
      acceptedAt: ACCEPTED_AT,
    });
    expect(answer.stored + answer.pending + answer.failed).toBe(4);
  });

  it('answers every field of the contract, completedAt (the last update) once all are stored, objects in key order', () => {
    // Prepare
    const entry = ledgerEntry({
      stored: [0, 1, 2, 3],
      objects: [OBJECT_2, OBJECT_1],
      updatedAt: COMPLETED_AT,
    });

    // Act
    const answer = requestStatus(entry, now, STALE_AFTER_SECONDS);

    // Assert
    expect(answer).toStrictEqual({
      requestId: 'req-A',
      status: 'stored',
      accepted: 4,
      stored: 4,
      pending: 0,
      failed: 0,
      acceptedAt: ACCEPTED_AT,
      completedAt: COMPLETED_AT,
      objects: [OBJECT_1, OBJECT_2],
    });
  });

  it.each([
    { name: 'until every item is stored', entry: ledgerEntry({ stored: [0], updatedAt: COMPLETED_AT }) },
    {
      name: 'when some items failed',
      entry: ledgerEntry({ stored: [0, 1, 2], failed: [3], updatedAt: COMPLETED_AT }),
    },
    {
      name: 'when no update time was recorded',
      entry: { ...ledgerEntry({ stored: [0, 1, 2, 3] }), updatedAt: undefined },
    },
  ])('leaves completedAt out $name', ({ entry }) => {
    // Act
    const answer = requestStatus(entry, now, STALE_AFTER_SECONDS);

    // Assert
    expect(answer).not.toHaveProperty('completedAt');
  });

  it.each([
    {
      name: 'pending and quiet for longer than the retries take',
      quietSeconds: 721,
      pending: true,
      stale: true,
    },
    { name: 'pending and recently updated', quietSeconds: 719, pending: true, stale: false },
    {
      name: 'pending and quiet exactly as long as retries take',
      quietSeconds: 720,
      pending: true,
      stale: false,
    },
    { name: 'settled, however long ago', quietSeconds: 86_400, pending: false, stale: false },
  ])('reports stale only when $name', ({ quietSeconds, pending, stale }) => {
    // Prepare
    const updatedAt = new Date(now.getTime() - quietSeconds * 1000).toISOString();
    const entry = ledgerEntry({ updatedAt, stored: pending ? [0] : [0, 1, 2, 3] });

    // Act
    const answer = requestStatus(entry, now, STALE_AFTER_SECONDS);

    // Assert
    expect(answer.stale).toBe(stale ? true : undefined);
  });
});

describe('itemsHash', () => {
  it('hashes the items as parsed, so JSON spellings of the same numbers agree', () => {
    // Act
    const hashes = ['[1,2]', '[1.0, 2]', '[ 1e0 ,2 ]'].map((body) => itemsHash(JSON.parse(body)));

    // Assert
    expect(new Set(hashes).size).toBe(1);
    expect(hashes[0]).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    { name: 'another order', items: [2, 1] },
    { name: 'another item', items: [1, 3] },
    { name: 'one more item', items: [1, 2, 2] },
  ])('tells $name apart', ({ items }) => {
    expect(itemsHash(items)).not.toBe(itemsHash([1, 2]));
  });
});

describe('entry keys and times', () => {
  it('keys entries apart from the idempotency records', () => {
    expect(entryKey('0f1e')).toBe('request#0f1e');
  });

  it('expires an entry the retention after the write, in epoch seconds', () => {
    expect(expiresAtEpoch(new Date('2026-11-23T00:00:00.900Z'), 30)).toBe(
      Date.parse('2026-12-23T00:00:00Z') / 1000,
    );
  });

  it('starts the idempotency window the given hours before now', () => {
    expect(windowStart(now, 24)).toBe('2026-11-22T10:42:07.123Z');
  });
});

describe('the redelivery filter', () => {
  const record = (requestId: string, index: number, receiveCount: number) => ({
    requestId,
    index,
    receiveCount,
  });
  const stored = new Map([
    ['A', new Set([0, 1])],
    ['B', new Set<number>()],
  ]);

  it('acknowledges redelivered records the ledger shows stored and writes the rest', () => {
    // Prepare
    const records = [record('A', 0, 2), record('A', 2, 2), record('B', 0, 3), record('C', 0, 2)];

    // Act
    const { toWrite, alreadyStored } = withoutAlreadyStored(records, (r) => r, stored);

    // Assert
    expect(alreadyStored).toEqual([record('A', 0, 2)]);
    expect(toWrite).toEqual([record('A', 2, 2), record('B', 0, 3), record('C', 0, 2)]);
  });

  it('writes a first delivery even when the ledger shows its item stored', () => {
    // Act
    const { toWrite, alreadyStored } = withoutAlreadyStored([record('A', 1, 1)], (r) => r, stored);

    // Assert
    expect(alreadyStored).toEqual([]);
    expect(toWrite).toHaveLength(1);
  });

  it('looks up the requests of redelivered records only, each once', () => {
    // Act
    const requests = redeliveredRequests(
      [record('A', 0, 2), record('A', 1, 2), record('B', 0, 1), record('C', 0, 3)],
      (r) => r,
    );

    // Assert
    expect(requests).toEqual(['A', 'C']);
  });

  it('groups indexes by request in the order given', () => {
    expect([...indexesByRequest([record('B', 3, 1), record('A', 0, 1), record('B', 1, 1)])]).toEqual([
      ['B', [3, 1]],
      ['A', [0]],
    ]);
  });
});
