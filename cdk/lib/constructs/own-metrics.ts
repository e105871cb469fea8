import type { Duration } from 'aws-cdk-lib';
import { Metric, Stats } from 'aws-cdk-lib/aws-cloudwatch';
import { METRICS_NAMESPACE } from '../../../lambdas/shared/metric-names';

/**
 * One of the functions' own metrics (lambdas/shared/metric-names.ts), summed per period. Powertools
 * publishes each under a `service` dimension: the publishing function's service name. Alarms take
 * it without a label: a labelled metric is rendered as a metric query, which the emulator refuses.
 */
export const ownMetric = (metricName: string, service: string, period: Duration, label?: string): Metric =>
  new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service },
    statistic: Stats.SUM,
    period,
    label,
  });
