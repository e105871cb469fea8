import { median } from '../../cdk/ops/stats';

/** How runs and alternated rounds are summed up: ratios taken round by round, rates around the sends. */

export interface RatioSummary {
  /** Subject over baseline in each round, in round order. */
  readonly perRound: number[];
  readonly median: number;
}

/**
 * Each round's subject over the same round's baseline, and their median: variants run side by side in
 * a round share that moment's machine, so a ratio within a round is steadier than a ratio of medians.
 */
export function ratioToBaseline(subject: readonly number[], baseline: readonly number[]): RatioSummary {
  if (subject.length !== baseline.length || subject.length === 0) {
    throw new Error(
      `Ratios need the same rounds on both sides (got ${subject.length} and ${baseline.length})`,
    );
  }
  const perRound = subject.map((value, round) => value / (baseline[round] as number));
  return { perRound, median: median(perRound) as number };
}

/** The variants in the order round `round` (from 0) runs them: each takes every place in turn. */
export const rotated = <T>(variants: readonly T[], round: number): T[] => {
  const shift = round % variants.length;
  return [...variants.slice(shift), ...variants.slice(0, shift)];
};

export interface RatesAroundSends {
  /** Items consumed while the producer was still sending, per second of sending. */
  readonly duringSends?: number;
  /** Items consumed after the last send, per second from the last send to the last item consumed. */
  readonly afterSends?: number;
}

/**
 * The consumer's pace while the producer sends and after it stops, from the time each item was
 * consumed (its object write or its invocation's stamp): the emulator's poller behaves differently
 * while sends keep waking it.
 */
export function ratesAroundSends(
  consumedAt: readonly number[],
  started: number,
  sendsEndedAt: number,
): RatesAroundSends {
  const during = consumedAt.filter((at) => at <= sendsEndedAt).length;
  const after = consumedAt.length - during;
  const lastAt = Math.max(sendsEndedAt, ...consumedAt);
  const perSecond = (count: number, from: number, to: number) =>
    count > 0 && to > from ? (count * 1000) / (to - from) : undefined;
  return {
    duringSends: perSecond(during, started, sendsEndedAt),
    afterSends: perSecond(after, sendsEndedAt, lastAt),
  };
}
