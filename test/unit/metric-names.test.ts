import { describe, expect, it } from 'vitest';
import {
  analysisService,
  METRIC,
  METRICS_NAMESPACE,
  metricsNamespace,
  SERVICES,
} from '../../lambdas/shared/metric-names';

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

  it("puts each stack's metrics in a namespace of its own under the pipeline's, so stacks never add up", () => {
    // Act / Assert
    expect(metricsNamespace('pipeline-prod')).toBe('FifoBatchPipeline/pipeline-prod');
    expect(metricsNamespace('pipeline-staging')).toBe('FifoBatchPipeline/pipeline-staging');
  });

  it('names an analysis consumer service after its analysis, so each analysis has its own figures', () => {
    // Act / Assert
    expect(analysisService('items-60s')).toBe('analysis-items-60s');
    expect(analysisService('items-5m')).toBe('analysis-items-5m');
  });
});
