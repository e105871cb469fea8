import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { powertoolsIdempotency } from '../../lambdas/ingest/idempotency';
import { lambdaContext } from '../support/lambda-events';
import { synthPipeline } from './synth';

const { template, stack } = synthPipeline();
const ref = (construct: IConstruct): string => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const tableId = ref(stack.requestLedger.table);
const tableArn = { 'Fn::GetAtt': [tableId, 'Arn'] };

/** The DynamoDB statements of a function's role policy, each as its actions and the keys it may touch. */
function ledgerGrantsOf(fn: IFunction): Array<{ actions: string[]; keys: unknown; resource: unknown }> {
  const roleId = ref(fn.role as IConstruct);
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } });
  return Object.values(policies)
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
    .filter((statement) => [statement.Action].flat().some((action: string) => action.startsWith('dynamodb:')))
    .map((statement) => ({
      actions: [statement.Action].flat().sort(),
      keys: statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'],
      resource: statement.Resource,
    }));
}

const environmentOf = (fn: IFunction): Record<string, unknown> =>
  template.toJSON().Resources[ref(fn)].Properties.Environment.Variables;

describe('request ledger table', () => {
  it('is one on-demand table keyed by pk, with point-in-time recovery and a TTL on expiresAt', () => {
    // The ledger, and the analyses' windows table.
    template.resourceCountIs('AWS::DynamoDB::Table', 2);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('is kept when the stack is deleted', () => {
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('is named by a stack output for the tools', () => {
    template.hasOutput('LedgerTableName', { Value: { Ref: tableId } });
    template.hasOutput('StatusFunctionName', { Value: { Ref: ref(stack.requestStatus.statusFunction) } });
  });
});

describe('request ledger grants', () => {
  it('lets ingest keep its idempotency records and upsert entries, nothing more', () => {
    expect(ledgerGrantsOf(stack.ingestApi.ingestFunction)).toEqual([
      {
        actions: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        keys: ['idempotency#*'],
        resource: tableArn,
      },
      { actions: ['dynamodb:UpdateItem'], keys: ['request#*'], resource: tableArn },
    ]);
  });

  it('lets the batch writer upsert entries and read them in batches only', () => {
    expect(ledgerGrantsOf(stack.batchWriter.batchFunction)).toEqual([
      { actions: ['dynamodb:BatchGetItem', 'dynamodb:UpdateItem'], keys: ['request#*'], resource: tableArn },
    ]);
  });

  it('lets the status function read entries only', () => {
    expect(ledgerGrantsOf(stack.requestStatus.statusFunction)).toEqual([
      { actions: ['dynamodb:GetItem'], keys: ['request#*'], resource: tableArn },
    ]);
  });
});

describe("the idempotency records against the ingest role's condition", () => {
  /** IAM's StringLike: `*` any run of characters, the rest literal. */
  const matches = (pattern: string, value: string): boolean =>
    new RegExp(
      `^${pattern
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    ).test(value);

  it('writes every record under a key the role may touch, or the writes would be denied and requests run unguarded', async () => {
    // Prepare: the utility as ingest builds it, on a table that records the keys it is sent.
    const ddbMock = mockClient(DynamoDBClient);
    const keys: string[] = [];
    ddbMock.onAnyCommand().resolves({});
    ddbMock.on(PutItemCommand).callsFake(async (input) => {
      keys.push(input.Item?.pk?.S ?? '');
      return {};
    });
    ddbMock.on(UpdateItemCommand).callsFake(async (input) => {
      keys.push(input.Key?.pk?.S ?? '');
      return {};
    });
    const guard = powertoolsIdempotency({
      client: new DynamoDBClient({ region: 'us-east-1' }),
      tableName: 'ledger',
      windowHours: 24,
      onStoreError: (message) => {
        throw new Error(message);
      },
    });
    guard.registerLambdaContext(lambdaContext());
    const [grant] = ledgerGrantsOf(stack.ingestApi.ingestFunction);

    try {
      // Act
      await guard.once({ requestId: 'req-K', items: [1, 2] }, async () => 'answer');
    } finally {
      ddbMock.restore();
    }

    // Assert
    expect(keys.length).toBeGreaterThanOrEqual(2);
    expect(grant?.keys).toEqual(['idempotency#*']);
    for (const key of keys) expect(matches('idempotency#*', key), key).toBe(true);
    expect(matches('idempotency#*', 'ingest-handler#abc')).toBe(false);
  });
});

describe('GET /requests/{requestId}', () => {
  it('requires the API key, as POST /items does, and calls the status function', () => {
    const resources = template.findResources('AWS::ApiGateway::Resource', {
      Properties: { PathPart: '{requestId}' },
    });
    const [resourceId] = Object.keys(resources);
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      ResourceId: { Ref: resourceId },
      ApiKeyRequired: true,
      RequestParameters: { 'method.request.path.requestId': true },
      Integration: Match.objectLike({
        Type: 'AWS_PROXY',
        Uri: Match.objectLike({
          'Fn::Join': [
            '',
            Match.arrayWith([{ 'Fn::GetAtt': [ref(stack.requestStatus.statusFunction), 'Arn'] }]),
          ],
        }),
      }),
    });
  });

  it('follows apiKeyRequired', () => {
    const { template: open } = synthPipeline({ apiKeyRequired: false });
    open.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'GET', ApiKeyRequired: false });
  });
});

describe('ledger settings in the functions', () => {
  it.each([
    {
      name: 'ingest',
      fn: () => stack.ingestApi.ingestFunction,
      variables: { LEDGER_RETENTION_DAYS: '30', IDEMPOTENCY_WINDOW_HOURS: '24' },
    },
    {
      name: 'the batch writer',
      fn: () => stack.batchWriter.batchFunction,
      variables: { LEDGER_RETENTION_DAYS: '30' },
    },
    // (maxReceiveCount 5 + 1) x the 180 s visibility timeout
    {
      name: 'the status function',
      fn: () => stack.requestStatus.statusFunction,
      variables: { STALE_AFTER_SECONDS: '1080' },
    },
  ])('gives $name the table and its settings', ({ fn, variables }) => {
    expect(environmentOf(fn())).toMatchObject({ LEDGER_TABLE_NAME: { Ref: tableId }, ...variables });
  });

  it('carries the ledger settings from the pipeline context', () => {
    const { stack: custom, template: customTemplate } = synthPipeline({
      ledgerRetentionDays: 7,
      idempotencyWindowHours: 48,
      maxReceiveCount: 5,
      batchFunctionTimeoutSeconds: 10,
    });
    const variablesOf = (fn: IFunction) =>
      customTemplate.toJSON().Resources[custom.getLogicalId(fn.node.defaultChild as CfnElement)].Properties
        .Environment.Variables;
    expect(variablesOf(custom.ingestApi.ingestFunction)).toMatchObject({
      LEDGER_RETENTION_DAYS: '7',
      IDEMPOTENCY_WINDOW_HOURS: '48',
    });
    expect(variablesOf(custom.requestStatus.statusFunction)).toMatchObject({
      STALE_AFTER_SECONDS: String(6 * 60),
    });
  });

  it.each([
    [{ ledgerRetentionDays: 0 }, 'pipeline.ledgerRetentionDays'],
    [{ idempotencyWindowHours: 721 }, 'pipeline.idempotencyWindowHours'],
    [{ ledgerRetentionDays: 1, idempotencyWindowHours: 25 }, 'pipeline.ledgerRetentionDays x 24'],
  ])('fails synthesis on %o, naming %s', (pipeline, settingName) => {
    expect(() => synthPipeline(pipeline)).toThrow(settingName);
  });
});
