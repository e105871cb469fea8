import type { Duration } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { batchEnvironment, ledgerEnvironment } from '../../../lambdas/domain/environment';
import { FAILED_PREFIX, RESULTS_PREFIX } from '../../../lambdas/domain/keys';
import { type ExclusionPair, SETTINGS } from '../../../lambdas/domain/settings';
import { type FaultSettings, faultEnvironment } from '../../../lambdas/shared/fault-injection';
import { SERVICES } from '../../../lambdas/shared/metric-names';
import { PipelineFunction } from './pipeline-function';
import type { RequestLedger } from './request-ledger';

export interface BatchWriterProps {
  /** The FIFO item queue to consume, through an event source mapping that reports batch item failures. */
  readonly queue: IQueue;
  /** Where results objects and failure records go; the function may only put objects under `results/` and `failed/`. */
  readonly bucket: IBucket;
  /**
   * The request ledger: the function records stored and failed items per request there, and reads
   * what is stored to acknowledge redelivered records without a second write.
   */
  readonly ledger: RequestLedger;
  /**
   * Records per invocation, and the most items one results object holds. An integer from 1 to 10
   * (`SETTINGS.batchSize`; SQS FIFO event sources deliver at most 10).
   */
  readonly batchSize: number;
  /**
   * Most batch functions running at once: the event source mapping's maximum concurrency. An integer
   * from 2 to 1,000 (`SETTINGS.maxConcurrency`).
   */
  readonly maxConcurrency: number;
  /**
   * The function's timeout; the queue's visibility timeout must be at least 6 times this (the
   * pipeline configuration checks both). A whole number of seconds from 1 to 900.
   */
  readonly timeout: Duration;
  /** Items never stored in the same results object: pairs of two different safe integers, e.g. `[[1, 2]]`. */
  readonly exclusionPairs: readonly ExclusionPair[];
  /**
   * The queue's dead-letter queue: the function moves there itself what failed its last write
   * attempt (after its failure record), so SQS's `maxReceiveCount` is only a backstop.
   */
  readonly deadLetterQueue: IQueue;
  /**
   * Attempts at a failing results write within one invocation before the function gives the items up
   * (failure record, ledger `failed`, dead-letter queue). An integer from 1 to 10 (`SETTINGS.writeAttempts`).
   */
  readonly writeAttempts: number;
  /**
   * Share of results writes that fail on purpose, for demos and chaos runs. A number from 0 to 1.
   * @default 0
   */
  readonly faultRate?: number;
  /**
   * Items whose results writes always fail, for dead-letter tests. Safe integers.
   * @default - none
   */
  readonly faultItems?: readonly number[];
  /**
   * Share of invocations that fail after their writes, for chaos runs. A number from 0 to 1.
   * @default 0
   */
  readonly crashRate?: number;
  /** Retention of the function's log group. */
  readonly logRetention: RetentionDays;
}

/** Checks every prop against its range in settings.ts; returns the fault switches, defaults filled in. */
function checkProps(id: string, props: BatchWriterProps): FaultSettings {
  SETTINGS.batchSize.check(`${id}.batchSize`, props.batchSize);
  SETTINGS.maxConcurrency.check(`${id}.maxConcurrency`, props.maxConcurrency);
  SETTINGS.exclusionPairs.check(`${id}.exclusionPairs`, props.exclusionPairs);
  SETTINGS.writeAttempts.check(`${id}.writeAttempts`, props.writeAttempts);
  return {
    faultRate: SETTINGS.faultRate.check(`${id}.faultRate`, props.faultRate ?? SETTINGS.faultRate.default),
    faultItems: SETTINGS.faultItems.check(
      `${id}.faultItems`,
      props.faultItems ?? SETTINGS.faultItems.default,
    ),
    crashRate: SETTINGS.crashRate.check(`${id}.crashRate`, props.crashRate ?? SETTINGS.crashRate.default),
  };
}

/**
 * The bounded consumer: batches of `batchSize` from the FIFO queue, partial batch failures
 * reported per record, write access only to `results/` and `failed/` in the bucket, and to the
 * request ledger's entries.
 */
export class BatchWriter extends Construct {
  public readonly batchFunction: NodejsFunction;
  public readonly eventSource: SqsEventSource;

  constructor(scope: Construct, id: string, props: BatchWriterProps) {
    super(scope, id);
    const faults = checkProps(id, props);

    this.batchFunction = new PipelineFunction(this, 'Writer', {
      entry: 'lambdas/batch/handler.ts',
      serviceName: SERVICES.batchWriter,
      timeout: props.timeout,
      logRetention: props.logRetention,
      environment: {
        ...batchEnvironment({
          bucketName: props.bucket.bucketName,
          batchSize: props.batchSize,
          exclusionPairs: props.exclusionPairs,
          writeAttempts: props.writeAttempts,
          deadLetterQueueUrl: props.deadLetterQueue.queueUrl,
        }),
        ...ledgerEnvironment({
          ledgerTableName: props.ledger.table.tableName,
          ledgerRetentionDays: props.ledger.retentionDays,
        }),
        ...faultEnvironment(faults),
      },
    }).function;

    this.batchFunction.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [
          props.bucket.arnForObjects(`${RESULTS_PREFIX}*`),
          props.bucket.arnForObjects(`${FAILED_PREFIX}*`),
        ],
      }),
    );

    props.ledger.grantBatchWriter(this.batchFunction);
    // SendMessage alone (no GetQueueUrl or attributes): the function has the URL in its environment.
    this.batchFunction.addToRolePolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [props.deadLetterQueue.queueArn] }),
    );

    this.eventSource = new SqsEventSource(props.queue, {
      batchSize: props.batchSize,
      reportBatchItemFailures: true,
      maxConcurrency: props.maxConcurrency,
    });
    this.batchFunction.addEventSource(this.eventSource);
  }
}
