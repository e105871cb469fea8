import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ConfigError } from '../../../lambdas/domain/errors';
import { SETTINGS } from '../../../lambdas/domain/settings';
import { METRIC } from '../../../lambdas/shared/metric-names';
import { ownMetric } from './own-metrics';
import type { ApiMetrics } from './pipeline-api';

export interface PipelineAlarmsProps {
  /** The item queue: alarms when its oldest message is older than `oldestMessageAge`. */
  readonly queue: Queue;
  /** The dead-letter queue: alarms as soon as it holds a message. */
  readonly deadLetterQueue: Queue;
  /** The dispatcher's queue of messages SNS could not deliver to a subscriber: alarms as soon as it holds one. */
  readonly undelivered: Queue;
  /**
   * The analyses' own queues: alarms when a dead-letter queue holds a message, or a queue's oldest
   * message is older than `oldestMessageAge`, one pair per analysis.
   * @default - none
   */
  readonly analyses?: readonly {
    readonly name: string;
    readonly queue: Queue;
    readonly deadLetterQueue: Queue;
  }[];
  /**
   * The API producers call: alarms on any 5xx it answers, REST or HTTP alike (each reads its own type's
   * metric): a dispatcher that kept failing (503 ENQUEUE_FAILED), an unreadable ledger or windows
   * table, or an error API Gateway made itself (a throttled or failed function, a 6-10 MB body),
   * which no function's Errors alarm sees.
   * @default - no API alarm
   */
  readonly api?: ApiMetrics;
  /** Functions whose errors alarm, by a name used in the alarm's id and description (e.g. `Ingest`). */
  readonly functions: Readonly<Record<string, IFunction>>;
  /**
   * Age of the oldest queued message above which the consumer counts as stalled. A whole number of
   * seconds from 60 (SQS metrics are per minute) to 1,209,600 (`SETTINGS.oldestMessageAlarmSeconds`).
   */
  readonly oldestMessageAge: Duration;
  /**
   * Services (Powertools service names) whose `LedgerErrors` metric alarms when above zero, one alarm
   * each: the request ledger failed a call, so items went on but their request status may lag.
   * (One alarm per service rather than one over their sum: the emulator rejects metric-math alarms.)
   * @default - no ledger alarms
   */
  readonly ledgerServices?: readonly string[];
  /**
   * Where alarm and OK state changes are sent.
   * @default - no notifications; the alarms only change state
   */
  readonly topic?: ITopic;
}

/**
 * What an operator must hear about: parked items, items the dispatcher could not deliver, a stalled
 * consumer, failing functions, a failing ledger.
 */
export class PipelineAlarms extends Construct {
  public readonly deadLetterQueueNotEmpty: Alarm;
  public readonly undeliveredNotEmpty: Alarm;
  public readonly oldestMessageTooOld: Alarm;
  /** Undefined without `api`. */
  public readonly apiServerErrors: Alarm | undefined;
  public readonly functionErrors: Alarm[];
  public readonly ledgerErrors: Alarm[];
  public readonly analysisAlarms: Alarm[];

  constructor(scope: Construct, id: string, props: PipelineAlarmsProps) {
    super(scope, id);
    SETTINGS.oldestMessageAlarmSeconds.check(
      `${id}.oldestMessageAge in seconds`,
      props.oldestMessageAge.toSeconds({ integral: false }),
    );
    if (props.ledgerServices?.length === 0) {
      throw new ConfigError(
        `${id}.ledgerServices must name at least one service, or be left out for no ledger alarms`,
      );
    }
    const period = Duration.minutes(1);
    this.deadLetterQueueNotEmpty = new Alarm(this, 'DeadLetterQueueNotEmpty', {
      alarmDescription:
        'Items failed every retry and wait in the dead-letter queue: inspect, then npm run redrive',
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period,
        statistic: 'Maximum',
      }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.undeliveredNotEmpty = new Alarm(this, 'UndeliveredNotEmpty', {
      alarmDescription:
        'The dispatcher could not deliver items to a subscribed queue (deleted, or its policy refuses SNS): ' +
        'fix the subscription, then move the messages from the undelivered queue to that queue',
      metric: props.undelivered.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.oldestMessageTooOld = new Alarm(this, 'OldestMessageTooOld', {
      alarmDescription: 'The batch writer is not keeping up with the queue',
      metric: props.queue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum' }),
      threshold: props.oldestMessageAge.toSeconds(),
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.apiServerErrors =
      props.api &&
      new Alarm(this, 'ApiServerErrors', {
        alarmDescription:
          'The API answered 5xx: the dispatcher kept failing (ENQUEUE_FAILED), the ledger or windows table was ' +
          'unreadable, or API Gateway could not reach a function (see the access logs and function logs)',
        metric: props.api.metricServerError({ period, statistic: 'Sum' }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    this.functionErrors = Object.entries(props.functions).map(
      ([name, fn]) =>
        new Alarm(this, `${name}Errors`, {
          alarmDescription: `The ${name} function raised errors (unexpected faults, not rejected input)`,
          metric: fn.metricErrors({ period, statistic: 'Sum' }),
          threshold: 0,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
    );
    this.ledgerErrors = (props.ledgerServices ?? []).map(
      (service) =>
        new Alarm(this, `LedgerErrors-${service}`, {
          alarmDescription: `The request ledger failed calls in ${service}: items went on, but request statuses and idempotency may lag (see its logs)`,
          metric: ownMetric(this, METRIC.ledgerErrors, service, period),
          threshold: 0,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
    );
    this.analysisAlarms = (props.analyses ?? []).flatMap((analysis) => [
      new Alarm(this, `Analysis-${analysis.name}-DeadLetterQueueNotEmpty`, {
        alarmDescription: `Items of analysis ${analysis.name} failed every retry and wait in its dead-letter queue: inspect, then npm run redrive -- --analysis ${analysis.name}`,
        metric: analysis.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period,
          statistic: 'Maximum',
        }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      new Alarm(this, `Analysis-${analysis.name}-OldestMessageTooOld`, {
        alarmDescription: `Analysis ${analysis.name} is not keeping up with its queue: its windows may close without late items`,
        metric: analysis.queue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum' }),
        threshold: props.oldestMessageAge.toSeconds(),
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    ]);
    if (props.topic) {
      const action = new SnsAction(props.topic);
      for (const alarm of this.all) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }
  }

  /** Every alarm, for notifications and the dashboard's status row. */
  public get all(): Alarm[] {
    return [
      this.deadLetterQueueNotEmpty,
      this.undeliveredNotEmpty,
      this.oldestMessageTooOld,
      ...(this.apiServerErrors ? [this.apiServerErrors] : []),
      ...this.functionErrors,
      ...this.ledgerErrors,
      ...this.analysisAlarms,
    ];
  }
}
