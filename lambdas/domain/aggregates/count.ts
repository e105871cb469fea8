import type { Aggregate } from './aggregate';

/** How many items; 0 for an empty window (always reported). */
export const count: Aggregate<number, number> = {
  init: () => 0,
  add: (state) => state + 1,
  merge: (a, b) => a + b,
  result: (state) => state,
};
