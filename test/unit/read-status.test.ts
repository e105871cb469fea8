import { describe, expect, it } from 'vitest';
import { LedgerUnavailableError, type OwnedEntry, RequestNotFoundError } from '../../lambdas/domain/ledger';
import { readRequestStatus, type StatusQuery } from '../../lambdas/status/read-status';
import { rejectionOf } from './factories.ingest';
import {
  ACCEPTED_AT,
  API_KEY_ID,
  FIXED_NOW,
  fakeLedger,
  ledgerEntry,
  OTHER_API_KEY_ID,
  STALE_AFTER_SECONDS,
} from './factories.ledger';

const query = (overrides: Partial<StatusQuery> = {}): StatusQuery => ({
  requestId: 'req-A',
  callerScope: API_KEY_ID,
  now: new Date(FIXED_NOW),
  staleAfterSeconds: STALE_AFTER_SECONDS,
  ...overrides,
});

function ledgerWith(...entries: OwnedEntry[]) {
  const ledger = fakeLedger();
  for (const entry of entries) ledger.entries.set(entry.requestId, entry);
  return ledger;
}

describe('readRequestStatus', () => {
  it("answers the caller's own request from its entry", async () => {
    // Prepare
    const ledger = ledgerWith(ledgerEntry({ stored: [0, 1], objects: ['results/a.json'] }));

    // Act
    const status = await readRequestStatus(ledger, query());

    // Assert
    expect(status).toStrictEqual({
      requestId: 'req-A',
      status: 'storing',
      accepted: 4,
      stored: 2,
      pending: 2,
      failed: 0,
      acceptedAt: ACCEPTED_AT,
      objects: ['results/a.json'],
    });
  });

  it.each([
    { name: 'an unknown id', overrides: { requestId: 'req-unknown' }, lookups: 1 },
    { name: "another API key's request", overrides: { callerScope: OTHER_API_KEY_ID }, lookups: 1 },
    { name: 'an id no request can have', overrides: { requestId: '../req-A' }, lookups: 0 },
    { name: 'an id that only starts like one', overrides: { requestId: 'req-A/..' }, lookups: 0 },
    { name: 'no id', overrides: { requestId: undefined }, lookups: 0 },
  ])('answers $name with REQUEST_NOT_FOUND, worded alike', async ({ overrides, lookups }) => {
    // Prepare
    const ledger = ledgerWith(ledgerEntry());

    // Act
    const error = await rejectionOf(readRequestStatus(ledger, query(overrides)));

    // Assert
    expect(error).toBeInstanceOf(RequestNotFoundError);
    expect(error).toMatchObject({ code: 'REQUEST_NOT_FOUND', status: 404 });
    const requestId = 'requestId' in overrides ? (overrides.requestId ?? '') : 'req-A';
    expect((error as Error).message).toBe(`No request ${requestId} for this caller`);
    expect(ledger.calls).toHaveLength(lookups);
  });

  it.each([
    { name: 'an owner', field: 'apiKeyId' },
    { name: 'an item count', field: 'itemCount' },
    { name: 'a time of acceptance', field: 'acceptedAt' },
  ] as const)(
    'answers an entry without $name (ingest could not write it) with REQUEST_NOT_FOUND',
    async ({ field }) => {
      // Prepare: the batch writer's upserts alone create such an entry
      const ledger = fakeLedger();
      ledger.entries.set('req-A', { ...ledgerEntry({ stored: [0] }), [field]: undefined });

      // Act
      const error = await rejectionOf(readRequestStatus(ledger, query()));

      // Assert
      expect(error).toBeInstanceOf(RequestNotFoundError);
    },
  );

  it('answers LEDGER_UNAVAILABLE when the ledger cannot be read', async () => {
    // Prepare
    const ledger = ledgerWith(ledgerEntry());
    ledger.unreachable = true;

    // Act
    const error = await rejectionOf(readRequestStatus(ledger, query()));

    // Assert
    expect(error).toBeInstanceOf(LedgerUnavailableError);
    expect(error).toMatchObject({
      code: 'LEDGER_UNAVAILABLE',
      status: 503,
      message: 'The request ledger could not be read; retry later',
    });
    expect((error as Error).cause).toMatchObject({ message: 'connect ECONNREFUSED' });
  });
});
