import { Duration, Stack } from 'aws-cdk-lib';
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type IAlarm,
  type IMetric,
  SingleValueWidget,
  Stats,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { analysisService, METRIC, SERVICES } from '../../../lambdas/shared/metric-names';
import { ownMetric } from './own-metrics';
import type { ApiMetrics } from './pipeline-api';

export interface PipelineDashboardProps {
  /** The API producers call (REST or HTTP, each its own metrics): requests, 4xx/5xx and latency. */
  readonly api: ApiMetrics;
  /** The item queue: depth, in flight and age of the oldest message. */
  readonly queue: Queue;
  /** The dead-letter queue: items that failed every retry. */
  readonly deadLetterQueue: Queue;
  readonly ingestFunction: IFunction;
  readonly batchFunction: IFunction;
  /** The registered analyses: a row each, of their queue, dead-letter queue, errors and late items. */
  readonly analyses?: readonly {
    readonly name: string;
    readonly queue: Queue;
    readonly deadLetterQueue: Queue;
    readonly consumerFunction: IFunction;
  }[];
  /** Alarms shown in one status row at the top. */
  readonly alarms: readonly IAlarm[];
  /**
   * The period of every graph. A whole number of minutes from 1 to 60.
   * @default Duration.minutes(1) - the per-minute view the results objects are partitioned by
   */
  readonly period?: Duration;
}

const WIDTH = 24;
const HALF = WIDTH / 2;
const THIRD = WIDTH / 3;

const graph = (title: string, left: IMetric[], width = HALF, right: IMetric[] = []): GraphWidget =>
  new GraphWidget({ title, left, right, width, height: 6 });

/**
 * The pipeline on one CloudWatch dashboard, next to its alarms: what producers send, what the queue
 * holds, what the batch writer stores and how the storage rule cut it, and what failed.
 */
