import { Duration } from 'aws-cdk-lib';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ITEMS_PATH } from '../../../lambdas/domain/api-paths';
import { ingestEnvironment, ledgerEnvironment } from '../../../lambdas/domain/environment';
import { type Ordering, SETTINGS } from '../../../lambdas/domain/settings';
import { SERVICES } from '../../../lambdas/shared/metric-names';
import type { PipelineApi } from './pipeline-api';
import { PipelineFunction } from './pipeline-function';
import type { RequestLedger } from './request-ledger';

export interface IngestApiProps {
  /** The API the route joins, behind its authentication, throttle and access logs. */
  readonly api: PipelineApi;
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
  /** Retention of the function's log group. */
  readonly logRetention: RetentionDays;
}

function checkProps(id: string, props: IngestApiProps): void {
  SETTINGS.ordering.check(`${id}.ordering`, props.ordering);
  SETTINGS.maxItemsPerRequest.check(`${id}.maxItemsPerRequest`, props.maxItemsPerRequest);
  SETTINGS.maxBodyBytes.check(`${id}.maxBodyBytes`, props.maxBodyBytes);
}

/** `POST /items` (the contract's HTTP API): the ingest function, which publishes each item to the dispatcher. */
export class IngestApi extends Construct {
  public readonly ingestFunction: NodejsFunction;

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

    props.api.addRoute('POST', ITEMS_PATH, this.ingestFunction);
  }
}
