import { describe, expect, it } from 'vitest';
import { type ParkedMessage, reconcileParked } from '../../lambdas/batch/dead-letter-reconcile';
import type { FailureRecord } from '../../lambdas/domain/stored-objects';
import { ACCEPTED_AT, FIXED_MINUTE_PATH, FIXED_NOW, queueRecord } from './factories.batch';
import { fakeLedger } from './factories.ledger';

/** A parked message made from a queue record of the factories: SQS moved it unless `recorded`. */
const parked = (spec: Parameters<typeof queueRecord>[0], recorded = false): ParkedMessage => {
  const { messageId, body, groupId } = queueRecord(spec);
  return { messageId, body, groupId, receiveCount: 6, recorded };
};

function reconcileDeps() {
  const ledger = fakeLedger();
  const records: { key: string; record: FailureRecord }[] = [];
  return {
    ledger,
    records,
    deps: {
      recordFailed: (requestId: string, indexes: readonly number[]) =>
        ledger.recordFailed(requestId, indexes),
      putFailureRecord: async (key: string, record: FailureRecord) => {
        records.push({ key, record });
      },
      clock: () => new Date(FIXED_NOW),
    },
  };
}

describe('reconciling the dead-letter queue', () => {
  it('writes a receives_exhausted record and marks failed an item SQS moved on its own', async () => {
    // Prepare
    const { ledger, records, deps } = reconcileDeps();

    // Act
    const outcome = await reconcileParked([parked({ item: 21 })], deps);

    // Assert
    expect(outcome).toEqual({ recordsWritten: 1, itemsFailed: 1, malformed: 0 });
    expect(records).toEqual([
      {
        key: `failed/${FIXED_MINUTE_PATH}/msg-A-0.json`,
        record: expect.objectContaining({
          reason: 'receives_exhausted',
          item: 21,
          requestId: 'req-A',
          index: 0,
          receiveCount: 6,
          acceptedAt: ACCEPTED_AT,
        }),
      },
    ]);
    expect(ledger.entries.get('req-A')?.failed).toEqual([0]);
  });

  it('writes no second record for a message marked recorded, and still marks its item failed', async () => {
    // Prepare: given up by the function with its record written, or reconciled by an earlier pass.
    const { ledger, records, deps } = reconcileDeps();

    // Act
    const outcome = await reconcileParked([parked({ group: 'B', item: 22 }, true)], deps);

    // Assert
    expect(outcome).toEqual({ recordsWritten: 0, itemsFailed: 1, malformed: 0 });
    expect(records).toEqual([]);
    expect(ledger.entries.get('req-B')?.failed).toEqual([0]);
  });

  it('counts a malformed body apart: it names no request', async () => {
    // Prepare
    const { records, deps } = reconcileDeps();

    // Act
    const outcome = await reconcileParked(
      [{ messageId: 'm', body: 'not json', groupId: 'g', receiveCount: 6, recorded: false }],
      deps,
    );

    // Assert
    expect(outcome).toEqual({ recordsWritten: 0, itemsFailed: 0, malformed: 1 });
    expect(records).toEqual([]);
  });
});
