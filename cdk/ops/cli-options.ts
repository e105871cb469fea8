/** A bad option value: the tools exit 2 on it, as on an unknown option (see runTool). */
export class UsageError extends Error {
  readonly code = 'USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A numeric option within a range, or its default; the error names the option. */
export function numberOption(
  value: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max) {
    throw new UsageError(`--${name} must be a number from ${min} to ${max} (got ${value})`);
  }
  return parsed;
}

/** A whole-number option within a range, or its default; the error names the option. */
export function integerOption(
  value: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const parsed = numberOption(value, name, fallback, min, max);
  if (!Number.isInteger(parsed)) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got ${value})`);
  }
  return parsed;
}

/** `--config '{"faultRate":0.3}'`: settings over the local ones, validated later by resolveConfig. */
export function parseConfigOption(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(
      `--config must be a JSON object of pipeline settings, e.g. '{"faultRate":0.3}' (got ${text})`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`--config must be a JSON object of pipeline settings (got ${text})`);
  }
  return value as Record<string, unknown>;
}

export const ITEM_MIXES = ['uniform', 'exclusion', 'pairs'] as const;

export function mixOption(value: string | undefined): (typeof ITEM_MIXES)[number] {
  const mix = value ?? 'exclusion';
  if (!(ITEM_MIXES as readonly string[]).includes(mix)) {
    throw new UsageError(`--mix must be one of ${ITEM_MIXES.join(', ')} (got ${mix})`);
  }
  return mix as (typeof ITEM_MIXES)[number];
}
