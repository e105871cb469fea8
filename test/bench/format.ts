/** How the benchmark's table writes numbers. */

export const fixed = (value: number | undefined, digits = 0): string =>
  value === undefined || !Number.isFinite(value)
    ? '-'
    : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
export const kB = (bytes: number): string => `${fixed(bytes / 1000, 1)} kB`;
export const msText = (value: number | undefined, digits = 0): string => `${fixed(value, digits)} ms`;
export const dollars = (value: number): string => `$${fixed(value, 2)}`;
/** Figures of several rounds, in round order: `331, 306, 296`. */
export const listed = (values: readonly number[], digits = 0): string =>
  values.map((value) => fixed(value, digits)).join(', ');

export type Row = [benchmark: string, subject: string, measure: string, value: string, sideBySide: string];
/** How much more `value` is than `base`: `+17%`. */
export const increase = (value: number, base: number): string =>
  `${value >= base ? '+' : ''}${fixed(((value - base) / base) * 100)}%`;
