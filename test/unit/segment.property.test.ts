import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { segmentByExclusion } from '../../lambdas/domain/segment';
import type { ExclusionPair } from '../../lambdas/domain/settings';

// Small item values so random batches often contain both items of a pair.
const item = fc.integer({ min: 0, max: 6 });
const batch = fc.array(item, { maxLength: 10 });
// Settings reject a pair of one item with itself, so only pairs of two different items are generated.
const pair: fc.Arbitrary<ExclusionPair> = fc
  .tuple(item, item)
  .filter(([a, b]) => a !== b)
  .map(([a, b]) => [a, b] as const);
const pairs = fc.array(pair, { maxLength: 4 });
const maxSize = fc.integer({ min: 1, max: 10 });

const segment = (items: readonly number[], exclusionPairs: readonly ExclusionPair[], size: number) =>
  segmentByExclusion(items, (value) => value, { exclusionPairs, maxSize: size });

describe('segmentByExclusion properties', () => {
  it('never puts both items of an excluded pair in one segment (invariant 2)', () => {
    fc.assert(
      fc.property(batch, pairs, maxSize, (items, exclusionPairs, size) => {
        const { segments } = segment(items, exclusionPairs, size);

        for (const current of segments) {
          for (const [a, b] of exclusionPairs) {
            expect(current.includes(a) && current.includes(b)).toBe(false);
          }
        }
      }),
    );
  });

  it('never makes a segment longer than the batch size (invariant 3)', () => {
    fc.assert(
      fc.property(batch, pairs, maxSize, (items, exclusionPairs, size) => {
        const { segments } = segment(items, exclusionPairs, size);

        for (const current of segments) expect(current.length).toBeLessThanOrEqual(size);
      }),
    );
  });

  it('loses, adds and reorders nothing: the segments concatenate to the input (invariants 1 and 5)', () => {
    fc.assert(
      fc.property(batch, pairs, maxSize, (items, exclusionPairs, size) => {
        const { segments } = segment(items, exclusionPairs, size);

        expect(segments.flat()).toEqual(items);
      }),
    );
  });

  it('never produces an empty segment', () => {
    fc.assert(
      fc.property(batch, pairs, maxSize, (items, exclusionPairs, size) => {
        const { segments } = segment(items, exclusionPairs, size);

        for (const current of segments) expect(current.length).toBeGreaterThan(0);
      }),
    );
  });

  it('cuts only where needed: each new segment follows a full one or a clash with the one before', () => {
    fc.assert(
      fc.property(batch, pairs, maxSize, (items, exclusionPairs, size) => {
        const { segments } = segment(items, exclusionPairs, size);
        const excludes = (a: number, b: number) =>
          exclusionPairs.some(([x, y]) => (x === a && y === b) || (x === b && y === a));

        for (const [position, next] of segments.slice(1).entries()) {
          const previous = segments[position] ?? [];
          const first = next[0] ?? Number.NaN;
          const full = previous.length === size;
          const clash = previous.some((other) => excludes(first, other));
          expect(full || clash).toBe(true);
        }
      }),
    );
  });

  it('counts at most one exclusion split per segment boundary', () => {
    fc.assert(
      fc.property(batch, pairs, maxSize, (items, exclusionPairs, size) => {
        const { segments, exclusionSplits } = segment(items, exclusionPairs, size);

        expect(exclusionSplits).toBeGreaterThanOrEqual(0);
        expect(exclusionSplits).toBeLessThanOrEqual(Math.max(0, segments.length - 1));
      }),
    );
  });

  it('splits only for size when no pair is configured', () => {
    fc.assert(
      fc.property(batch, maxSize, (items, size) => {
        const { segments, exclusionSplits } = segment(items, [], size);

        expect(exclusionSplits).toBe(0);
        expect(segments.length).toBe(Math.ceil(items.length / size));
      }),
    );
  });
});
