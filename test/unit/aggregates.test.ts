import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Aggregate, AggregateResult } from '../../lambdas/domain/aggregates/aggregate';
import { count } from '../../lambdas/domain/aggregates/count';
import { max } from '../../lambdas/domain/aggregates/max';
import { mean } from '../../lambdas/domain/aggregates/mean';
import { min } from '../../lambdas/domain/aggregates/min';
import { AGGREGATE_NAMES, AGGREGATES, isAggregateName } from '../../lambdas/domain/aggregates/registry';
import { sum } from '../../lambdas/domain/aggregates/sum';
import { EVERY_AGGREGATE, itemValue, stateOf } from './factories.windows';

const MAX = Number.MAX_SAFE_INTEGER;
const MIN = Number.MIN_SAFE_INTEGER;
const values = fc.array(itemValue, { maxLength: 20 });

describe('each aggregate', () => {
  it.each([
    { name: 'count', values: [], result: 0 },
    { name: 'count', values: [7], result: 1 },
    { name: 'count', values: [3, -1, 3], result: 3 },
    { name: 'sum', values: [], result: 0 },
    { name: 'sum', values: [7], result: 7 },
    { name: 'sum', values: [3, -10, 4], result: -3 },
    { name: 'min', values: [], result: undefined },
    { name: 'min', values: [7], result: 7 },
    { name: 'min', values: [3, -10, 4], result: -10 },
    { name: 'min', values: [MAX, 0, MIN], result: MIN },
    { name: 'max', values: [], result: undefined },
    { name: 'max', values: [-7], result: -7 },
    { name: 'max', values: [3, -10, 4], result: 4 },
    { name: 'max', values: [MIN, 0, MAX], result: MAX },
    { name: 'mean', values: [], result: undefined },
    { name: 'mean', values: [7], result: 7 },
    { name: 'mean', values: [1, 2], result: 1.5 },
    { name: 'mean', values: [3, -10, 4], result: -1 },
    { name: 'mean', values: [-1, -2], result: -1.5 },
  ] as const)('$name of $values is $result', ({ name, values, result }) => {
    // Prepare
    const aggregate = AGGREGATES[name] as Aggregate<unknown, AggregateResult>;

    // Act
    const answer = aggregate.result(stateOf(aggregate, values));

    // Assert
    expect(answer).toBe(result);
  });

  it.each([
    { name: 'count', state: 0 },
    { name: 'sum', state: 0 },
    { name: 'min', state: null },
    { name: 'max', state: null },
    { name: 'mean', state: { count: 0, sum: 0 } },
  ] as const)('$name starts from $state, a JSON value', ({ name, state }) => {
    expect(AGGREGATES[name].init()).toStrictEqual(state);
  });

  it.each([
    { name: 'min', a: 5, b: 3, merged: 3 },
    { name: 'min', a: 3, b: 5, merged: 3 },
    { name: 'min', a: null, b: 5, merged: 5 },
    { name: 'min', a: 5, b: null, merged: 5 },
    { name: 'max', a: 5, b: 3, merged: 5 },
    { name: 'max', a: 3, b: 5, merged: 5 },
    { name: 'max', a: null, b: 3, merged: 3 },
    { name: 'max', a: 3, b: null, merged: 3 },
    { name: 'count', a: 2, b: 3, merged: 5 },
  ] as const)('$name merges $a and $b into $merged', ({ name, a, b, merged }) => {
    expect(AGGREGATES[name].merge(a as never, b as never)).toBe(merged);
  });

  it('mean keeps the count and the exact sum, and divides once at the end', () => {
    // Act
    const state = stateOf(mean, [1, 2, 2]);

    // Assert
    expect(state).toStrictEqual({ count: 3, sum: 5 });
    expect(mean.merge(state, { count: 1, sum: 4 })).toStrictEqual({ count: 4, sum: 9 });
    expect(mean.result(state)).toBe(5 / 3);
  });
});

