import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { waitUntil } from '../../cdk/local/local-cloud';
import { clientConfig, type Deployment } from '../../cdk/ops/deployment';

/**
 * Gives a deployment's ledger a DynamoDB of its own: its table, created alike on a second emulator,
 * and the ingest function's DynamoDB calls sent there (`AWS_ENDPOINT_URL_DYNAMODB`, which the SDK
 * reads before `AWS_ENDPOINT_URL`). On AWS, DynamoDB and SNS are two services; one MiniStack serves
 * both on one event loop, so the UpdateItem and the PublishBatch that ingest sends at once are
 * served one after the other there, and the ledger's cost to the 202 is their sum, not the larger.
 */
export async function moveLedgerTo(deployment: Deployment, ledgerEndpoint: string): Promise<void> {
  const TableName = deployment.ledgerTableName;
  if (TableName === undefined) throw new Error(`${deployment.stackName} has no ledger table`);
  const { Table } = await new DynamoDBClient(clientConfig(deployment)).send(
    new DescribeTableCommand({ TableName }),
  );
  if (Table?.KeySchema === undefined) throw new Error(`${TableName} has no key schema`);
  await new DynamoDBClient(clientConfig({ endpoint: ledgerEndpoint, region: deployment.region })).send(
    new CreateTableCommand({
      TableName,
      KeySchema: Table.KeySchema,
      AttributeDefinitions: Table.AttributeDefinitions,
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const lambda = new LambdaClient(clientConfig(deployment));
  const FunctionName = deployment.ingestFunctionName;
  const { Environment } = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName }));
  await lambda.send(
    new UpdateFunctionConfigurationCommand({
      FunctionName,
      Environment: { Variables: { ...Environment?.Variables, AWS_ENDPOINT_URL_DYNAMODB: ledgerEndpoint } },
    }),
  );
  await waitUntil(
    `${FunctionName}'s ledger endpoint`,
    async () => {
      const configuration = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName }));
      return (
        configuration.LastUpdateStatus === 'Successful' &&
        configuration.Environment?.Variables?.AWS_ENDPOINT_URL_DYNAMODB === ledgerEndpoint
      );
    },
    30_000,
  );
}
