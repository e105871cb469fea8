/**
 * Function log lines as a person reads them in a terminal: Powertools' JSON lines as
 * `LEVEL message key=value ...` without the context every line repeats, metric blobs as
 * `metrics Name=value ...`, and the runtime's own lines (START, END, REPORT) as they are.
 */

/** Fields Powertools adds to every line: the same for all lines of an invocation. */
const CONTEXT_FIELDS = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
  'sampling_rate',
  'xray_trace_id',
]);

const valueText = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

function parseObject(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export function readableLogLine(line: string): string {
  const fields = parseObject(line.trim());
  if (!fields) return line;
  const metrics = (fields._aws as { CloudWatchMetrics?: { Metrics?: { Name: string }[] }[] } | undefined)
    ?.CloudWatchMetrics;
  if (metrics) {
    const names = metrics.flatMap((group) => group.Metrics ?? []).map((metric) => metric.Name);
    return `metrics ${names.map((name) => `${name}=${valueText(fields[name])}`).join(' ')}`;
  }
  if (typeof fields.level !== 'string' || typeof fields.message !== 'string') return line;
  const extra = Object.entries(fields)
    .filter(([name]) => !CONTEXT_FIELDS.has(name))
    .map(([name, value]) => `${name}=${valueText(value)}`);
  return [fields.level, fields.message, ...extra].join(' ');
}
