import type { Aggregate } from './aggregate';

/** The smallest item; null (JSON's "nothing") before the first, and no result for an empty window. */
export const min: Aggregate<number | null, number> = {
  init: () => null,
  add: (state, value) => (state === null ? value : Math.min(state, value)),
  merge: (a, b) => (a === null ? b : b === null ? a : Math.min(a, b)),
  result: (state) => state ?? undefined,
};
