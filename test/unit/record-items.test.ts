import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type RecordOutcome, recordItems } from '../../lambdas/analysis/record-items';
import { computeWindow, isoOf } from '../../lambdas/domain/windows';
import { ATTEMPT_PAUSE_MS, type DeadLetters } from '../../lambdas/shared/dead-letters';
import type { QueueRecord } from '../../lambdas/shared/queue-records';
import { dynamoDbWindows } from '../../lambdas/windows/dynamodb-windows';
import { paneRowFrom } from '../../lambdas/windows/window-inputs';
import { itemRecord } from './factories.analyses';
import { fakeDeadLetters, malformedRecord } from './factories.batch';
import {
  analysis,
  type FakeWindowsTable,
  fakeWindowsTable,
  msAfterT0,
  paneRow,
  SETTLE_MS,
  T0,
  WINDOW_TABLE,
} from './factories.windows';

const ddbMock = mockClient(DynamoDBClient);
const ddb = new DynamoDBClient({ region: 'eu-west-1' });
/** W 60, A 10, L 30: an item accepted at T0 + 5 s is in the windows T0 - 50 to T0, on time for each before its end + 30 s. */
const items60s = analysis();
const windows = dynamoDbWindows(ddb, {
  tableName: WINDOW_TABLE,
  analysis: items60s,
  retention: { settleMs: SETTLE_MS, retentionDays: 7 },
});
/** The windows holding pane T0, oldest first. */
const PANE_T0_WINDOWS = [T0 - 50, T0 - 40, T0 - 30, T0 - 20, T0 - 10, T0];

let table: FakeWindowsTable;

let pauses: number[];

/**
 * Records the items as an invocation received at `receivedAtMs` does, with one attempt and a dead-letter
 * queue that refuses everything unless told otherwise: what fails goes back to SQS.
 */
const record = (
  records: readonly QueueRecord[],
  receivedAtMs: number,
  {
    writeAttempts = 1,
    deadLetters = fakeDeadLetters('all'),
  }: { writeAttempts?: number; deadLetters?: DeadLetters } = {},
): Promise<RecordOutcome> =>
  recordItems(records, items60s, writeAttempts, {
    windows,
    clock: () => new Date(receivedAtMs),
    deadLetters,
    pause: async (ms) => {
      pauses.push(ms);
    },
  });

/** Everything counted in one attempt. */
const NOTHING_FAILED = { failedMessageIds: [], failures: [], malformed: [], deadLettered: 0, attempts: 1 };
const REFUSED = 'retried by SQS: the dead-letter queue refused it (Error: SQS refused it)';

/** The ids on a window row's late set, or none. */
const lateIds = (windowStart: number): string[] =>
  [...(table.row('window#items-60s', isoOf(windowStart))?.late?.SS ?? [])].sort();

/** The pane row of a request, as DynamoDB holds it. */
function storedRow(paneStart: number, requestId: string) {
  const row = table.row(`pane#items-60s#${paneStart}`, requestId);
  if (row === undefined) throw new Error(`no row for pane ${paneStart} of ${requestId}`);
  return paneRowFrom(row);
}

/** The counts of the windows holding pane T0, from the rows of the table. */
async function countsOfPaneT0Windows(): Promise<number[]> {
  const rows = await windows.paneRows(T0);
  return PANE_T0_WINDOWS.map((start) => computeWindow(start, items60s, rows).count);
}

beforeEach(() => {
  ddbMock.reset();
  table = fakeWindowsTable(ddbMock);
  pauses = [];
});

