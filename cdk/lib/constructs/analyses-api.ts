import { Duration } from 'aws-cdk-lib';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Analysis } from '../../../lambdas/domain/analyses';
import { ANALYSES_PATH } from '../../../lambdas/domain/api-paths';
import { SERVICES } from '../../../lambdas/shared/metric-names';
import type { PipelineApi } from './pipeline-api';
import { PipelineFunction } from './pipeline-function';
import type { WindowsTable } from './windows-table';

export interface AnalysesApiProps {
  /** The API `POST /items` is on; the routes join it, behind the same authentication. */
  readonly api: PipelineApi;
  readonly analyses: readonly Analysis[];
  readonly windows: WindowsTable;
  /** The analysis functions' timeout, from which a window's final instant follows. 1 to 900 seconds. */
  readonly analysisFunctionTimeout: Duration;
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

    props.api.addRoute('GET', ANALYSES_PATH, this.analysesFunction);
    props.api.addRoute('GET', `${ANALYSES_PATH}/{name}/windows`, this.analysesFunction, {
      queryParameters: ['from', 'to'],
    });
  }
}
