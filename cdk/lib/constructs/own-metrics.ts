import { type Duration, Stack } from 'aws-cdk-lib';
import { Metric, Stats } from 'aws-cdk-lib/aws-cloudwatch';
import type { IConstruct } from 'constructs';
import { metricsNamespace } from '../../../lambdas/shared/metric-names';

/** The namespace the functions of `scope`'s stack publish their own metrics under (PipelineFunction sets it). */
export const stackMetricsNamespace = (scope: IConstruct): string =>
  metricsNamespace(Stack.of(scope).stackName);

/**
 * One of the functions' own metrics (lambdas/shared/metric-names.ts) of `scope`'s stack, summed per
 * period. Powertools publishes each under a `service` dimension: the publishing function's service
 * name. Alarms take it without a label: a labelled metric is rendered as a metric query, which the
 * emulator refuses.
 */
export const ownMetric = (
  scope: IConstruct,
  metricName: string,
  service: string,
  period: Duration,
  label?: string,
): Metric =>
  new Metric({
    namespace: stackMetricsNamespace(scope),
    metricName,
    dimensionsMap: { service },
    statistic: Stats.SUM,
    period,
    label,
  });