describe('recordItems', () => {
  it('writes the items to their pane row with their values and the time they were received', async () => {
    // Prepare
    const records = [itemRecord({ index: 0, item: 7 }), itemRecord({ index: 1, item: -3 })];

    // Act
    const outcome = await record(records, msAfterT0(12));

    // Assert
    expect(outcome).toStrictEqual({ ...NOTHING_FAILED, itemsCounted: 2, itemsLate: 0 });
    expect(table.calls).toEqual([`UpdateItem pane#items-60s#${T0} req-A`]);
    expect(storedRow(T0, 'req-A')).toStrictEqual(
      paneRow(T0, 'req-A', [
        [0, 7, msAfterT0(12)],
        [1, -3, msAfterT0(12)],
      ]),
    );
  });

  it('writes one row per pane and request, each in the pane of its acceptance time', async () => {
    // Prepare
    const records = [
      itemRecord({ requestId: 'req-A', index: 0, acceptedAtMs: msAfterT0(9.999) }),
      itemRecord({ requestId: 'req-B', index: 0, acceptedAtMs: msAfterT0(10) }),
      itemRecord({ requestId: 'req-A', index: 1, acceptedAtMs: msAfterT0(0) }),
      itemRecord({ requestId: 'req-C', index: 0, acceptedAtMs: msAfterT0(-0.001) }),
    ];

    // Act
    const outcome = await record(records, msAfterT0(12));

    // Assert
    expect(outcome.itemsCounted).toBe(4);
    expect(table.calls).toEqual([
      `UpdateItem pane#items-60s#${T0} req-A`,
      `UpdateItem pane#items-60s#${T0 + 10} req-B`,
      `UpdateItem pane#items-60s#${T0 - 10} req-C`,
    ]);
    expect([...storedRow(T0, 'req-A').items.keys()]).toEqual([0, 1]);
  });

  it('keeps the first arrival of a redelivered item, so it is counted once and not late', async () => {
    // Prepare: received on time, then again after the end plus lateness of all its windows
    await record([itemRecord({ item: 7 })], msAfterT0(12));

    // Act
    const outcome = await record([itemRecord({ item: 7, receiveCount: 2 })], msAfterT0(95));

    // Assert
    expect(outcome).toStrictEqual({ ...NOTHING_FAILED, itemsCounted: 1, itemsLate: 0 });
    expect(storedRow(T0, 'req-A')).toStrictEqual(paneRow(T0, 'req-A', [[0, 7, msAfterT0(12)]]));
    expect(table.calls.filter((call) => call.includes('window#'))).toEqual([]);
    expect(await countsOfPaneT0Windows()).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it.each([
    { receivedAfterT0: 39.999, lateFor: [] },
    { receivedAfterT0: 40, lateFor: [T0 - 50] },
    { receivedAfterT0: 49.999, lateFor: [T0 - 50] },
    { receivedAfterT0: 50, lateFor: [T0 - 50, T0 - 40] },
    { receivedAfterT0: 89.999, lateFor: PANE_T0_WINDOWS.slice(0, 5) },
    { receivedAfterT0: 90, lateFor: PANE_T0_WINDOWS },
  ])(
    'marks an item first received at T0 + $receivedAfterT0 s late for the windows it is late for only, and counts it in the others',
    async ({ receivedAfterT0, lateFor }) => {
      // Prepare: accepted at T0 + 5 s, so on time for window s before s + 60 + 30 s
      const records = [itemRecord({ item: 7, acceptedAtMs: msAfterT0(5) })];

      // Act
      const outcome = await record(records, msAfterT0(receivedAfterT0));

      // Assert
      expect(outcome).toStrictEqual({
        ...NOTHING_FAILED,
        itemsCounted: 1,
        itemsLate: lateFor.length > 0 ? 1 : 0,
      });
      for (const start of PANE_T0_WINDOWS) {
        expect(lateIds(start)).toEqual(lateFor.includes(start) ? ['req-A:0'] : []);
      }
      expect(await countsOfPaneT0Windows()).toEqual(
        PANE_T0_WINDOWS.map((start) => (lateFor.includes(start) ? 0 : 1)),
      );
    },
  );

  it('marks the late items of a window in one update per window, each item counted late once', async () => {
    // Prepare: two items of one request, received late for the two oldest windows of their pane
    const records = [itemRecord({ index: 0 }), itemRecord({ index: 1 })];

    // Act
    const outcome = await record(records, msAfterT0(55));

    // Assert
    expect(outcome.itemsLate).toBe(2);
    expect(table.calls).toEqual([
      `UpdateItem pane#items-60s#${T0} req-A`,
      `UpdateItem window#items-60s ${isoOf(T0 - 50)}`,
      `UpdateItem window#items-60s ${isoOf(T0 - 40)}`,
    ]);
    expect(lateIds(T0 - 50)).toEqual(['req-A:0', 'req-A:1']);
    expect(lateIds(T0 - 40)).toEqual(['req-A:0', 'req-A:1']);
  });

  it('marks late items of two requests of one pane on the same window row', async () => {
    // Prepare
    const records = [itemRecord({ requestId: 'req-A' }), itemRecord({ requestId: 'req-B' })];

    // Act
    const outcome = await record(records, msAfterT0(45));

    // Assert
    expect(outcome.itemsLate).toBe(2);
    expect(lateIds(T0 - 50)).toEqual(['req-A:0', 'req-B:0']);
    expect(lateIds(T0 - 40)).toEqual([]);
  });

  it("fails only the records of a group whose pane write fails, and acknowledges the others'", async () => {
    // Prepare
    table.failWhen = ({ sk }) => (sk === 'req-B' ? 'refused' : undefined);
    const records = [
      itemRecord({ requestId: 'req-A', item: 1 }),
      itemRecord({ requestId: 'req-B', index: 0, item: 2, receiveCount: 2 }),
      itemRecord({ requestId: 'req-C', item: 3 }),
      itemRecord({ requestId: 'req-B', index: 1, item: 4, receiveCount: 2 }),
    ];

    // Act
    const outcome = await record(records, msAfterT0(12));

    // Assert
    const error = `Error: DynamoDB refused UpdateItem pane#items-60s#${T0}`;
    expect(outcome).toStrictEqual({
      failedMessageIds: ['msg-req-B-0', 'msg-req-B-1'],
      failures: [
        { messageId: 'msg-req-B-0', item: 2, receiveCount: 2, error, retried: true, next: REFUSED },
        { messageId: 'msg-req-B-1', item: 4, receiveCount: 2, error, retried: true, next: REFUSED },
      ],
      deadLettered: 0,
      attempts: 1,
      itemsCounted: 2,
      itemsLate: 0,
      malformed: [],
    });
    expect([...table.rows.keys()].sort()).toEqual([
      `pane#items-60s#${T0}\nreq-A`,
      `pane#items-60s#${T0}\nreq-C`,
    ]);
  });

  it('fails the group when its late items cannot be marked; the redelivery marks them, from the first arrival', async () => {
    // Prepare: the pane row is written at T0 + 45 s (late for T0 - 50 only), its late mark fails
    table.failWhen = ({ pk }) => (pk.startsWith('window#') ? 'refused' : undefined);
    const failed = await record([itemRecord()], msAfterT0(45));
    table.failWhen = undefined;

    // Act
    const outcome = await record([itemRecord({ receiveCount: 2 })], msAfterT0(200));

    // Assert
    expect(failed.failedMessageIds).toEqual(['msg-req-A-0']);
    expect(failed.itemsCounted).toBe(0);
    expect(outcome).toStrictEqual({ ...NOTHING_FAILED, itemsCounted: 1, itemsLate: 1 });
    expect(PANE_T0_WINDOWS.map(lateIds)).toEqual([['req-A:0'], [], [], [], [], []]);
  });

  it('acknowledges a malformed record and reports it, and counts the others', async () => {
    // Prepare
    const records = [malformedRecord('not json'), itemRecord()];

    // Act
    const outcome = await record(records, msAfterT0(12));

    // Assert
    expect(outcome).toStrictEqual({
      failedMessageIds: [],
      failures: [],
      deadLettered: 0,
      attempts: 1,
      itemsCounted: 1,
      itemsLate: 0,
      malformed: [{ messageId: 'msg-bad', error: 'Message body is not JSON' }],
    });
  });

  it('writes nothing for no records', async () => {
    // Act
    const outcome = await record([], msAfterT0(12));

    // Assert
    expect(outcome).toStrictEqual({ ...NOTHING_FAILED, attempts: 0, itemsCounted: 0, itemsLate: 0 });
    expect(table.calls).toEqual([]);
  });
  it('tries a failed pane write again within the invocation, pausing longer each time, and counts it once it lands', async () => {
    // Prepare: req-B's write is refused twice, then lands
    let refusals = 2;
    table.failWhen = ({ sk }) => (sk === 'req-B' && refusals-- > 0 ? 'refused' : undefined);
    const records = [itemRecord({ requestId: 'req-A' }), itemRecord({ requestId: 'req-B', item: 2 })];

    // Act
    const outcome = await record(records, msAfterT0(12), { writeAttempts: 3 });

    // Assert
    expect(outcome).toStrictEqual({ ...NOTHING_FAILED, attempts: 3, itemsCounted: 2, itemsLate: 0 });
    expect(pauses).toEqual([ATTEMPT_PAUSE_MS, 2 * ATTEMPT_PAUSE_MS]);
    // The row that landed first is not written again.
    expect(table.calls.filter((call) => call.endsWith('req-A'))).toHaveLength(1);
    expect(storedRow(T0, 'req-B').items.size).toBe(1);
  });

  it('moves what failed every attempt to the dead-letter queue in delivery order and acknowledges it', async () => {
    // Prepare
    table.failWhen = ({ sk }) => (sk === 'req-A' ? undefined : 'refused');
    const deadLetters = fakeDeadLetters();
    const records = [
      itemRecord({ requestId: 'req-C', item: 5 }),
      itemRecord({ requestId: 'req-A', item: 1 }),
      itemRecord({ requestId: 'req-B', item: 2 }),
      itemRecord({ requestId: 'req-C', index: 1, item: 6 }),
    ];

    // Act
    const outcome = await record(records, msAfterT0(12), { writeAttempts: 2, deadLetters });

    // Assert
    expect(outcome.failedMessageIds).toEqual([]);
    expect(outcome.deadLettered).toBe(3);
    expect(outcome.attempts).toBe(2);
    expect(outcome.itemsCounted).toBe(1);
    expect(outcome.failures.map(({ messageId, next }) => [messageId, next])).toEqual([
      ['msg-req-C-0', 'dead-lettered after 2 attempts'],
      ['msg-req-B-0', 'dead-lettered after 2 attempts'],
      ['msg-req-C-1', 'dead-lettered after 2 attempts'],
    ]);
    expect(
      deadLetters.moved.map(({ record: moved, reason, attempts, recorded }) => [
        moved.messageId,
        reason,
        attempts,
        recorded,
      ]),
    ).toEqual([
      ['msg-req-C-0', 'write_failed', 2, false],
      ['msg-req-B-0', 'write_failed', 2, false],
      ['msg-req-C-1', 'write_failed', 2, false],
    ]);
    expect(pauses).toEqual([ATTEMPT_PAUSE_MS]);
  });

  it('leaves to SQS only the records the dead-letter queue refuses', async () => {
    // Prepare
    table.failWhen = () => 'refused';
    const deadLetters = fakeDeadLetters(['msg-req-B-0']);
    const records = [itemRecord({ requestId: 'req-A' }), itemRecord({ requestId: 'req-B' })];

    // Act
    const outcome = await record(records, msAfterT0(12), { writeAttempts: 1, deadLetters });

    // Assert
    expect(outcome.failedMessageIds).toEqual(['msg-req-B-0']);
    expect(outcome.deadLettered).toBe(1);
    expect(deadLetters.moved.map(({ record: moved }) => moved.messageId)).toEqual(['msg-req-A-0']);
  });
});
