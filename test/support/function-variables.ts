import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { waitUntil } from '../../cdk/local/local-cloud';
import { clientConfig, type Deployment } from '../../cdk/ops/deployment';

/**
 * Sets one environment variable of a deployed function, keeping the others, and waits until the
 * update is applied. The emulator, like Lambda, starts new workers with it: warm the function up
 * before timing it.
 */
export async function setFunctionVariable(
  deployment: Deployment,
  functionName: string,
  variable: string,
  value: string,
): Promise<void> {
  const lambda = new LambdaClient(clientConfig(deployment));
  const current = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
  await lambda.send(
    new UpdateFunctionConfigurationCommand({
      FunctionName: functionName,
      Environment: { Variables: { ...current.Environment?.Variables, [variable]: value } },
    }),
  );
  await waitUntil(
    `${functionName} to take ${variable}=${value}`,
    async () => {
      const updated = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
      return (
        updated.LastUpdateStatus === 'Successful' && updated.Environment?.Variables?.[variable] === value
      );
    },
    30_000,
  );
}
