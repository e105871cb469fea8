import type { Aggregate } from './aggregate';

/**
 * An exact sum, as a number while it is a safe integer and as a decimal string beyond (JSON has no
 * BigInt): items are safe integers, but a few hundred of them near 2^53 add up past it, and a float
 * sum would then round. The state is also the result: 0 for an empty window, a number when the sum
 * is a safe integer, else its decimal string (e.g. "18014398509481982").
 */
export type ExactSum = number | string;

/** A safe integer stays a number; anything beyond becomes its decimal string. */
const normal = (total: bigint): ExactSum => {
  const asNumber = Number(total);
  return Number.isSafeInteger(asNumber) ? asNumber : total.toString();
};

/**
 * Both numbers: their float sum is exact whenever the true sum is a safe integer, and rounds to a
 * value outside the safe range when it is not, so the check below cannot be fooled.
 */
function plus(a: ExactSum, b: ExactSum): ExactSum {
  // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator,StringLiteral: BigInt gives the same answer for every input; this shortcut only saves its cost
  if (typeof a === 'number' && typeof b === 'number' && Number.isSafeInteger(a + b)) return a + b;
  return normal(BigInt(a) + BigInt(b));
}

export const sum: Aggregate<ExactSum, ExactSum> = {
  init: () => 0,
  add: plus,
  merge: plus,
  result: (state) => state,
};
