import { Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
  PayloadFormatVersion,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { type ApiMetrics, PipelineApi, type PipelineApiProps, type RouteMethod } from './pipeline-api';

/**
 * One JSON line per request, the REST stage's standard fields where an HTTP API has them (`routeKey`
 * for `resourcePath`), plus why API Gateway answered itself. `caller` is the signer with `auth: 'iam'`.
 */
const HTTP_ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    ip: '$context.identity.sourceIp',
    caller: '$context.identity.caller',
    requestTime: '$context.requestTime',
    httpMethod: '$context.httpMethod',
    routeKey: '$context.routeKey',
    status: '$context.status',
    protocol: '$context.protocol',
    responseLength: '$context.responseLength',
    error: '$context.error.message',
    integrationError: '$context.integrationErrorMessage',
  }),
);

/**
 * The front door on an API Gateway HTTP API (a third of a REST API's request price): a named stage
 * like the REST one's, so URLs keep the shape `<base>/<stage>/items`, with a throttle (its default
 * route settings) and JSON access logs; Lambda proxy integrations with payload format 2.0; every route
 * `AWS_IAM` with `auth: 'iam'`, or without authorization. HTTP APIs have no API keys, usage plans,
 * gateway responses, WAF or X-Ray tracing.
 */
export class HttpPipelineApi extends PipelineApi {
  public readonly api: HttpApi;
  public readonly stage: HttpStage;
  public readonly apiId: string;
  public readonly metrics: ApiMetrics;
  /** HTTP APIs have no API keys. */
  public readonly apiKey = undefined;

  constructor(scope: Construct, id: string, props: PipelineApiProps) {
    super(scope, id, 'http', props);
    this.api = new HttpApi(this, 'Api', {
      // The same name as a REST API's; HTTP APIs' metrics are keyed by API id.
      apiName: `${Stack.of(this).stackName}-api`,
      description: 'FIFO batch pipeline: POST /items, GET /requests/{requestId}, GET /analyses',
      // `$default` would serve at the root: a named stage keeps the REST API's URLs.
      createDefaultStage: false,
      ...(props.auth === 'iam' ? { defaultAuthorizer: new HttpIamAuthorizer() } : {}),
    });
    this.stage = new HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: this.stageName,
      autoDeploy: true,
      throttle: { rateLimit: props.throttleRateLimit, burstLimit: props.throttleBurstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: HTTP_ACCESS_LOG_FORMAT,
      },
    });
    this.apiId = this.api.apiId;
    this.metrics = this.api;
  }

  public urlForPath(path: string): string {
    return `${this.stage.url}${path}`;
  }

  protected bindRoute(method: RouteMethod, path: string, handler: IFunction): void {
    this.api.addRoutes({
      path,
      methods: [HttpMethod[method]],
      integration: new HttpLambdaIntegration('Integration', handler, {
        // The functions read v1 and v2 events alike (lambdas/shared/http.ts); v2 is an HTTP API's own.
        payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
      }),
    });
  }

  protected arnForExecuteApi(method: RouteMethod, path: string): string {
    return this.api.arnForExecuteApi(method, path, this.stageName);
  }
}
