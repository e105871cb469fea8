import { Stack } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  type IApiKey,
  LambdaIntegration,
  LogGroupLogDestination,
  Period,
  ResponseType,
  RestApi,
  type UsagePlan,
} from 'aws-cdk-lib/aws-apigateway';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { HTTP_ERRORS, type HttpErrorCode } from '../../../lambdas/domain/http-errors';
import { SETTINGS } from '../../../lambdas/domain/settings';
import {
  type ApiMetrics,
  PipelineApi,
  type PipelineApiProps,
  pathParametersOf,
  type RouteMethod,
  type RouteOptions,
} from './pipeline-api';

export interface RestPipelineApiProps extends PipelineApiProps {
  /** Requests per API key per day, the usage plan's quota (with `auth: 'apiKey'`). An integer from 1 to 2,000,000,000. */
  readonly dailyQuota: number;
}

/** Gateway-made errors share the shape of ours: {"error": {"code", "message"}}. */
const errorTemplate = (code: HttpErrorCode | '$context.error.responseType') => ({
  'application/json': `{"error":{"code":"${code}","message":$context.error.messageString}}`,
});

/**
 * The front door on an API Gateway REST API: stage throttling, JSON access logs and X-Ray tracing,
 * gateway-made errors in the contract's shape, and either an API key in a usage plan (throttle and
 * daily quota; `auth: 'apiKey'`) or `AWS_IAM` on every method (`auth: 'iam'`).
 */
export class RestPipelineApi extends PipelineApi {
  public readonly api: RestApi;
  public readonly apiId: string;
  public readonly metrics: ApiMetrics;
  public readonly apiKey: IApiKey | undefined;
  /** The usage plan of the API key (`auth: 'apiKey'`); undefined with `auth: 'iam'`. */
  public readonly usagePlan: UsagePlan | undefined;
  private readonly apiKeyRequired: boolean;

  constructor(scope: Construct, id: string, props: RestPipelineApiProps) {
    // The usage plan's quota is checked before the base builds anything.
    SETTINGS.dailyQuota.check(`${id}.dailyQuota`, props.dailyQuota);
    super(scope, id, 'rest', props);
    this.apiKeyRequired = props.auth === 'apiKey' && props.apiKeyRequired;
    this.api = new RestApi(this, 'Api', {
      // API Gateway keys a REST API's metrics by its name: the stack's name keeps each stack's figures apart.
      restApiName: `${Stack.of(this).stackName}-api`,
      description: 'FIFO batch pipeline: POST /items, GET /requests/{requestId}, GET /analyses',
      deployOptions: {
        stageName: this.stageName,
        tracingEnabled: true,
        throttlingRateLimit: props.throttleRateLimit,
        throttlingBurstLimit: props.throttleBurstLimit,
        accessLogDestination: new LogGroupLogDestination(this.accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
      },
      // The account's logging role is one per account and Region: ApiGatewayAccountStack sets it.
      cloudWatchRole: false,
    });
    this.apiId = this.api.restApiId;
    this.metrics = this.api;
    this.addGatewayResponses();
    if (props.auth === 'apiKey') {
      this.apiKey = this.api.addApiKey('ApiKey', { description: 'Key for every route of the pipeline API' });
      this.usagePlan = this.api.addUsagePlan('UsagePlan', {
        throttle: { rateLimit: props.throttleRateLimit, burstLimit: props.throttleBurstLimit },
        quota: { limit: props.dailyQuota, period: Period.DAY },
        apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
      });
      this.usagePlan.addApiKey(this.apiKey);
    }
  }

  public urlForPath(path: string): string {
    return this.api.urlForPath(path);
  }

  protected bindRoute(method: RouteMethod, path: string, handler: IFunction, options: RouteOptions): void {
    const requestParameters = Object.fromEntries([
      ...pathParametersOf(path).map((name) => [`method.request.path.${name}`, true]),
      ...(options.queryParameters ?? []).map((name) => [`method.request.querystring.${name}`, false]),
    ]);
    this.api.root.resourceForPath(path).addMethod(method, new LambdaIntegration(handler), {
      authorizationType: this.auth === 'iam' ? AuthorizationType.IAM : AuthorizationType.NONE,
      apiKeyRequired: this.apiKeyRequired,
      ...(Object.keys(requestParameters).length > 0 ? { requestParameters } : {}),
    });
  }

  protected arnForExecuteApi(method: RouteMethod, path: string): string {
    return this.api.arnForExecuteApi(method, path, this.stageName);
  }

  /**
   * No body validation at the gateway: every body rule lives in the function, where its code and
   * element index are exact (a gateway JSON schema check reported deeply nested or very long but
   * valid JSON as malformed). Errors the gateway makes itself still answer in our shape: the code is
   * its response type (INVALID_API_KEY, MISSING_AUTHENTICATION_TOKEN, THROTTLED, ...), except for a
   * body over its own limit, which answers PAYLOAD_TOO_LARGE as the function does.
   */
  private addGatewayResponses(): void {
    this.api.addGatewayResponse('BodyTooLarge', {
      type: ResponseType.REQUEST_TOO_LARGE,
      statusCode: String(HTTP_ERRORS.PAYLOAD_TOO_LARGE.status),
      templates: errorTemplate('PAYLOAD_TOO_LARGE'),
    });
    this.api.addGatewayResponse('Default4xx', {
      type: ResponseType.DEFAULT_4XX,
      templates: errorTemplate('$context.error.responseType'),
    });
    this.api.addGatewayResponse('Default5xx', {
      type: ResponseType.DEFAULT_5XX,
      templates: errorTemplate('$context.error.responseType'),
    });
  }
}
