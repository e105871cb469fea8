import { describe, expect, it } from 'vitest';
import { forEachConcurrently, mapConcurrently } from '../../cdk/ops/concurrency';

/** Work that records how many calls are in flight, finishing in the order `delays` sets. */
function tracked(delays: readonly number[]) {
  let inFlight = 0;
  const peaks: number[] = [];
  const started: number[] = [];
  const work = async (value: number, index: number): Promise<number> => {
    started.push(index);
    inFlight += 1;
    peaks.push(inFlight);
    await new Promise((resolve) => setTimeout(resolve, delays[index]));
    inFlight -= 1;
    return value * 10;
  };
  return { work, peaks, started };
}

describe('mapConcurrently', () => {
  it.each([1, 2, 3])(
    "keeps at most %i calls in flight and returns results in the items' order",
    async (limit) => {
      // Prepare
      const { work, peaks, started } = tracked([30, 5, 20, 1, 10]);

      // Act
      const results = await mapConcurrently([1, 2, 3, 4, 5], limit, work);

      // Assert
      expect(results).toEqual([10, 20, 30, 40, 50]);
      expect(Math.max(...peaks)).toBe(limit);
      expect(started).toEqual([0, 1, 2, 3, 4]);
    },
  );

  it('does nothing for no items, and starts no more workers than items', async () => {
    // Prepare
    const { work, peaks } = tracked([1, 1]);

    // Act / Assert
    expect(await mapConcurrently([], 8, work)).toEqual([]);
    expect(await mapConcurrently([1, 2], 8, work)).toEqual([10, 20]);
    expect(Math.max(...peaks)).toBe(2);
  });
});

describe('forEachConcurrently', () => {
  it('rejects with the first failure', async () => {
    // Act
    const run = forEachConcurrently([1, 2, 3], 2, async (value) => {
      if (value === 2) throw new Error('item 2 failed');
    });

    // Assert
    await expect(run).rejects.toThrow('item 2 failed');
  });
});
