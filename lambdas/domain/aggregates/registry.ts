import type { Aggregate, AggregateResult } from './aggregate';
import { count } from './count';
import { max } from './max';
import { mean } from './mean';
import { min } from './min';
import { sum } from './sum';

/**
 * The aggregates an analysis may list, by name. Everything else follows from this table: the names
 * configuration accepts, the fields of a window, its stored row and its S3 object, in this order.
 *
 * Adding an aggregate is one module and one entry here. For example, the spread of a window:
 *
 * ```ts
 * // lambdas/domain/aggregates/range.ts
 * import type { Aggregate } from './aggregate';
 * import { max } from './max';
 * import { min } from './min';
 *
 * type RangeState = { readonly min: number | null; readonly max: number | null };
 *
 * export const range: Aggregate<RangeState, number> = {
 *   init: () => ({ min: min.init(), max: max.init() }),
 *   add: (s, value) => ({ min: min.add(s.min, value), max: max.add(s.max, value) }),
 *   merge: (a, b) => ({ min: min.merge(a.min, b.min), max: max.merge(a.max, b.max) }),
 *   result: (s) => (s.min === null || s.max === null ? undefined : s.max - s.min),
 * };
 * ```
 *
 * then `range,` below. Its unit tests join the tables of test/unit/aggregates.test.ts.
 */
export const AGGREGATES = { count, sum, min, max, mean } as const satisfies Record<
  string,
  Aggregate<unknown, AggregateResult>
>;

export type AggregateName = keyof typeof AGGREGATES;

/** The names in registry order, the order of a window's fields. */
export const AGGREGATE_NAMES = Object.keys(AGGREGATES) as AggregateName[];

/** What each aggregate reports, e.g. `number | string` for sum. */
export type AggregateResults = {
  readonly [Name in AggregateName]: (typeof AGGREGATES)[Name] extends Aggregate<infer _State, infer Result>
    ? Result
    : never;
};

export const isAggregateName = (value: unknown): value is AggregateName =>
  typeof value === 'string' && Object.hasOwn(AGGREGATES, value);
