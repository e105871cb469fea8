import type { Aggregate } from './aggregate';
import { count } from './count';
import { type ExactSum, sum } from './sum';

export interface MeanState {
  readonly count: number;
  readonly sum: ExactSum;
}

/**
 * The exact sum divided by the count once, at the end: a running average would round at every step.
 * The quotient is split into its integer part (a safe integer, since every item is one) and the
 * remainder's fraction, so a sum beyond 2^53 is divided without first rounding it to a float.
 */
function divide(total: ExactSum, items: number): number {
  if (typeof total === 'number') return total / items;
  const exact = BigInt(total);
  const divisor = BigInt(items);
  return Number(exact / divisor) + Number(exact % divisor) / items;
}

/** The average item; no result for an empty window. Built from count and sum. */
export const mean: Aggregate<MeanState, number> = {
  init: () => ({ count: count.init(), sum: sum.init() }),
  add: (state, value) => ({ count: count.add(state.count, value), sum: sum.add(state.sum, value) }),
  merge: (a, b) => ({ count: count.merge(a.count, b.count), sum: sum.merge(a.sum, b.sum) }),
  result: (state) => (state.count === 0 ? undefined : divide(state.sum, state.count)),
};
