import type { ExclusionPair } from './settings';

export interface SegmentRules {
  readonly exclusionPairs: readonly ExclusionPair[];
  /** No segment grows past this many entries (the batch size): invariant 3 holds by construction. */
  readonly maxSize: number;
}

export interface Segmentation<T> {
  readonly segments: T[][];
  /** How many times a new segment was started because of the exclusion rule (a metric). */
  readonly exclusionSplits: number;
}

function exclusionsOf(pairs: readonly ExclusionPair[]): Map<number, Set<number>> {
  const excluded = new Map<number, Set<number>>();
  const add = (from: number, to: number) => {
    const set = excluded.get(from) ?? new Set<number>();
    set.add(to);
    excluded.set(from, set);
  };
  for (const [a, b] of pairs) {
    add(a, b);
    add(b, a);
  }
  return excluded;
}

/**
 * Cuts entries, in the order given, into segments: a new segment starts whenever the next item
 * would put an excluded pair in the same segment, or the segment is full.
 * Example with the pair (1, 2): [1,2,3,4,5] gives [1] and [2,3,4,5].
 */
export function segmentByExclusion<T>(
  entries: readonly T[],
  itemOf: (entry: T) => number,
  rules: SegmentRules,
): Segmentation<T> {
  const excluded = exclusionsOf(rules.exclusionPairs);
  const segments: T[][] = [];
  let current: T[] = [];
  let itemsInCurrent = new Set<number>();
  let exclusionSplits = 0;
  for (const entry of entries) {
    const item = itemOf(entry);
    // Stryker disable next-line ArrayDeclaration: an item outside every pair has no partner; a fallback of non-numbers finds none either
    const partners = excluded.get(item) ?? [];
    const clashes = [...partners].some((other) => itemsInCurrent.has(other));
    const full = current.length >= rules.maxSize;
    if (clashes || full) {
      if (clashes && !full) exclusionSplits += 1;
      segments.push(current);
      current = [];
      itemsInCurrent = new Set();
    }
    current.push(entry);
    itemsInCurrent.add(item);
  }
  if (current.length > 0) segments.push(current);
  return { segments, exclusionSplits };
}

/**
 * The exclusion pairs whose two items are both among `items`: empty when the rule holds. The writer
 * keeps it by construction (segmentByExclusion); the audit, the smoke check and the dashboard check
 * stored objects with this.
 */
export function breachedPairs(items: Iterable<number>, pairs: readonly ExclusionPair[]): ExclusionPair[] {
  const present = new Set(items);
  return pairs.filter(([a, b]) => present.has(a) && present.has(b));
}
