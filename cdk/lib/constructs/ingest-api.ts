import { Duration, Stack } from 'aws-cdk-lib';
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
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { checkAtLeast } from '../../../lambdas/domain/checks';
import { ingestEnvironment, ledgerEnvironment } from '../../../lambdas/domain/environment';
import { HTTP_ERRORS, type HttpErrorCode } from '../../../lambdas/domain/http-errors';
import { type Ordering, SETTINGS } from '../../../lambdas/domain/settings';
import { SERVICES } from '../../../lambdas/shared/metric-names';
import { PipelineFunction } from './pipeline-function';
import type { RequestLedger } from './request-ledger';

export interface IngestApiProps {
  /** The dispatcher, an SNS FIFO topic the ingest function publishes every item to once; it may only publish. */
  readonly topic: ITopic;
  /**
   * The request ledger: ingest writes each request's entry there before enqueueing, and keeps its
   * Idempotency-Key records there (its retention and idempotency window go to the function).
   */
  readonly ledger: RequestLedger;
  /** `perRequest`: one message group per request; `global`: one group, one strictly ordered stream. */
  readonly ordering: Ordering;
  /** Items per POST; more answer 413 TOO_MANY_ITEMS. An integer from 1 to 500 (`SETTINGS.maxItemsPerRequest`). */
  readonly maxItemsPerRequest: number;
  /**
   * Body bytes per POST; more answer 413 PAYLOAD_TOO_LARGE. An integer from 2 to 1,048,576
   * (`SETTINGS.maxBodyBytes`).
   */
  readonly maxBodyBytes: number;
  /** Whether `POST /items` requires an API key in `x-api-key` (the usage plan's key). */
  readonly apiKeyRequired: boolean;
  /** Steady requests per second of the usage plan and the stage. An integer from 1 to 10,000. */
  readonly throttleRateLimit: number;
  /** Burst of the usage plan and the stage. An integer from 1 to 5,000, and at least `throttleRateLimit`. */
  readonly throttleBurstLimit: number;
  /** Requests per API key per day. An integer from 1 to 2,000,000,000. */
  readonly dailyQuota: number;
  /** Retention of the access log group and the function's log group. */
  readonly logRetention: RetentionDays;
  /**
   * The deployment stage, the first segment of the API's path.
   * @default 'prod'
   */
  readonly stageName?: string;
}

/** Gateway-made errors share the shape of ours: {"error": {"code", "message"}}. */
const errorTemplate = (code: HttpErrorCode | '$context.error.responseType') => ({
  'application/json': `{"error":{"code":"${code}","message":$context.error.messageString}}`,
});

function checkProps(id: string, props: IngestApiProps): void {
  SETTINGS.ordering.check(`${id}.ordering`, props.ordering);
  SETTINGS.maxItemsPerRequest.check(`${id}.maxItemsPerRequest`, props.maxItemsPerRequest);
  SETTINGS.maxBodyBytes.check(`${id}.maxBodyBytes`, props.maxBodyBytes);
  SETTINGS.throttleRateLimit.check(`${id}.throttleRateLimit`, props.throttleRateLimit);
  SETTINGS.throttleBurstLimit.check(`${id}.throttleBurstLimit`, props.throttleBurstLimit);
  checkAtLeast(
    `${id}.throttleBurstLimit`,
    props.throttleBurstLimit,
    `${id}.throttleRateLimit`,
    props.throttleRateLimit,
  );
  SETTINGS.dailyQuota.check(`${id}.dailyQuota`, props.dailyQuota);
}

/**
 * `POST /items` on a REST API: API key and usage plan (throttle and daily quota), stage throttling,
 * access logs and tracing, and the ingest function behind it. `GET /requests/{requestId}` joins the
 * same API (request-status-api.ts).
 */
export class IngestApi extends Construct {
  public readonly api: RestApi;
  public readonly apiKey: IApiKey;
  public readonly ingestFunction: NodejsFunction;
  public readonly itemsUrl: string;

  constructor(scope: Construct, id: string, props: IngestApiProps) {
    super(scope, id);
    checkProps(id, props);

    this.ingestFunction = new PipelineFunction(this, 'Ingest', {
      entry: 'lambdas/ingest/handler.ts',
      serviceName: SERVICES.ingest,
      timeout: Duration.seconds(10),
      logRetention: props.logRetention,
      environment: {
        ...ingestEnvironment({
          topicArn: props.topic.topicArn,
          ordering: props.ordering,
          maxItemsPerRequest: props.maxItemsPerRequest,
          maxBodyBytes: props.maxBodyBytes,
          idempotencyWindowHours: props.ledger.idempotencyWindowHours,
        }),
        ...ledgerEnvironment({
          ledgerTableName: props.ledger.table.tableName,
          ledgerRetentionDays: props.ledger.retentionDays,
        }),
      },
    }).function;
    props.topic.grantPublish(this.ingestFunction);
    props.ledger.grantIngest(this.ingestFunction);

    this.api = this.restApi(props);
    this.addGatewayResponses();
    this.api.root.addResource('items').addMethod('POST', new LambdaIntegration(this.ingestFunction), {
      apiKeyRequired: props.apiKeyRequired,
    });
    this.apiKey = this.addUsagePlan(props);
    this.itemsUrl = this.api.urlForPath('/items');
  }

  private restApi(props: IngestApiProps): RestApi {
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention });
    return new RestApi(this, 'Api', {
      // API Gateway keys its metrics by API name: the stack's name keeps each stack's figures apart.
      restApiName: `${Stack.of(this).stackName}-api`,
      description: 'FIFO batch pipeline: POST /items, GET /requests/{requestId}',
      deployOptions: {
        stageName: props.stageName ?? 'prod',
        tracingEnabled: true,
        throttlingRateLimit: props.throttleRateLimit,
        throttlingBurstLimit: props.throttleBurstLimit,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
      },
      // The account's logging role is one per account and Region: ApiGatewayAccountStack sets it.
      cloudWatchRole: false,
    });
  }

  /**
   * No body validation at the gateway: every body rule lives in the function, where its code and
   * element index are exact (a gateway JSON schema check reported deeply nested or very long but
   * valid JSON as malformed). Errors the gateway makes itself still answer in our shape: the code is
   * its response type (INVALID_API_KEY, THROTTLED, ... in HTTP_ERRORS), except for a body over its
   * own limit, which answers PAYLOAD_TOO_LARGE as the function does.
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

  private addUsagePlan(props: IngestApiProps): IApiKey {
    const apiKey = this.api.addApiKey('ApiKey', {
      description: 'Key for POST /items and GET /requests/{requestId}',
    });
    const plan = this.api.addUsagePlan('UsagePlan', {
      throttle: { rateLimit: props.throttleRateLimit, burstLimit: props.throttleBurstLimit },
      quota: { limit: props.dailyQuota, period: Period.DAY },
      apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
    });
    plan.addApiKey(apiKey);
    return apiKey;
  }
}
