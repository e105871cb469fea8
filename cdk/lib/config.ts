import { checkAtLeast } from '../../lambdas/domain/checks';
import { ConfigError } from '../../lambdas/domain/errors';
import { type Limit, SETTINGS, VISIBILITY_TIMEOUT_FACTOR } from '../../lambdas/domain/settings';

type Settings = typeof SETTINGS;
type SettingName = keyof Settings;

/**
 * Everything a deployment can change (the contract's Configuration), read from the `pipeline`
 * context. Each setting's meaning, default and range are in lambdas/domain/settings.ts (`SETTINGS`).
 */
export type PipelineConfig = {
  readonly [Name in SettingName]: Settings[Name] extends Limit<infer T> ? T : never;
};

export const DEFAULT_CONFIG = Object.fromEntries(
  Object.entries(SETTINGS).map(([name, limit]) => [name, limit.default]),
) as PipelineConfig;

function parseContext(raw: unknown): Record<string, unknown> {
  const value = typeof raw === 'string' ? parseJsonContext(raw) : (raw ?? {});
  if (typeof value !== 'object' || Array.isArray(value) || value === null) {
    throw new ConfigError(`pipeline context must be an object of settings (got ${JSON.stringify(value)})`);
  }
  return value as Record<string, unknown>;
}

function parseJsonContext(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError(`pipeline context must be JSON, e.g. -c 'pipeline={"batchSize":5}' (got ${text})`);
  }
}

/**
 * HTTP APIs have no API keys or usage plans: an HTTP API whose routes require a key is refused, by the
 * configuration (`pipeline`) and by the API construct (its id), in the same words.
 */
export function checkApiAccess(
  prefix: string,
  access: Pick<PipelineConfig, 'apiType' | 'auth' | 'apiKeyRequired'>,
): void {
  if (access.apiType === 'http' && access.auth === 'apiKey' && access.apiKeyRequired) {
    throw new ConfigError(
      `${prefix}.apiType "http" has no API keys or usage plans: set ${prefix}.auth to "iam", ` +
        `or ${prefix}.apiKeyRequired to false for routes without authorization, or use ${prefix}.apiType "rest"`,
    );
  }
}

/** The rules between settings; each setting's own range was checked before. */
function checkRelations(config: PipelineConfig): void {
  checkApiAccess('pipeline', config);
  checkAtLeast(
    'pipeline.visibilityTimeoutSeconds',
    config.visibilityTimeoutSeconds,
    `${VISIBILITY_TIMEOUT_FACTOR} x pipeline.batchFunctionTimeoutSeconds`,
    VISIBILITY_TIMEOUT_FACTOR * config.batchFunctionTimeoutSeconds,
  );
  checkAtLeast(
    'pipeline.ledgerRetentionDays x 24',
    config.ledgerRetentionDays * 24,
    'pipeline.idempotencyWindowHours',
    config.idempotencyWindowHours,
  );
  checkAtLeast(
    'pipeline.throttleBurstLimit',
    config.throttleBurstLimit,
    'pipeline.throttleRateLimit',
    config.throttleRateLimit,
  );
}

/**
 * Merges the `pipeline` context (an object in cdk.json, or a JSON string from `-c pipeline=...`)
 * over the defaults and validates every setting; the first bad one fails synth with its name.
 * When only the batch function's timeout is given, the visibility timeout follows it (6x).
 */
export function resolveConfig(raw: unknown): PipelineConfig {
  const overrides = parseContext(raw);
  const unknown = Object.keys(overrides).filter((key) => !Object.hasOwn(SETTINGS, key));
  if (unknown.length > 0) {
    throw new ConfigError(
      `Unknown setting ${unknown.join(', ')}; known settings: ${Object.keys(SETTINGS).join(', ')}`,
    );
  }
  const merged: Record<string, unknown> = { ...DEFAULT_CONFIG, ...overrides };
  if (overrides.visibilityTimeoutSeconds === undefined) {
    merged.visibilityTimeoutSeconds = VISIBILITY_TIMEOUT_FACTOR * Number(merged.batchFunctionTimeoutSeconds);
  }
  const config = Object.fromEntries(
    Object.entries(SETTINGS).map(([name, limit]) => [name, limit.check(`pipeline.${name}`, merged[name])]),
  ) as PipelineConfig;
  checkRelations(config);
  return config;
}
