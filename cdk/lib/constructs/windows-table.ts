import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { Analysis } from '../../../lambdas/domain/analyses';
import { analysesEnvironment, windowEnvironment } from '../../../lambdas/domain/environment';
import { SETTINGS } from '../../../lambdas/domain/settings';
import { partitionKeyPatterns } from '../../../lambdas/windows/window-inputs';

export interface WindowsTableProps {
  /**
   * Days a row is kept after its window became final (its TTL); final windows stay in S3. An integer
   * from 1 to 3,650 (`SETTINGS.windowRetentionDays`).
   */
  readonly retentionDays: number;
}

/**
 * The analyses' windows table (lambdas/windows/window-inputs.ts has its rows): pane rows the consumers
 * write, window rows the closer writes, a watermark per analysis. On demand, point-in-time recovery, a
 * TTL. Each function may touch only its analysis's rows, and only as its part needs
 * (`dynamodb:LeadingKeys`).
 */
export class WindowsTable extends Construct {
  public readonly table: Table;
  public readonly retentionDays: number;

  constructor(scope: Construct, id: string, props: WindowsTableProps) {
    super(scope, id);
    this.retentionDays = SETTINGS.windowRetentionDays.check(`${id}.retentionDays`, props.retentionDays);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'expiresAt',
      encryption: TableEncryption.DEFAULT,
      // Every row can be rebuilt from nothing but the items of its windows, and final windows are in S3.
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }

  /** An analysis's consumer: upserts its pane rows and adds late items to its window rows. */
  grantConsumer(grantee: IGrantable, analysis: Analysis): void {
    const keys = partitionKeyPatterns(analysis.name);
    this.grantOn(grantee, [keys.panes, keys.windows], ['dynamodb:UpdateItem']);
  }

  /** The closer: reads panes and windows, writes final windows and moves the watermark, of every analysis. */
  grantCloser(grantee: IGrantable, analyses: readonly Analysis[]): void {
    const keys = analyses.map((analysis) => partitionKeyPatterns(analysis.name));
    this.grantOn(
      grantee,
      keys.flatMap(({ panes, windows, watermark }) => [panes, windows, watermark]),
      ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
    );
  }

  /**
   * The variables of a function that reads every analysis's windows (the closer, the analyses API):
   * the analyses, this table, its retention, and the consumers' timeout, which sets when a window is
   * final. Checks the timeout, named after `owner`, the construct that asks.
   */
  readerEnvironment(
    owner: string,
    analyses: readonly Analysis[],
    analysisFunctionTimeout: Duration,
  ): Record<string, string> {
    const analysisFunctionTimeoutSeconds = SETTINGS.analysisFunctionTimeoutSeconds.check(
      `${owner}.analysisFunctionTimeout in seconds`,
      analysisFunctionTimeout.toSeconds({ integral: false }),
    );
    return {
      ...analysesEnvironment(analyses),
      ...windowEnvironment({
        windowsTableName: this.table.tableName,
        windowRetentionDays: this.retentionDays,
        analysisFunctionTimeoutSeconds,
      }),
    };
  }

  /** The analyses API: reads panes, windows and watermarks, nothing else. */
  grantReader(grantee: IGrantable, analyses: readonly Analysis[]): void {
    const keys = analyses.map((analysis) => partitionKeyPatterns(analysis.name));
    this.grantOn(
      grantee,
      keys.flatMap(({ panes, windows, watermark }) => [panes, windows, watermark]),
      ['dynamodb:Query', 'dynamodb:GetItem'],
    );
  }

  /** `actions` on the rows whose partition key matches one of `keys` (patterns, `*` any). */
  private grantOn(grantee: IGrantable, keys: string[], actions: string[]): void {
    if (keys.length === 0) return;
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions,
        resources: [this.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': keys } },
      }),
    );
  }
}
