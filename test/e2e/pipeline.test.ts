import { describe, expect, it } from 'vitest';
import { violationsOf } from '../../cdk/ops/invariants';
import { accept, waitAndAudit } from './support';

describe('the deployed pipeline, through HTTP and S3', () => {
  it("stores the example requests keeping every one of the contract's Invariants", async () => {
    // Prepare: the example requests of the storage rule, in order.
    const requests = [[1, 2, 3, 4], [5, 7, 8], [1], [2], [1, 2, 3, 4, 5]];

    // Act
    const accepted = [];
    for (const items of requests) accepted.push(await accept(items));
    const { audit, results } = await waitAndAudit(accepted);

    // Assert
    expect(violationsOf(audit)).toEqual([]);
    expect(audit.duplicates).toEqual([]);
    // [1,2,3,4,5] can never come back as one object: 1 and 2 are stored apart.
    const last = accepted[4]?.requestId;
    const objectsOfLast = results.filter((object) =>
      object.body.items.some((entry) => entry.requestId === last),
    );
    expect(objectsOfLast.length).toBeGreaterThanOrEqual(2);
    expect(objectsOfLast.flatMap((object) => object.body.items.map((entry) => entry.item)).sort()).toEqual([
      1, 2, 3, 4, 5,
    ]);
  });
});
