import { describe, expect, it, vi } from 'vitest';
import { type ParkedMessage, reconcileParked } from '../../lambdas/batch/dead-letter-reconcile';
import { decodeEnvelope } from '../../lambdas/domain/envelope';
import type { FailureRecord } from '../../lambdas/domain/stored-objects';
import { ACCEPTED_AT, FIXED_MINUTE_PATH, FIXED_NOW, queueRecord } from './factories.batch';
import { fakeLedger } from './factories.ledger';

// The real decoder, watched so one test can make it fail as no body does (a bug in it, say).
vi.mock('../../lambdas/domain/envelope', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../lambdas/domain/envelope')>();
  return { ...actual, decodeEnvelope: vi.fn(actual.decodeEnvelope) };
});

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
    expect(records).toStrictEqual([
      {
        key: `failed/${FIXED_MINUTE_PATH}/msg-A-0.json`,
        record: {
          v: 1,
          minute: '2026-11-23T10:42Z',
          writtenAt: FIXED_NOW,
          reason: 'receives_exhausted',
          error:
            'SQS moved the message to the dead-letter queue after maxReceiveCount receives the function never concluded',
          messageId: 'msg-A-0',
          groupId: 'A',
          receiveCount: 6,
          item: 21,
          requestId: 'req-A',
          index: 0,
          acceptedAt: ACCEPTED_AT,
        },
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

  it('stops at a decoding failure that is not a malformed body, rather than counting it malformed', async () => {
    // Prepare
    const { ledger, records, deps } = reconcileDeps();
    const bug = new TypeError('decoder bug');
    vi.mocked(decodeEnvelope).mockImplementationOnce(() => {
      throw bug;
    });

    // Act
    const pass = reconcileParked([parked({ item: 21 }), parked({ group: 'B', item: 22 })], deps);

    // Assert
    await expect(pass).rejects.toBe(bug);
    expect(records).toEqual([]);
    expect(ledger.entries.size).toBe(0);
  });
});
