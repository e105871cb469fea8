import { describe, expect, it } from 'vitest';
import {
  compareSeries,
  dependencyMismatches,
  pairedRatios,
  roundOrder,
  sidesOf,
  summarize,
} from '../bench/compare-logic';

describe('compareSeries', () => {
  it('sends this tree without the ledger, with it and with a key, both set against no ledger at all', () => {
    // Act
    const series = compareSeries(false);

    // Assert
    expect(series.map(({ name, side, withKey, against }) => [name, side, withKey, against])).toEqual([
      ['current, no ledger', 'noLedger', false, []],
      ['current', 'current', false, ['current, no ledger']],
      ['current, key', 'current', true, ['current, no ledger']],
    ]);
    expect(sidesOf(series)).toEqual(['noLedger', 'current']);
  });

  it('adds the base without and with a key, and sets the current series against them too', () => {
    // Act
    const series = compareSeries(true);

    // Assert
    expect(series.map(({ name, against }) => [name, against])).toEqual([
      ['current, no ledger', []],
      ['current', ['current, no ledger', 'base']],
      ['base', []],
      ['current, key', ['current, no ledger', 'base, key']],
      ['base, key', ['base']],
    ]);
    expect(sidesOf(series)).toEqual(['noLedger', 'current', 'base']);
  });

  it.each([false, true])('sets series only against series of the same run (with a base: %s)', (withBase) => {
    // Act
    const series = compareSeries(withBase);

    // Assert
    const names = new Set(series.map(({ name }) => name));
    expect(series.flatMap(({ against }) => against).every((name) => names.has(name))).toBe(true);
    expect(names.size).toBe(series.length);
  });
});

describe('roundOrder', () => {
  it('runs the series as listed, then reversed, alternately (A B, B A, A B)', () => {
    const series = ['base', 'current', 'base, key', 'current, key'];
    expect(roundOrder(series, 1)).toEqual(series);
    expect(roundOrder(series, 2)).toEqual(['current, key', 'base, key', 'current', 'base']);
    expect(roundOrder(series, 3)).toEqual(series);
    expect(series).toEqual(['base', 'current', 'base, key', 'current, key']);
  });

  it('gives every series the same mean position over an even number of rounds', () => {
    const series = ['a', 'b', 'c'];
    const positions = series.map(
      (name) => [1, 2, 3, 4].reduce((sum, round) => sum + roundOrder(series, round).indexOf(name), 0) / 4,
    );
    expect(positions).toEqual([1, 1, 1]);
  });
});

describe('summarize', () => {
  const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it("takes the median of the rounds' percentiles and the percentiles of all samples pooled", () => {
    const summary = summarize([
      oneToHundred,
      oneToHundred.map((v) => v + 100),
      oneToHundred.map((v) => v + 200),
    ]);
    expect(summary.samples).toBe(300);
    expect(summary.rounds.map((round) => round.p50)).toEqual([50, 150, 250]);
    expect(summary.medianOfRounds).toEqual({ p50: 150, p95: 195, p99: 199 });
    expect(summary.pooled).toEqual({ p50: 150, p95: 285, p99: 297 });
  });

  it('is not moved by one slow round, which the pooled figures do show', () => {
    const summary = summarize([oneToHundred, oneToHundred, oneToHundred.map((v) => v * 10)]);
    expect(summary.medianOfRounds.p95).toBe(95);
    expect(summary.pooled.p99).toBeGreaterThan(500);
  });

  it('leaves figures undefined when there are no samples', () => {
    expect(summarize([])).toEqual({
      samples: 0,
      rounds: [],
      medianOfRounds: { p50: undefined, p95: undefined, p99: undefined },
      pooled: { p50: undefined, p95: undefined, p99: undefined },
    });
  });
});

describe('pairedRatios', () => {
  it("is the median of each round's own ratio", () => {
    const reference = [
      { p50: 10, p95: 20, p99: 40 },
      { p50: 20, p95: 40, p99: 80 },
      { p50: 10, p95: 20, p99: 40 },
    ];
    const subject = [
      { p50: 12, p95: 30, p99: 40 },
      { p50: 24, p95: 40, p99: 80 },
      { p50: 13, p95: 20, p99: 40 },
    ];
    expect(pairedRatios(subject, reference)).toEqual({ p50: 1.2, p95: 1, p99: 1 });
  });

  it('skips rounds without a figure on either side', () => {
    expect(pairedRatios([{ p50: 3 }, { p50: 4 }], [{ p50: 2 }, {}])).toEqual({
      p50: 1.5,
      p95: undefined,
      p99: undefined,
    });
  });
});

describe('dependencyMismatches', () => {
  const manifest = { dependencies: { a: '1.0.0' }, devDependencies: { b: '2.0.0' } };
  const lock = {
    packages: {
      '': { version: '0.1.0' },
      'node_modules/a': { version: '1.0.0' },
      'node_modules/c': { version: '3.0.0' },
    },
  };

  it('is empty when every declared and installed package of the base is here at its version', () => {
    const current = {
      manifest: { ...manifest, dependencies: { ...manifest.dependencies, extra: '9.0.0' } },
      lock: {
        packages: { ...lock.packages, '': { version: '0.2.0' }, 'node_modules/extra': { version: '9.0.0' } },
      },
    };
    expect(dependencyMismatches({ manifest, lock }, current)).toEqual([]);
  });

  it('names a declared dependency at another version or absent here', () => {
    const current = { manifest: { dependencies: { a: '1.0.1' } }, lock };
    expect(dependencyMismatches({ manifest, lock }, current)).toEqual([
      'a 1.0.0 (here: 1.0.1)',
      'b 2.0.0 (here: absent)',
    ]);
  });

  it('names a package the lockfile installs at another version, transitive ones included', () => {
    const current = {
      manifest,
      lock: { packages: { ...lock.packages, 'node_modules/c': { version: '3.1.0' } } },
    };
    expect(dependencyMismatches({ manifest, lock }, current)).toEqual(['node_modules/c 3.0.0 (here: 3.1.0)']);
  });

  it('does not vouch for node_modules without lockfiles to compare', () => {
    expect(dependencyMismatches({ manifest }, { manifest, lock })).toEqual([
      'no package-lock.json to compare installed versions',
    ]);
  });
});
