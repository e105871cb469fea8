import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface PipelineAlarmsProps {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly functions: Readonly<Record<string, IFunction>>;
  readonly oldestMessageAge: Duration;
  /** Where alarm state changes go; none when absent. */
  readonly topic?: ITopic;
}

/** What an operator must hear about: parked items, a stalled consumer, failing functions. */
export class PipelineAlarms extends Construct {
  public readonly deadLetterQueueNotEmpty: Alarm;
  public readonly oldestMessageTooOld: Alarm;
  public readonly functionErrors: Alarm[];

  constructor(scope: Construct, id: string, props: PipelineAlarmsProps) {
    super(scope, id);
    if (props.oldestMessageAge.toSeconds() < 60) {
      throw new Error(`${id}: oldestMessageAge must be at least 60 seconds (SQS metrics are per minute)`);
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
    this.oldestMessageTooOld = new Alarm(this, 'OldestMessageTooOld', {
      alarmDescription: 'The batch writer is not keeping up with the queue',
      metric: props.queue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum' }),
      threshold: props.oldestMessageAge.toSeconds(),
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
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
    if (props.topic) {
      const action = new SnsAction(props.topic);
      for (const alarm of [this.deadLetterQueueNotEmpty, this.oldestMessageTooOld, ...this.functionErrors]) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }
  }
}
