import { describe, expect, it } from 'vitest';
import type { Deployment } from '../../cdk/ops/deployment';
import { ledgerOnRedrive } from '../../cdk/ops/redrive-ledger';
import { encodeEnvelope } from '../../lambdas/domain/envelope';
import { ledgerEntry } from './factories.ledger';

const deployment = {
  region: 'us-east-1',
  endpoint: 'http://127.0.0.1:4566',
  ledgerTableName: 'ledger',
} as Deployment;

const envelope = (requestId: string, index: number): string =>
  encodeEnvelope({ v: 1, item: index + 1, requestId, index, acceptedAt: '2026-11-25T10:00:00.000Z' });

/** An entry of the ledger, read instead of from DynamoDB: its stored indexes. */
const entries =
  (stored: Record<string, number[]>): Parameters<typeof ledgerOnRedrive>[2] =>
  async (_ddb, _table, requestId) => {
    const indexes = stored[requestId];
    return indexes === undefined ? undefined : ledgerEntry({ requestId, stored: indexes });
  };

/** Records every markRedriven call instead of calling DynamoDB. */
function recordingMark() {
  const calls: { table: string; requestId: string; indexes: readonly number[] }[] = [];
  const mark = async (_ddb: unknown, table: string, requestId: string, indexes: readonly number[]) => {
    calls.push({ table, requestId, indexes });
    return true;
  };
  return { calls, mark: mark as Parameters<typeof ledgerOnRedrive>[1] };
}

describe('ledgerOnRedrive', () => {
  it('marks each request once with its moved indexes, and passes over malformed bodies', async () => {
    // Prepare
    const { calls, mark } = recordingMark();

    // Act
    await ledgerOnRedrive(
      deployment,
      mark,
      entries({}),
    )([envelope('A', 2), 'not json', envelope('B', 0), envelope('A', 3)]);

    // Assert
    expect(calls).toEqual([
      { table: 'ledger', requestId: 'A', indexes: [2, 3] },
      { table: 'ledger', requestId: 'B', indexes: [0] },
    ]);
  });

  it('does nothing for a deployment without a ledger', async () => {
    // Prepare
    const { calls, mark } = recordingMark();

    // Act
    const send = await ledgerOnRedrive(
      { ...deployment, ledgerTableName: undefined },
      mark,
    )([envelope('A', 0)]);

    // Assert
    expect(calls).toEqual([]);
    expect(send).toEqual([true]);
  });

  it('sends back all but the items the ledger shows stored; a malformed body goes back as it is', async () => {
    // Prepare: A's index 2 was stored by a redelivery after it was dead-lettered
    const { calls, mark } = recordingMark();

    // Act
    const send = await ledgerOnRedrive(
      deployment,
      mark,
      entries({ A: [0, 2] }),
    )([envelope('A', 2), envelope('A', 3), 'not json', envelope('C', 0)]);

    // Assert
    expect(send).toEqual([false, true, true, true]);
    expect(calls.map(({ requestId, indexes }) => [requestId, indexes])).toEqual([
      ['A', [2, 3]],
      ['C', [0]],
    ]);
  });
});
