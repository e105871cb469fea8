import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { checkAtLeast } from '../../../lambdas/domain/checks';
import { IDEMPOTENCY_KEY_PREFIX, REQUEST_KEY_PREFIX } from '../../../lambdas/domain/ledger';
import { SETTINGS } from '../../../lambdas/domain/settings';

export interface RequestLedgerProps {
  /**
   * Days a request's entry is kept after it was accepted; then DynamoDB's TTL (`expiresAt`) deletes it
   * and `GET /requests/{id}` answers 404. An integer from 1 to 3,650 (`SETTINGS.ledgerRetentionDays`),
   * and at least the idempotency window, so a key's request outlives the window in which a repeat is
   * answered.
   */
  readonly retentionDays: number;
  /**
   * Hours a completed request's answer is kept for repeats of its Idempotency-Key (Powertools'
   * idempotency records, expiring through the same TTL attribute). An integer from 1 to 720
   * (`SETTINGS.idempotencyWindowHours`), and at most `retentionDays` x 24.
   */
  readonly idempotencyWindowHours: number;
}

/** The partition key of entries (`request#<id>`) and idempotency records (`idempotency#<hash>`). */
const PARTITION_KEY = 'pk';
/** The TTL attribute, epoch seconds, of both kinds of item. */
const EXPIRY_ATTRIBUTE = 'expiresAt';

/**
 * The request ledger (the contract's Request ledger): one DynamoDB table for the request entries and
 * the idempotency records, on demand, with point-in-time recovery and a TTL. Each function is granted
 * only its own actions, on its own kind of item (`dynamodb:LeadingKeys`).
 */
export class RequestLedger extends Construct {
  public readonly table: Table;
  public readonly retentionDays: number;
  public readonly idempotencyWindowHours: number;

  constructor(scope: Construct, id: string, props: RequestLedgerProps) {
    super(scope, id);
    this.retentionDays = SETTINGS.ledgerRetentionDays.check(`${id}.retentionDays`, props.retentionDays);
    this.idempotencyWindowHours = SETTINGS.idempotencyWindowHours.check(
      `${id}.idempotencyWindowHours`,
      props.idempotencyWindowHours,
    );
    checkAtLeast(
      `${id}.retentionDays x 24`,
      props.retentionDays * 24,
      `${id}.idempotencyWindowHours`,
      props.idempotencyWindowHours,
    );
    this.table = new Table(this, 'Table', {
      partitionKey: { name: PARTITION_KEY, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: EXPIRY_ATTRIBUTE,
      encryption: TableEncryption.DEFAULT,
      // The producers' record of what became of their requests: deleting the stack keeps it, as it
      // keeps the bucket; entries expire by themselves.
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /** Ingest: its idempotency records (Powertools reads, writes and deletes them) and its entries. */
  grantIngest(grantee: IGrantable): void {
    this.grantOn(grantee, `${IDEMPOTENCY_KEY_PREFIX}#*`, [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    ]);
    this.grantOn(grantee, `${REQUEST_KEY_PREFIX}*`, ['dynamodb:UpdateItem']);
  }

  /** The batch writer: upserts into entries, and reads what is stored for the redelivery filter. */
  grantBatchWriter(grantee: IGrantable): void {
    this.grantOn(grantee, `${REQUEST_KEY_PREFIX}*`, ['dynamodb:UpdateItem', 'dynamodb:BatchGetItem']);
  }

  /** The status function: reads entries, nothing else. */
  grantStatusReader(grantee: IGrantable): void {
    this.grantOn(grantee, `${REQUEST_KEY_PREFIX}*`, ['dynamodb:GetItem']);
  }

  /** `actions` on the items whose partition key matches `keys`, e.g. `request#*`. */
  private grantOn(grantee: IGrantable, keys: string, actions: string[]): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions,
        resources: [this.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [keys] } },
      }),
    );
  }
}
