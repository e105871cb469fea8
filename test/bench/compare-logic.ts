import { median } from '../../cdk/ops/stats';
import { type Percentiles, percentiles } from '../harness/load-run';

/** The pure part of `npm run bench:compare` (compare-ingest.ts): series, order, summaries, dependency check. */

/**
 * A deployment of the run: `current`, this tree (or `--current REF`) as the stack deploys it;
 * `noLedger`, the same with an ingest function whose ledger writes nothing (ingest-code.ts); `base`,
 * the `--base REF` commit with its own code.
 */
export type Side = 'noLedger' | 'current' | 'base';

export interface Series {
  readonly name: string;
  readonly side: Side;
  readonly withKey: boolean;
  /** The series it is set against, each ratio taken round by round; the first is the per-round table's. */
  readonly against: readonly string[];
}

/**
 * What a run sends, in round 1's order (later rounds alternate it): the current side without the
 * ledger, with it, and with an Idempotency-Key, each set against no ledger at all; with a base, the
 * base without and with a key too, and the current series also against those.
 */
export function compareSeries(withBase: boolean): Series[] {
  const base = (name: string): string[] => (withBase ? [name] : []);
  return [
    { name: 'current, no ledger', side: 'noLedger', withKey: false, against: [] },
    { name: 'current', side: 'current', withKey: false, against: ['current, no ledger', ...base('base')] },
    ...(withBase ? [{ name: 'base', side: 'base' as const, withKey: false, against: [] }] : []),
    {
      name: 'current, key',
      side: 'current',
      withKey: true,
      against: ['current, no ledger', ...base('base, key')],
    },
    ...(withBase ? [{ name: 'base, key', side: 'base' as const, withKey: true, against: ['base'] }] : []),
  ];
}

/** The sides a run deploys: those its series send to, each once. */
export const sidesOf = (series: readonly Series[]): Side[] => [...new Set(series.map(({ side }) => side))];

/**
 * The order of a round's series: as listed on odd rounds, reversed on even ones (A B, B A, A B...),
 * so a drift in the machine's speed over the run weighs on every series alike.
 */
export function roundOrder<T>(series: readonly T[], round: number): T[] {
  return round % 2 === 1 ? [...series] : [...series].reverse();
}

export const PERCENTILES = ['p50', 'p95', 'p99'] as const;

export interface SeriesSummary {
  readonly samples: number;
  /** Each round's own percentiles. */
  readonly rounds: Percentiles[];
  /** The median over the rounds of each round's percentile: robust to one noisy round. */
  readonly medianOfRounds: Percentiles;
  /** Percentiles of every sample of every round together. */
  readonly pooled: Percentiles;
}

export function summarize(rounds: readonly (readonly number[])[]): SeriesSummary {
  const perRound = rounds.map((samples) => percentiles(samples));
  const medianOf = (key: keyof Percentiles): number | undefined =>
    median(
      perRound.flatMap((round) => {
        const value = round[key];
        return value === undefined ? [] : [value];
      }),
    );
  return {
    samples: rounds.reduce((sum, samples) => sum + samples.length, 0),
    rounds: perRound,
    medianOfRounds: { p50: medianOf('p50'), p95: medianOf('p95'), p99: medianOf('p99') },
    pooled: percentiles(rounds.flat()),
  };
}

/**
 * `subject / reference` per percentile: the median of the rounds' own ratios. Both ran in the same
 * rounds, a few seconds apart, so each round's ratio cancels that round's machine noise.
 */
export function pairedRatios(
  subject: readonly Percentiles[],
  reference: readonly Percentiles[],
): Percentiles {
  const ratioOf = (key: keyof Percentiles): number | undefined =>
    median(
      subject.flatMap((round, index) => {
        const top = round[key];
        const bottom = reference[index]?.[key];
        return top === undefined || bottom === undefined || bottom === 0 ? [] : [top / bottom];
      }),
    );
  return { p50: ratioOf('p50'), p95: ratioOf('p95'), p99: ratioOf('p99') };
}

export interface PackageManifest {
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
}

export interface PackageLock {
  /** npm lockfile v2/v3: install path (`node_modules/x`) -> the package installed there. */
  readonly packages?: Record<string, { readonly version?: string }>;
}

/**
 * Why this tree's node_modules cannot serve the base: a dependency the base declares at a version
 * this tree does not, or a package its lockfile installs that this tree's lockfile installs at
 * another version (or not at all). Empty when the base can use this tree's node_modules as they are.
 */
export function dependencyMismatches(
  base: { manifest: PackageManifest; lock?: PackageLock },
  current: { manifest: PackageManifest; lock?: PackageLock },
): string[] {
  const declared = (manifest: PackageManifest) => ({ ...manifest.dependencies, ...manifest.devDependencies });
  const ours = declared(current.manifest);
  const problems = Object.entries(declared(base.manifest))
    .filter(([name, version]) => ours[name] !== version)
    .map(([name, version]) => `${name} ${version} (here: ${ours[name] ?? 'absent'})`);
  if (!base.lock?.packages || !current.lock?.packages) {
    return [...problems, 'no package-lock.json to compare installed versions'];
  }
  const installed = current.lock.packages;
  for (const [where, entry] of Object.entries(base.lock.packages)) {
    // "" is the project itself, whose declared dependencies are compared above.
    if (where === '' || installed[where]?.version === entry.version) continue;
    problems.push(`${where} ${entry.version} (here: ${installed[where]?.version ?? 'absent'})`);
  }
  return problems;
}