describe('an exact sum beyond 2^53', () => {
  it.each([
    { name: 'two of the largest safe integers', values: [MAX, MAX], result: '18014398509481982' },
    { name: 'the largest safe integer and 1', values: [MAX, 1], result: '9007199254740992' },
    { name: 'two of the smallest safe integers', values: [MIN, MIN], result: '-18014398509481982' },
    { name: 'a sum that goes past 2^53 and comes back', values: [MAX, 1, -1], result: MAX },
    { name: 'a sum that goes past 2^53 and comes back far', values: [MAX, MAX, MIN, MIN, -3], result: -3 },
    { name: 'a sum that cancels out', values: [MAX, MIN], result: 0 },
  ])('is exact for $name: $result', ({ values, result }) => {
    // Act
    const answer = sum.result(stateOf(sum, values));

    // Assert
    expect(answer).toBe(result);
  });

  it('merges two decimal states into a number when the total is safe again', () => {
    // Act
    const merged = sum.merge('18014398509481982', '-18014398509481980');

    // Assert
    expect(merged).toBe(2);
  });

  it('merges a number and a decimal state exactly', () => {
    expect(sum.merge(5, '9007199254740992')).toBe('9007199254740997');
  });

  it('equals the BigInt sum of any safe integers, a number exactly when that is safe', () => {
    fc.assert(
      fc.property(values, (items) => {
        // Act
        const answer = sum.result(stateOf(sum, items));

        // Assert
        const exact = items.reduce((total, value) => total + BigInt(value), 0n);
        expect(BigInt(answer ?? Number.NaN)).toBe(exact);
        expect(typeof answer === 'number').toBe(Number.isSafeInteger(Number(exact)));
      }),
    );
  });

  it.each([
    { name: 'the largest safe integers', values: [MAX, MAX], result: MAX },
    // sum 9007199254740994 over 8: 1125899906842624 and a remainder of 2
    {
      name: 'a sum past 2^53 with a fraction',
      values: [MAX, 3, 0, 0, 0, 0, 0, 0],
      result: 2 ** 50 + 0.25,
    },
    // Rounding the sum to a float first would give 27021597764222972 / 3, about 9007199254740991
    { name: 'a sum a float cannot hold', values: [MAX, MAX, MAX - 2], result: MAX - 1 },
    { name: 'a negative one', values: [MIN, -3, 0, 0, 0, 0, 0, 0], result: -(2 ** 50) - 0.25 },
  ])('mean divides an exact sum: $name', ({ values, result }) => {
    expect(mean.result(stateOf(mean, values))).toBe(result);
  });
});

describe.each(EVERY_AGGREGATE)('merge laws of $name', ({ aggregate }) => {
  it('has init as identity on both sides', () => {
    fc.assert(
      fc.property(values, (items) => {
        const state = stateOf(aggregate, items);

        expect(aggregate.merge(aggregate.init(), state)).toStrictEqual(state);
        expect(aggregate.merge(state, aggregate.init())).toStrictEqual(state);
      }),
    );
  });

  it('is commutative', () => {
    fc.assert(
      fc.property(values, values, (a, b) => {
        const [stateA, stateB] = [stateOf(aggregate, a), stateOf(aggregate, b)];

        expect(aggregate.merge(stateA, stateB)).toStrictEqual(aggregate.merge(stateB, stateA));
      }),
    );
  });

  it('is associative', () => {
    fc.assert(
      fc.property(values, values, values, (a, b, c) => {
        const [stateA, stateB, stateC] = [a, b, c].map((items) => stateOf(aggregate, items));

        expect(aggregate.merge(aggregate.merge(stateA, stateB), stateC)).toStrictEqual(
          aggregate.merge(stateA, aggregate.merge(stateB, stateC)),
        );
      }),
    );
  });

  it('merging two panes equals adding all their items to one', () => {
    fc.assert(
      fc.property(values, values, (a, b) => {
        expect(aggregate.merge(stateOf(aggregate, a), stateOf(aggregate, b))).toStrictEqual(
          stateOf(aggregate, [...a, ...b]),
        );
      }),
    );
  });

  it('keeps its state and result through JSON (states are stored)', () => {
    fc.assert(
      fc.property(values, (items) => {
        const state = stateOf(aggregate, items);

        const stored = JSON.parse(JSON.stringify(state));

        expect(stored).toStrictEqual(state);
        expect(aggregate.result(stored)).toBe(aggregate.result(state));
      }),
    );
  });
});

describe('the registry', () => {
  it('lists the aggregates in the order of a window fields', () => {
    expect(AGGREGATE_NAMES).toEqual(['count', 'sum', 'min', 'max', 'mean']);
    expect(AGGREGATES).toStrictEqual({ count, sum, min, max, mean });
  });

  it.each([
    { value: 'count', known: true },
    { value: 'mean', known: true },
    { value: 'median', known: false },
    { value: 'toString', known: false },
    { value: 'COUNT', known: false },
    { value: 3, known: false },
    { value: ['count'], known: false },
    { value: undefined, known: false },
  ])('knows $value: $known', ({ value, known }) => {
    expect(isAggregateName(value)).toBe(known);
  });
});
