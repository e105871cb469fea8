import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { processBatch } from '../../lambdas/batch/process-batch';
import {
  batchDeps,
  batchRules,
  deadLetteredIds,
  fakeBucket,
  queueRecord,
  queueRecords,
  resultHolding,
  resultObjects,
  storedSegments,
} from './factories.batch';
import { fakeLedger } from './factories.ledger';

const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'eu-west-1' });

beforeEach(() => {
  s3Mock.reset();
});

/** The ledger calls of one kind, e.g. `stored`, in call order. */
const callsOf = (ledger: ReturnType<typeof fakeLedger>, kind: string): string[] =>
  ledger.calls.filter((call) => call.startsWith(`${kind} `));

describe('processBatch: the request ledger', () => {
  it("records each segment's stored indexes per request, with the object's key", async () => {
    // Prepare: [A1] then [A2, B3, A4]: the exclusion pair cuts after A1
    const bucket = fakeBucket(s3Mock);
    const ledger = fakeLedger();
    const records = queueRecords([
      ['A', 1],
      ['A', 2],
      ['B', 3],
      ['A', 4],
    ]);

    // Act
    const outcome = await processBatch(records, batchRules(), batchDeps(s3, { ledger }));

    // Assert
    const [first, second] = resultObjects(bucket).map(({ key }) => key);
    expect(callsOf(ledger, 'stored')).toEqual([
      `stored req-A 0 ${first}`,
      `stored req-A 1,2 ${second}`,
      `stored req-B 0 ${second}`,
    ]);
    expect(ledger.entries.get('req-A')?.stored).toEqual([0, 1, 2]);
    expect(outcome.ledgerErrors).toEqual([]);
  });

  it('records nothing as stored for a segment whose write failed, and the group part that was written', async () => {
    // Prepare: [A3, B4] fails as a whole; written group by group, A's part fails again
    const bucket = fakeBucket(s3Mock, resultHolding('msg-A-0'));
    const ledger = fakeLedger();

    // Act
    await processBatch(
      queueRecords([
        ['A', 3],
        ['B', 4],
      ]),
      batchRules(),
      batchDeps(s3, { ledger }),
    );

    // Assert
    const [bPart] = resultObjects(bucket).map(({ key }) => key);
    expect(callsOf(ledger, 'stored')).toEqual([`stored req-B 0 ${bPart}`]);
  });

  it.each([
    { receiveCount: 1, failed: ['failed req-A 0,1'] },
    { receiveCount: 9, failed: ['failed req-A 0,1'] },
  ])(
    'records the failed indexes once the function gives the items up, whatever the receive ($receiveCount)',
    async ({ receiveCount, failed }) => {
      // Prepare
      fakeBucket(s3Mock, resultHolding('msg-A-0'));
      const ledger = fakeLedger();

      // Act
      await processBatch(
        queueRecords(
          [
            ['A', 3],
            ['A', 4],
          ],
          receiveCount,
        ),
        batchRules(),
        batchDeps(s3, { ledger }),
      );

      // Assert
      expect(callsOf(ledger, 'failed')).toEqual(failed);
    },
  );

  it('acknowledges a redelivered record the ledger shows stored without a second write', async () => {
    // Prepare: A0 is in the ledger as stored, A1 is not
    fakeBucket(s3Mock);
    const ledger = fakeLedger();
    await ledger.recordStored('req-A', [0], 'results/2026/11/23/10/41/earlier.json');
    ledger.calls.length = 0;
    const records = queueRecords(
      [
        ['A', 3],
        ['A', 4],
      ],
      2,
    );

    // Act
    const outcome = await processBatch(records, batchRules(), batchDeps(s3, { ledger }));

    // Assert
    expect(ledger.calls[0]).toBe('read stored req-A');
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(1);
    expect(outcome).toMatchObject({ itemsAlreadyStored: 1, itemsStored: 1, failedMessageIds: [] });
  });

  it('cuts the duplicate of a crash after the writes: the redelivered batch writes nothing', async () => {
    // Prepare: the first invocation stores and records everything, then (as if it crashed) is redelivered
    const bucket = fakeBucket(s3Mock);
    const ledger = fakeLedger();
    const items = [
      ['A', 1],
      ['A', 2],
      ['B', 3],
    ] as const;
    await processBatch(
      queueRecords(items),
      batchRules(),
      batchDeps(s3, { ledger, now: '2026-11-23T10:42:01.000Z' }),
    );
    const writes = s3Mock.commandCalls(PutObjectCommand).length;

    // Act: a minute later, where the same segments would get new keys
    const outcome = await processBatch(
      queueRecords(items, 2),
      batchRules(),
      batchDeps(s3, { ledger, now: '2026-11-23T10:43:30.000Z' }),
    );

    // Assert
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(writes);
    expect(storedSegments(bucket)).toEqual([[1], [2, 3]]);
    expect(outcome).toMatchObject({ itemsAlreadyStored: 3, itemsStored: 0, failedMessageIds: [] });
  });

  it('does not look up a first delivery', async () => {
    // Prepare
    fakeBucket(s3Mock);
    const ledger = fakeLedger();

    // Act
    await processBatch([queueRecord({ item: 3 })], batchRules(), batchDeps(s3, { ledger }));

    // Assert
    expect(ledger.calls.filter((call) => call.startsWith('read'))).toEqual([]);
  });

  it('stores exactly as without a ledger when the ledger is unreachable, and counts every ledger error', async () => {
    // Prepare: one first delivery, one redelivery, one failure given up
    const withLedger = fakeLedger();
    withLedger.unreachable = true;
    const records = [
      queueRecord({ group: 'A', item: 3, index: 0 }),
      queueRecord({ group: 'B', item: 4, index: 0, receiveCount: 2 }),
      queueRecord({ group: 'C', item: 13, index: 0, receiveCount: 3 }),
    ];
    const failsC = resultHolding('msg-C-0');
    const unreachable = fakeBucket(s3Mock, failsC);
    const outcome = await processBatch(records, batchRules(), batchDeps(s3, { ledger: withLedger }));
    s3Mock.reset();
    const healthy = fakeBucket(s3Mock, failsC);

    // Act
    const expected = await processBatch(records, batchRules(), batchDeps(s3, { ledger: fakeLedger() }));

    // Assert: the same objects, failures and acknowledgements; only the ledger errors differ
    expect(storedSegments(unreachable)).toEqual(storedSegments(healthy));
    expect({ ...outcome, ledgerErrors: [] }).toEqual(expected);
    expect(deadLetteredIds(outcome)).toEqual(['msg-C-0']);
    // The lookup, the stored records of the two written parts, and the final failure.
    expect([...outcome.ledgerErrors].sort()).toEqual([
      'failed req-C: NetworkingError: connect ECONNREFUSED',
      'read stored: NetworkingError: connect ECONNREFUSED',
      'stored req-A: NetworkingError: connect ECONNREFUSED',
      'stored req-B: NetworkingError: connect ECONNREFUSED',
    ]);
  });
});
