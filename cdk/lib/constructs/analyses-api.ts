import { Duration } from 'aws-cdk-lib';
import { LambdaIntegration, type RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Analysis } from '../../../lambdas/domain/analyses';
import { SERVICES } from '../../../lambdas/shared/metric-names';
import { PipelineFunction } from './pipeline-function';
import type { WindowsTable } from './windows-table';

export interface AnalysesApiProps {
  /** The REST API `POST /items` is on; the routes join it, behind the same key and usage plan. */
  readonly api: RestApi;
  readonly analyses: readonly Analysis[];
  readonly windows: WindowsTable;
  /** The analysis functions' timeout, from which a window's final instant follows. 1 to 900 seconds. */
  readonly analysisFunctionTimeout: Duration;
  /** Whether the routes require the API key, as `POST /items` does. */
  readonly apiKeyRequired: boolean;
  /** Retention of the function's log group. */
  readonly logRetention: RetentionDays;
}

/** `GET /analyses` and `GET /analyses/{name}/windows?from=&to=` (the contract's analyses). */
export class AnalysesApi extends Construct {
  public readonly analysesFunction: NodejsFunction;

  constructor(scope: Construct, id: string, props: AnalysesApiProps) {
    super(scope, id);
    const readerEnvironment = props.windows.readerEnvironment(
      id,
      props.analyses,
      props.analysisFunctionTimeout,
    );
    this.analysesFunction = new PipelineFunction(this, 'Analyses', {
      entry: 'lambdas/analyses-api/handler.ts',
      serviceName: SERVICES.analysesApi,
      timeout: Duration.seconds(10),
      logRetention: props.logRetention,
      environment: {
        ...readerEnvironment,
      },
    }).function;
    props.windows.grantReader(this.analysesFunction, props.analyses);

    const integration = new LambdaIntegration(this.analysesFunction);
    const analyses = props.api.root.addResource('analyses');
    analyses.addMethod('GET', integration, { apiKeyRequired: props.apiKeyRequired });
    analyses
      .addResource('{name}')
      .addResource('windows')
      .addMethod('GET', integration, {
        apiKeyRequired: props.apiKeyRequired,
        requestParameters: {
          'method.request.path.name': true,
          'method.request.querystring.from': false,
          'method.request.querystring.to': false,
        },
      });
  }
}