export class PipelineDashboard extends Construct {
  public readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: PipelineDashboardProps) {
    super(scope, id);
    const period = props.period ?? Duration.minutes(1);
    const minutes = period.toMinutes({ integral: false });
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 60) {
      throw new Error(`${id}.period must be a whole number of minutes from 1 to 60 (got ${minutes})`);
    }
    const { api, queue, deadLetterQueue, ingestFunction, batchFunction } = props;
    const own = (metricName: string, service: string, label: string) =>
      ownMetric(this, metricName, service, period, label);
    const sum = { period, statistic: Stats.SUM };
    const max = { period, statistic: Stats.MAXIMUM };

    this.dashboard = new Dashboard(this, 'Dashboard', {
      // Dashboard names are global per account: the Region keeps one stack name in two Regions apart.
      dashboardName: `${Stack.of(this).stackName}-${Stack.of(this).region}-pipeline`,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          '**FIFO batch pipeline**: POST /items -> ingest -> SNS FIFO dispatcher -> SQS FIFO -> batch writer -> S3 `results/` per minute; ' +
          'the dispatcher also feeds each registered analysis its own queue. ' +
          'Items 1 and 2 never share an object; failures retry, then park in the dead-letter queue (`npm run redrive`).',
        width: WIDTH,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: WIDTH }),
    );
    this.dashboard.addWidgets(
      graph('Items accepted and stored', [
        own(METRIC.itemsAccepted, SERVICES.ingest, 'accepted (in SQS)'),
        own(METRIC.itemsStored, SERVICES.batchWriter, 'stored (in S3)'),
      ]),
      graph('Queue: waiting, in flight, dead-lettered', [
        queue.metricApproximateNumberOfMessagesVisible({ ...max, label: 'waiting' }),
        queue.metricApproximateNumberOfMessagesNotVisible({ ...max, label: 'in flight' }),
        deadLetterQueue.metricApproximateNumberOfMessagesVisible({ ...max, label: 'dead-letter queue' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'Batch writer: objects and the storage rule',
        [
          own(METRIC.segmentsWritten, SERVICES.batchWriter, 'objects written'),
          own(METRIC.exclusionSplits, SERVICES.batchWriter, 'exclusion splits'),
        ],
        THIRD,
      ),
      graph(
        'Batch writer: invocations, errors, failed items',
        [
          batchFunction.metricInvocations({ ...sum, label: 'invocations' }),
          batchFunction.metricErrors({ ...sum, label: 'errors' }),
          own(METRIC.itemsFailed, SERVICES.batchWriter, 'items failed'),
        ],
        THIRD,
      ),
      graph(
        'Age of the oldest queued message (s)',
        [queue.metricApproximateAgeOfOldestMessage({ ...max, label: 'oldest message' })],
        THIRD,
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'API: requests and errors',
        [
          api.metricCount({ ...sum, label: 'requests' }),
          api.metricClientError({ ...sum, label: '4xx' }),
          api.metricServerError({ ...sum, label: '5xx' }),
        ],
        THIRD,
      ),
      graph(
        'Ingest: rejected, out of order, errors',
        [
          own(METRIC.requestsRejected, SERVICES.ingest, 'rejected (4xx)'),
          own(METRIC.itemsEnqueuedOutOfOrder, SERVICES.ingest, 'enqueued out of order'),
          ingestFunction.metricErrors({ ...sum, label: 'errors' }),
        ],
        THIRD,
      ),
      graph(
        'Latency p95 (ms)',
        [
          api.metricLatency({ period, statistic: Stats.p(95), label: 'API' }),
          ingestFunction.metricDuration({ period, statistic: Stats.p(95), label: 'ingest' }),
          batchFunction.metricDuration({ period, statistic: Stats.p(95), label: 'batch writer' }),
        ],
        THIRD,
      ),
    );
    this.dashboard.addWidgets(
      graph('Request ledger: calls that failed (items went on without them)', [
        own(METRIC.ledgerErrors, SERVICES.ingest, 'ingest'),
        own(METRIC.ledgerErrors, SERVICES.batchWriter, 'batch writer'),
        own(METRIC.ledgerErrors, SERVICES.status, 'status'),
      ]),
      graph('Redelivered items the ledger showed stored (acknowledged, not written again)', [
        own(METRIC.itemsAlreadyStored, SERVICES.batchWriter, 'already stored'),
      ]),
    );
    for (const analysis of props.analyses ?? []) {
      const service = analysisService(analysis.name);
      this.dashboard.addWidgets(
        graph(
          `Analysis ${analysis.name}: items counted and late`,
          [
            own(METRIC.itemsCounted, service, 'counted'),
            own(METRIC.itemsLate, service, 'late (counted on their windows, not added)'),
          ],
          THIRD,
        ),
        graph(
          `Analysis ${analysis.name}: queue age (s) and dead-lettered`,
          [analysis.queue.metricApproximateAgeOfOldestMessage({ ...max, label: 'oldest message (s)' })],
          THIRD,
          [
            analysis.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
              ...max,
              label: 'dead-letter queue',
            }),
          ],
        ),
        graph(
          `Analysis ${analysis.name}: invocations and errors`,
          [
            analysis.consumerFunction.metricInvocations({ ...sum, label: 'invocations' }),
            analysis.consumerFunction.metricErrors({ ...sum, label: 'errors' }),
            own(METRIC.itemsFailed, service, 'items failed (retried)'),
          ],
          THIRD,
        ),
      );
    }
    this.dashboard.addWidgets(
      new SingleValueWidget({
        title: 'Now',
        metrics: [
          queue.metricApproximateNumberOfMessagesVisible({ ...max, label: 'waiting' }),
          deadLetterQueue.metricApproximateNumberOfMessagesVisible({ ...max, label: 'dead-lettered' }),
          batchFunction.metric('ConcurrentExecutions', { ...max, label: 'batch writers running' }),
        ],
        width: WIDTH,
      }),
    );
  }
}
