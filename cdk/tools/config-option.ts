/** `--config '{"faultRate":0.3}'`: settings over the local ones, validated later by resolveConfig. */
export function parseConfigOption(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(
      `--config must be a JSON object of pipeline settings, e.g. '{"faultRate":0.3}' (got ${text})`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`--config must be a JSON object of pipeline settings (got ${text})`);
  }
  return value as Record<string, unknown>;
}
