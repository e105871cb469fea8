import * as path from 'node:path';
import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { FUNCTION_LIMITS } from '../../../lambdas/domain/settings';
import { PROJECT_ROOT } from '../../project';
import { FUNCTION_BUNDLING } from '../function-bundling';
import { stackMetricsNamespace } from './own-metrics';

export interface PipelineFunctionProps {
  /** Handler module, relative to the project root, e.g. `lambdas/ingest/handler.ts`; it exports `handler`. */
  readonly entry: string;
  /** Powertools service name (`POWERTOOLS_SERVICE_NAME`): the logs' `service` and the metrics' dimension. */
  readonly serviceName: string;
  /** The function's timeout. A whole number of seconds from 1 to 900 (`FUNCTION_LIMITS.timeoutSeconds`). */
  readonly timeout: Duration;
  /**
   * Memory in MB, which also sets the function's CPU share. An integer from 128 to 10,240
   * (`FUNCTION_LIMITS.memorySizeMb`).
   * @default 256
   */
  readonly memorySize?: number;
  /** Retention of the function's own log group. */
  readonly logRetention: RetentionDays;
  /**
   * The handler's settings, added to the Node.js and Powertools variables every function gets.
   * @default - no settings of its own
   */
  readonly environment?: Record<string, string>;
}

/**
 * Our Lambda defaults in one place: Node.js 24 (the newest Lambda runtime) on arm64, bundled locally with esbuild (no Docker),
 * the AWS SDK inside the bundle so the same artifact runs on AWS and in the local cloud,
 * minified with source maps, its own log group with a retention, and X-Ray tracing.
 */
export class PipelineFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly logGroup: LogGroup;
  public readonly role: Role;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);
    FUNCTION_LIMITS.timeoutSeconds.check(
      `${id}.timeout in seconds`,
      props.timeout.toSeconds({ integral: false }),
    );
    const memorySize = FUNCTION_LIMITS.memorySizeMb.check(
      `${id}.memorySize`,
      props.memorySize ?? FUNCTION_LIMITS.memorySizeMb.default,
    );

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Our own role instead of AWSLambdaBasicExecutionRole: logs only to this function's log group.
    this.role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.function = new NodejsFunction(this, 'Function', {
      role: this.role,
      entry: path.join(PROJECT_ROOT, props.entry),
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize,
      timeout: props.timeout,
      tracing: Tracing.ACTIVE,
      logGroup: this.logGroup,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: stackMetricsNamespace(this),
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        externalModules: [],
        minify: FUNCTION_BUNDLING.minify,
        keepNames: FUNCTION_BUNDLING.keepNames,
        sourceMap: FUNCTION_BUNDLING.sourceMap,
        sourcesContent: FUNCTION_BUNDLING.sourcesContent,
        target: FUNCTION_BUNDLING.target,
        format: OutputFormat.CJS,
        mainFields: [...FUNCTION_BUNDLING.mainFields],
        esbuildArgs: {
          '--alias': Object.entries(FUNCTION_BUNDLING.alias).map(
            ([module, replacement]) => `${module}=${replacement}`,
          ),
        },
      },
    });
  }
}
