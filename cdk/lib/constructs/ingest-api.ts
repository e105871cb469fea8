import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  type IApiKey,
  LambdaIntegration,
  LogGroupLogDestination,
  Period,
  ResponseType,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV, type Ordering } from '../../../lambdas/domain/settings';
import { PipelineFunction } from './pipeline-function';

export interface IngestApiProps {
  readonly queue: IQueue;
  readonly ordering: Ordering;
  readonly maxItemsPerRequest: number;
  readonly maxBodyBytes: number;
  readonly apiKeyRequired: boolean;
  /**
   * Whether the stack sets the account's API Gateway CloudWatch Logs role (`AWS::ApiGateway::Account`).
   * Access logging is refused ("CloudWatch Logs role ARN must be set in account settings") in an
   * account and Region without one. The role and the setting are retained when the stack is deleted,
   * since other APIs in the account may log through them.
   */
  readonly cloudWatchRole: boolean;
  readonly throttleRateLimit: number;
  readonly throttleBurstLimit: number;
  readonly dailyQuota: number;
  readonly logRetention: RetentionDays;
  readonly stageName?: string;
}

/** Gateway-made errors share the shape of ours: {"error": {"code", "message"}}. */
const errorTemplate = (code: string) => ({
  'application/json': `{"error":{"code":"${code}","message":$context.error.messageString}}`,
});

/**
 * `POST /items` on a REST API: API key and usage plan (throttle and daily quota), stage throttling,
 * access logs and tracing, and the ingest function behind it.
 */
export class IngestApi extends Construct {
  public readonly api: RestApi;
  public readonly apiKey: IApiKey;
  public readonly ingestFunction: NodejsFunction;
  public readonly itemsUrl: string;

  constructor(scope: Construct, id: string, props: IngestApiProps) {
    super(scope, id);
    if (props.throttleBurstLimit < props.throttleRateLimit) {
      throw new Error(
        `${id}: throttleBurstLimit must be at least throttleRateLimit (${props.throttleRateLimit})`,
      );
    }
    const stageName = props.stageName ?? 'prod';

    this.ingestFunction = new PipelineFunction(this, 'Ingest', {
      entry: 'lambdas/ingest/handler.ts',
      serviceName: 'ingest',
      timeout: Duration.seconds(10),
      logRetention: props.logRetention,
      environment: {
        [ENV.queueUrl]: props.queue.queueUrl,
        [ENV.ordering]: props.ordering,
        [ENV.maxItemsPerRequest]: String(props.maxItemsPerRequest),
        [ENV.maxBodyBytes]: String(props.maxBodyBytes),
      },
    }).function;
    props.queue.grantSendMessages(this.ingestFunction);

    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention });
    this.api = new RestApi(this, 'Api', {
      description: 'FIFO batch pipeline: POST /items',
      deployOptions: {
        stageName,
        tracingEnabled: true,
        throttlingRateLimit: props.throttleRateLimit,
        throttlingBurstLimit: props.throttleBurstLimit,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
      },
      cloudWatchRole: props.cloudWatchRole,
      cloudWatchRoleRemovalPolicy: props.cloudWatchRole ? RemovalPolicy.RETAIN : undefined,
    });

    // No body validation at the gateway: every body rule lives in the function, where its code
    // and element index are exact (a gateway JSON schema check reported deeply nested or very long
    // but valid JSON as malformed). Limits the gateway enforces itself still answer in our shape.
    this.api.addGatewayResponse('BodyTooLarge', {
      type: ResponseType.REQUEST_TOO_LARGE,
      statusCode: '413',
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

    this.api.root.addResource('items').addMethod('POST', new LambdaIntegration(this.ingestFunction), {
      apiKeyRequired: props.apiKeyRequired,
    });

    this.apiKey = this.api.addApiKey('ApiKey', { description: 'Key for POST /items' });
    const plan = this.api.addUsagePlan('UsagePlan', {
      throttle: { rateLimit: props.throttleRateLimit, burstLimit: props.throttleBurstLimit },
      quota: { limit: props.dailyQuota, period: Period.DAY },
      apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
    });
    plan.addApiKey(this.apiKey);
    this.itemsUrl = this.api.urlForPath('/items');
  }
}
