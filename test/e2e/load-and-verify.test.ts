import { describe, expect, it } from 'vitest';
import { auditDeployment } from '../../cdk/ops/audit-run';
import { violationsOf } from '../../cdk/ops/invariants';
import { waitForDrain } from '../../cdk/ops/queues';
import { sendLoad } from '../harness/load-run';
import { clients, deployment } from './support';

// A small version of `npm run load` + `npm run verify`, so CI keeps both tools honest.
describe('load and verify', () => {
  it('stores 300 items heavy in 1s and 2s without loss, duplicates or any invariant broken', async () => {
    // Act
    const load = await sendLoad(deployment, {
      items: 300,
      requests: 75,
      rate: 40,
      concurrency: 4,
      mix: 'exclusion',
      seed: 7,
    });
    await waitForDrain(clients, deployment.queueUrl, 120_000, 250);
    const { audit, acceptedItems } = await auditDeployment(deployment, load.accepted);

    // Assert
    expect(load.errors).toEqual(new Map());
    expect(acceptedItems).toBe(300);
    expect(violationsOf(audit)).toEqual([]);
    expect(audit.duplicates).toEqual([]);
  });
});
