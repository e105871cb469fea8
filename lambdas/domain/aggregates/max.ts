import type { Aggregate } from './aggregate';

/** The largest item; null (JSON's "nothing") before the first, and no result for an empty window. */
export const max: Aggregate<number | null, number> = {
  init: () => null,
  add: (state, value) => (state === null ? value : Math.max(state, value)),
  merge: (a, b) => (a === null ? b : b === null ? a : Math.max(a, b)),
  result: (state) => state ?? undefined,
};
