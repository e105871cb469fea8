import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { Analysis } from '../../../lambdas/domain/analyses';
import { ENV } from '../../../lambdas/domain/environment';
import { CLOSER_INTERVAL_MINUTES, WINDOWS_PREFIX } from '../../../lambdas/domain/windows';
import { SERVICES } from '../../../lambdas/shared/metric-names';
import { PipelineFunction } from './pipeline-function';
import type { WindowsTable } from './windows-table';

export interface WindowCloserProps {
  /** The analyses whose windows it closes. */
  readonly analyses: readonly Analysis[];
  readonly windows: WindowsTable;
  /** Where final windows go, under `windows/<name>/`; the function may put objects there only. */
  readonly bucket: IBucket;
  /** The analysis functions' timeout, from which a window's final instant follows. 1 to 900 seconds. */
  readonly analysisFunctionTimeout: Duration;
  /** Retention of the function's log group. */
  readonly logRetention: RetentionDays;
}

/**
 * The window closer (the contract's analyses): every minute, each analysis's windows that became
 * final are written once to the windows table and, holding items, to S3 (lambdas/closer/).
 */
export class WindowCloser extends Construct {
  public readonly closerFunction: NodejsFunction;
  public readonly schedule: Rule;

  constructor(scope: Construct, id: string, props: WindowCloserProps) {
    super(scope, id);
    const readerEnvironment = props.windows.readerEnvironment(
      id,
      props.analyses,
      props.analysisFunctionTimeout,
    );
    this.closerFunction = new PipelineFunction(this, 'Closer', {
      entry: 'lambdas/closer/handler.ts',
      serviceName: SERVICES.closer,
      // A run reads a few hundred panes at most (MAX_WINDOWS_PER_RUN) well within this.
      timeout: Duration.seconds(60),
      logRetention: props.logRetention,
      environment: {
        ...readerEnvironment,
        [ENV.bucketName]: props.bucket.bucketName,
      },
    }).function;
    props.windows.grantCloser(this.closerFunction, props.analyses);
    if (props.analyses.length > 0) {
      this.closerFunction.addToRolePolicy(
        new PolicyStatement({
          actions: ['s3:PutObject'],
          resources: props.analyses.map((analysis) =>
            props.bucket.arnForObjects(`${WINDOWS_PREFIX}${analysis.name}/*`),
          ),
        }),
      );
    }
    // A failed run is not retried: the next one, a minute later, closes the same windows (write-once).
    this.closerFunction.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(1) });
    // EventBridge's shortest rate; windows become final on their own schedule in between.
    this.schedule = new Rule(this, 'Schedule', {
      schedule: Schedule.rate(Duration.minutes(CLOSER_INTERVAL_MINUTES)),
      targets: [new LambdaFunction(this.closerFunction, { retryAttempts: 0 })],
    });
  }
}
