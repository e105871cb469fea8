import { describe, expect, it } from 'vitest';
import { METRIC, METRICS_NAMESPACE, SERVICES } from '../../lambdas/shared/metric-names';

describe('metric names', () => {
  it('puts the metrics in a custom namespace CloudWatch accepts (1-255 characters, not under AWS/)', () => {
    // Act / Assert
    expect(METRICS_NAMESPACE).toMatch(/^[A-Za-z0-9.\-_/#]{1,255}$/);
    expect(METRICS_NAMESPACE.startsWith('AWS/')).toBe(false);
  });

  it.each([
    { name: 'the metric names', values: Object.values(METRIC) },
    { name: 'the service names', values: Object.values(SERVICES) },
  ])('gives each of $name its own non-empty value, so no two merge on the dashboard', ({ values }) => {
    // Act / Assert
    expect(values.every((value) => value.length > 0)).toBe(true);
    expect(new Set(values).size).toBe(values.length);
  });
});
