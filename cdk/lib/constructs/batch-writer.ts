import type { Duration } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FAILED_PREFIX, RESULTS_PREFIX } from '../../../lambdas/domain/keys';
import {
  ENV,
  type ExclusionPair,
  formatExclusionPairs,
  formatIntegers,
  LIMITS,
} from '../../../lambdas/domain/settings';
import { PipelineFunction } from './pipeline-function';

export interface BatchWriterProps {
  readonly queue: IQueue;
  readonly bucket: IBucket;
  readonly batchSize: number;
  readonly maxConcurrency: number;
  readonly timeout: Duration;
  readonly exclusionPairs: readonly ExclusionPair[];
  readonly maxReceiveCount: number;
  readonly faultRate: number;
  readonly faultItems: readonly number[];
  readonly crashRate: number;
  readonly logRetention: RetentionDays;
}

/**
 * The bounded consumer: batches of `batchSize` from the FIFO queue, partial batch failures
 * reported per record, and write access only to `results/` and `failed/` in the bucket.
 */
export class BatchWriter extends Construct {
  public readonly batchFunction: NodejsFunction;
  public readonly eventSource: SqsEventSource;

  constructor(scope: Construct, id: string, props: BatchWriterProps) {
    super(scope, id);
    const { min, max } = LIMITS.batchSize;
    if (!Number.isInteger(props.batchSize) || props.batchSize < min || props.batchSize > max) {
      throw new Error(
        `${id}: batchSize must be an integer from ${min} to ${max} on a FIFO queue (got ${props.batchSize})`,
      );
    }

    this.batchFunction = new PipelineFunction(this, 'Writer', {
      entry: 'lambdas/batch/handler.ts',
      serviceName: 'batch-writer',
      timeout: props.timeout,
      logRetention: props.logRetention,
      environment: {
        [ENV.bucketName]: props.bucket.bucketName,
        [ENV.batchSize]: String(props.batchSize),
        [ENV.exclusionPairs]: formatExclusionPairs(props.exclusionPairs),
        [ENV.maxReceiveCount]: String(props.maxReceiveCount),
        [ENV.faultRate]: String(props.faultRate),
        [ENV.faultItems]: formatIntegers(props.faultItems),
        [ENV.crashRate]: String(props.crashRate),
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

    this.eventSource = new SqsEventSource(props.queue, {
      batchSize: props.batchSize,
      reportBatchItemFailures: true,
      maxConcurrency: props.maxConcurrency,
    });
    this.batchFunction.addEventSource(this.eventSource);
  }
}
