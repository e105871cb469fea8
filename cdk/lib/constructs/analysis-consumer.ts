import { Duration } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ANALYSIS_BATCH_SIZE, type Analysis, checkAnalysis } from '../../../lambdas/domain/analyses';
import {
  analysisEnvironment,
  attemptEnvironment,
  windowEnvironment,
} from '../../../lambdas/domain/environment';
import { SETTINGS, VISIBILITY_TIMEOUT_FACTOR } from '../../../lambdas/domain/settings';
import { type FaultSettings, faultEnvironment } from '../../../lambdas/shared/fault-injection';
import { analysisService } from '../../../lambdas/shared/metric-names';
import type { Dispatcher } from './dispatcher';
import { ItemQueues } from './item-queues';
import { PipelineFunction } from './pipeline-function';
import type { WindowsTable } from './windows-table';

export interface AnalysisConsumerProps {
  /** The analysis: its name names the queues and the function (checked like `pipeline.analyses`). */
  readonly analysis: Analysis;
  /** The dispatcher the analysis's queue subscribes to. */
  readonly dispatcher: Dispatcher;
  /** Where the consumer writes its pane rows and late items. */
  readonly windows: WindowsTable;
  /**
   * The function's timeout; the queue's visibility timeout is 6 times this. A whole number of seconds
   * from 1 to 900 (`SETTINGS.analysisFunctionTimeoutSeconds`).
   */
  readonly timeout: Duration;
  /** Most functions of this analysis at once. An integer from 2 to 1,000 (`SETTINGS.analysisMaxConcurrency`). */
  readonly maxConcurrency: number;
  /**
   * Attempts the function makes at a failing pane write within one invocation before it moves the items
   * to the analysis's dead-letter queue itself. An integer from 1 to 10 (`SETTINGS.writeAttempts`).
   */
  readonly writeAttempts: number;
  /**
   * SQS's backstop: receives before SQS itself moves a message to the analysis's dead-letter queue (a
   * crashed or timed-out invocation). An integer from 5 to 1,000 (`SETTINGS.maxReceiveCount`).
   */
  readonly maxReceiveCount: number;
  /** How long the analysis's dead-letter queue keeps a message. 1 to 14 days. */
  readonly deadLetterRetention: Duration;
  /**
   * Pane writes that fail on purpose, and invocations that crash after their writes, for chaos runs.
   * @default - none
   */
  readonly faults?: FaultSettings;
  /** Retention of the function's log group. */
  readonly logRetention: RetentionDays;
}

const NO_FAULTS: FaultSettings = { faultRate: 0, faultItems: [], crashRate: 0 };

/**
 * One registered analysis (the contract's analyses): its own FIFO queue, subscribed to the dispatcher,
 * with its own dead-letter queue, and its own consumer function, bounded by `maxConcurrency`, which
 * counts each item in its pane (lambdas/analysis/). A consumer that fails or falls behind holds up no
 * other consumer: each has its own queue.
 */
export class AnalysisConsumer extends Construct {
  public readonly analysis: Analysis;
  public readonly queues: ItemQueues;
  public readonly consumerFunction: NodejsFunction;
  public readonly eventSource: SqsEventSource;

  constructor(scope: Construct, id: string, props: AnalysisConsumerProps) {
    super(scope, id);
    this.analysis = checkAnalysis(`${id}.analysis`, props.analysis);
    const timeoutSeconds = SETTINGS.analysisFunctionTimeoutSeconds.check(
      `${id}.timeout in seconds`,
      props.timeout.toSeconds({ integral: false }),
    );
    SETTINGS.analysisMaxConcurrency.check(`${id}.maxConcurrency`, props.maxConcurrency);
    SETTINGS.writeAttempts.check(`${id}.writeAttempts`, props.writeAttempts);

    this.queues = new ItemQueues(this, 'Queues', {
      consumer: this.analysis.name,
      visibilityTimeout: Duration.seconds(VISIBILITY_TIMEOUT_FACTOR * timeoutSeconds),
      maxReceiveCount: props.maxReceiveCount,
      deadLetterRetention: props.deadLetterRetention,
    });
    props.dispatcher.subscribe(this.queues.queue);

    this.consumerFunction = new PipelineFunction(this, 'Consumer', {
      entry: 'lambdas/analysis/handler.ts',
      serviceName: analysisService(this.analysis.name),
      timeout: props.timeout,
      logRetention: props.logRetention,
      environment: {
        ...analysisEnvironment(this.analysis),
        ...windowEnvironment({
          windowsTableName: props.windows.table.tableName,
          windowRetentionDays: props.windows.retentionDays,
          analysisFunctionTimeoutSeconds: timeoutSeconds,
        }),
        ...attemptEnvironment({
          writeAttempts: props.writeAttempts,
          deadLetterQueueUrl: this.queues.deadLetterQueue.queueUrl,
        }),
        ...faultEnvironment(props.faults ?? NO_FAULTS),
      },
    }).function;
    props.windows.grantConsumer(this.consumerFunction, this.analysis);
    // SendMessage alone: the function has its dead-letter queue's URL in its environment.
    this.consumerFunction.addToRolePolicy(
      new PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: [this.queues.deadLetterQueue.queueArn],
      }),
    );

    this.eventSource = new SqsEventSource(this.queues.queue, {
      batchSize: ANALYSIS_BATCH_SIZE,
      reportBatchItemFailures: true,
      maxConcurrency: props.maxConcurrency,
    });
    this.consumerFunction.addEventSource(this.eventSource);
  }
}
