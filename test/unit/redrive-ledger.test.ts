import { describe, expect, it } from 'vitest';
import type { Deployment } from '../../cdk/ops/deployment';
import { ledgerOnRedrive } from '../../cdk/ops/redrive-ledger';
import { encodeEnvelope } from '../../lambdas/domain/envelope';

const deployment = {
  region: 'us-east-1',
  endpoint: 'http://127.0.0.1:4566',
  ledgerTableName: 'ledger',
} as Deployment;

const envelope = (requestId: string, index: number): string =>
  encodeEnvelope({ v: 1, item: index + 1, requestId, index, acceptedAt: '2026-11-25T10:00:00.000Z' });

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
    await ledgerOnRedrive({ ...deployment, ledgerTableName: undefined }, mark)([envelope('A', 0)]);

    // Assert
    expect(calls).toEqual([]);
  });
});
