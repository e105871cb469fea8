import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { withWindowFaults } from '../../lambdas/analysis/fault-injection';
import { InjectedFaultError } from '../../lambdas/shared/fault-injection';
import { dynamoDbWindows } from '../../lambdas/windows/dynamodb-windows';
import type { PaneWrite } from '../../lambdas/windows/window-inputs';
import { faultSettings, scriptedRandom } from './factories.batch';
import { rejectionOf } from './factories.ingest';
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
const windows = dynamoDbWindows(new DynamoDBClient({ region: 'eu-west-1' }), {
  tableName: WINDOW_TABLE,
  analysis: analysis(),
  retention: { settleMs: SETTLE_MS, retentionDays: 7 },
});

let table: FakeWindowsTable;

/** A write of req-A's items to pane T0, received at T0 + 12 s. */
const paneWrite = (values: readonly number[], requestId = 'req-A'): PaneWrite => ({
  paneStart: T0,
  requestId,
  items: values.map((value, index) => ({ index, value })),
  receivedAtMs: msAfterT0(12),
});

const paneWrites = () => table.calls.filter((call) => call.startsWith('UpdateItem pane#'));

beforeEach(() => {
  ddbMock.reset();
  table = fakeWindowsTable(ddbMock);
});

describe('withWindowFaults', () => {
  it('is the windows themselves when every switch is off', () => {
    // Act
    const faulty = withWindowFaults(windows, faultSettings(), scriptedRandom([]));

    // Assert
    expect(faulty).toBe(windows);
  });

  it('fails a pane write holding a FAULT_ITEMS item before it reaches the table, without a draw', async () => {
    // Prepare
    const random = scriptedRandom([]);
    const faulty = withWindowFaults(windows, faultSettings({ faultItems: [13] }), random);

    // Act
    const error = await rejectionOf(faulty.writePane(paneWrite([4, 13])));

    // Assert
    expect(error).toBeInstanceOf(InjectedFaultError);
    expect(error).toMatchObject({ message: 'FAULT_ITEMS: item 13 always fails' });
    expect(paneWrites()).toEqual([]);
    expect(random.calls()).toBe(0);
  });

  it('writes a pane write without FAULT_ITEMS items, answering the row', async () => {
    // Prepare
    const faulty = withWindowFaults(windows, faultSettings({ faultItems: [13] }), scriptedRandom([]));

    // Act
    const row = await faulty.writePane(paneWrite([4, 5]));

    // Assert
    expect(row).toStrictEqual(
      paneRow(T0, 'req-A', [
        [0, 4, msAfterT0(12)],
        [1, 5, msAfterT0(12)],
      ]),
    );
    expect(paneWrites()).toEqual([`UpdateItem pane#items-60s#${T0} req-A`]);
  });

  it('fails the pane writes FAULT_RATE draws, one draw per write', async () => {
    // Prepare: a rate of 0.5 fails a draw below it
    const random = scriptedRandom([0.49, 0.5]);
    const faulty = withWindowFaults(windows, faultSettings({ faultRate: 0.5 }), random);

    // Act
    const first = await rejectionOf(faulty.writePane(paneWrite([4], 'req-A')));
    const second = await faulty.writePane(paneWrite([5], 'req-B'));

    // Assert
    expect(first).toMatchObject({ message: 'FAULT_RATE 0.5: simulated storage failure' });
    expect(second.requestId).toBe('req-B');
    expect(paneWrites()).toEqual([`UpdateItem pane#items-60s#${T0} req-B`]);
    expect(random.calls()).toBe(2);
  });

  it.each([
    { name: 'FAULT_ITEMS', faults: faultSettings({ faultItems: [13] }) },
    { name: 'FAULT_RATE', faults: faultSettings({ faultRate: 1 }) },
  ])('marks late items as the windows do with $name on', async ({ faults }) => {
    // Prepare
    const faulty = withWindowFaults(windows, faults, scriptedRandom([]));

    // Act
    await faulty.addLate(T0 - 50, [{ requestId: 'req-A', index: 13 }]);

    // Assert
    expect(table.row('window#items-60s', '2026-11-23T10:41:10.000Z')?.late).toEqual({ SS: ['req-A:13'] });
  });
});
