import { Duration } from 'aws-cdk-lib';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { statusEnvironment } from '../../../lambdas/domain/environment';
import { DERIVED_LIMITS } from '../../../lambdas/domain/settings';
import { SERVICES } from '../../../lambdas/shared/metric-names';
import type { PipelineApi } from './pipeline-api';
import { PipelineFunction } from './pipeline-function';
import type { RequestLedger } from './request-ledger';

export interface RequestStatusApiProps {
  /** The API of `POST /items`; the route joins it, behind the same authentication. */
  readonly api: PipelineApi;
  /** The ledger the status is read from; the function may only read its entries. */
  readonly ledger: RequestLedger;
  /**
   * A request with pending items and nothing recorded for this long is answered `"stale": true`: every
   * item is stored or dead-lettered within its retries unless the queue is backed up, so the ledger
   * may have missed an update. A whole number of seconds from 6 to 43,200,000
   * (`DERIVED_LIMITS.staleAfterSeconds`); the stack passes (maxReceiveCount + 1) x the visibility timeout.
   */
  readonly staleAfter: Duration;
  /** Retention of the function's log group. */
  readonly logRetention: RetentionDays;
}

/** `GET /requests/{requestId}` (the contract's Request ledger): a request's status from its ledger entry. */
export class RequestStatusApi extends Construct {
  public readonly statusFunction: NodejsFunction;

  constructor(scope: Construct, id: string, props: RequestStatusApiProps) {
    super(scope, id);
    const staleAfterSeconds = DERIVED_LIMITS.staleAfterSeconds.check(
      `${id}.staleAfter in seconds`,
      props.staleAfter.toSeconds({ integral: false }),
    );

    this.statusFunction = new PipelineFunction(this, 'Status', {
      entry: 'lambdas/status/handler.ts',
      serviceName: SERVICES.status,
      timeout: Duration.seconds(5),
      logRetention: props.logRetention,
      environment: statusEnvironment({ ledgerTableName: props.ledger.table.tableName, staleAfterSeconds }),
    }).function;
    props.ledger.grantStatusReader(this.statusFunction);

    props.api.addRoute('GET', '/requests/{requestId}', this.statusFunction);
  }
}
