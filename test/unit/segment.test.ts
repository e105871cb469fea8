import { describe, expect, it } from 'vitest';
import { breachedPairs, segmentByExclusion } from '../../lambdas/domain/segment';
import type { ExclusionPair } from '../../lambdas/domain/settings';

const DEFAULT_PAIRS: readonly ExclusionPair[] = [[1, 2]];
const identity = (item: number): number => item;

describe('segmentByExclusion', () => {
  it.each<{
    name: string;
    items: number[];
    pairs?: readonly ExclusionPair[];
    maxSize?: number;
    segments: number[][];
    exclusionSplits: number;
  }>([
    {
      name: 'stores the contract example [1,2,3,4,5] as [1] and [2,3,4,5]',
      items: [1, 2, 3, 4, 5],
      segments: [[1], [2, 3, 4, 5]],
      exclusionSplits: 1,
    },
    {
      name: 'splits alternating 1 and 2 into five singletons',
      items: [1, 2, 1, 2, 1],
      segments: [[1], [2], [1], [2], [1]],
      exclusionSplits: 4,
    },
    {
      name: 'treats the pair as symmetric: [2,1] is split too',
      items: [2, 1],
      segments: [[2], [1]],
      exclusionSplits: 1,
    },
    {
      name: 'keeps items outside every pair together',
      items: [3, 4, 5],
      segments: [[3, 4, 5]],
      exclusionSplits: 0,
    },
    {
      name: 'keeps repeats of one item together (1 does not exclude 1)',
      items: [1, 1, 1],
      segments: [[1, 1, 1]],
      exclusionSplits: 0,
    },
    {
      name: 'cuts at the batch size without counting an exclusion split',
      items: [3, 4, 5, 6, 7, 8, 9],
      pairs: [],
      segments: [
        [3, 4, 5, 6, 7],
        [8, 9],
      ],
      exclusionSplits: 0,
    },
    {
      name: 'forgets the items of a full segment: 2 may follow 1 once a size cut separates them',
      items: [1, 3, 4, 5, 6, 7, 2],
      segments: [
        [1, 3, 4, 5, 6],
        [7, 2],
      ],
      exclusionSplits: 0,
    },
    {
      name: 'counts a cut that both a full segment and a clash make as a size cut, not an exclusion split',
      items: [1, 3, 4, 5, 6, 2],
      segments: [[1, 3, 4, 5, 6], [2]],
      exclusionSplits: 0,
    },
    {
      name: 'uses the configured pair instead of the default one',
      items: [1, 2, 3, 4],
      pairs: [[3, 4]],
      segments: [[1, 2, 3], [4]],
      exclusionSplits: 1,
    },
    {
      name: 'applies several pairs at once',
      items: [1, 3, 4, 2, 1],
      pairs: [
        [1, 2],
        [3, 4],
      ],
      segments: [[1, 3], [4, 2], [1]],
      exclusionSplits: 2,
    },
    {
      name: 'keeps 1 and 2 together when no pair is configured',
      items: [1, 2, 3],
      pairs: [],
      segments: [[1, 2, 3]],
      exclusionSplits: 0,
    },
    {
      name: 'returns no segments for an empty batch',
      items: [],
      segments: [],
      exclusionSplits: 0,
    },
  ])('$name', ({ items, pairs = DEFAULT_PAIRS, maxSize = 5, segments, exclusionSplits }) => {
    // Act
    const result = segmentByExclusion(items, identity, { exclusionPairs: pairs, maxSize });

    // Assert
    expect(result.segments).toEqual(segments);
    expect(result.exclusionSplits).toBe(exclusionSplits);
  });

  it('returns the entries themselves, not just their items', () => {
    // Prepare: entries are records; only itemOf knows where the item is.
    const entries = [
      { id: 'a', item: 1 },
      { id: 'b', item: 2 },
      { id: 'c', item: 3 },
    ];

    // Act
    const { segments } = segmentByExclusion(entries, (entry) => entry.item, {
      exclusionPairs: DEFAULT_PAIRS,
      maxSize: 5,
    });

    // Assert
    expect(segments).toEqual([[entries[0]], [entries[1], entries[2]]]);
    expect(segments[0]?.[0]).toBe(entries[0]);
  });
});

describe('breachedPairs', () => {
  it.each([
    { items: [1, 3, 4], pairs: [[1, 2]], breached: [] },
    { items: [2, 3, 1], pairs: [[1, 2]], breached: [[1, 2]] },
    {
      items: [1, 2, 3, 4],
      pairs: [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      breached: [
        [1, 2],
        [3, 4],
      ],
    },
    { items: [1, 1, 2], pairs: [], breached: [] },
  ] as { items: number[]; pairs: ExclusionPair[]; breached: ExclusionPair[] }[])(
    'finds $breached among $items with pairs $pairs',
    ({ items, pairs, breached }) => {
      expect(breachedPairs(items, pairs)).toEqual(breached);
    },
  );

  it('finds no breach in any segment segmentByExclusion cuts', () => {
    // Prepare
    const pairs: ExclusionPair[] = [[1, 2]];

    // Act
    const { segments } = segmentByExclusion([1, 2, 3, 2, 1, 1, 2], (item) => item, {
      exclusionPairs: pairs,
      maxSize: 5,
    });

    // Assert
    expect(segments.map((segment) => breachedPairs(segment, pairs))).toEqual(segments.map(() => []));
    expect(segments).toEqual([[1], [2, 3, 2], [1, 1], [2]]);
  });
});
