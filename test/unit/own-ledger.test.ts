import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Deployment } from '../../cdk/ops/deployment';
import { moveLedgerTo } from '../bench/own-ledger';

const dynamoDbMock = mockClient(DynamoDBClient);
const lambdaMock = mockClient(LambdaClient);

const LEDGER_ENDPOINT = 'http://127.0.0.1:4700';
const deployment = {
  stackName: 'Compare',
  region: 'us-east-1',
  endpoint: 'http://127.0.0.1:4566',
  ledgerTableName: 'ledger',
  ingestFunctionName: 'ingest',
} as Deployment;
const KEY_SCHEMA = [{ AttributeName: 'pk', KeyType: 'HASH' as const }];
const ATTRIBUTES = [{ AttributeName: 'pk', AttributeType: 'S' as const }];
const VARIABLES = { LEDGER_TABLE_NAME: 'ledger', TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:items.fifo' };

describe('moveLedgerTo', () => {
  beforeEach(() => {
    dynamoDbMock.reset();
    lambdaMock.reset();
    dynamoDbMock
      .on(DescribeTableCommand)
      .resolves({ Table: { TableName: 'ledger', KeySchema: KEY_SCHEMA, AttributeDefinitions: ATTRIBUTES } });
    lambdaMock
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce({ Environment: { Variables: VARIABLES } })
      .resolves({
        LastUpdateStatus: 'Successful',
        Environment: { Variables: { ...VARIABLES, AWS_ENDPOINT_URL_DYNAMODB: LEDGER_ENDPOINT } },
      });
  });

  it('creates the ledger table with the same keys on the other endpoint', async () => {
    // Act
    await moveLedgerTo(deployment, LEDGER_ENDPOINT);

    // Assert
    expect(dynamoDbMock.commandCalls(CreateTableCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: 'ledger',
        KeySchema: KEY_SCHEMA,
        AttributeDefinitions: ATTRIBUTES,
        BillingMode: 'PAY_PER_REQUEST',
      },
    ]);
  });

  it("sends the ingest function's DynamoDB calls there and keeps its other variables", async () => {
    // Act
    await moveLedgerTo(deployment, LEDGER_ENDPOINT);

    // Assert
    expect(
      lambdaMock.commandCalls(UpdateFunctionConfigurationCommand).map((call) => call.args[0].input),
    ).toEqual([
      {
        FunctionName: 'ingest',
        Environment: { Variables: { ...VARIABLES, AWS_ENDPOINT_URL_DYNAMODB: LEDGER_ENDPOINT } },
      },
    ]);
  });

  it('refuses a deployment without a ledger table, before creating anything', async () => {
    // Act
    const moving = moveLedgerTo({ ...deployment, ledgerTableName: undefined }, LEDGER_ENDPOINT);

    // Assert
    await expect(moving).rejects.toThrow('Compare has no ledger table');
    expect(dynamoDbMock.calls()).toHaveLength(0);
  });
});
