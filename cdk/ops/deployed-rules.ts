import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { type BatchSettings, readBatchSettings } from '../../lambdas/domain/environment';
import { clientConfig, type Deployment } from './deployment';

/**
 * The rules a deployment enforces (batch size, exclusion pairs, receives): its batch function's own
 * environment, read the way the function reads it, so the audit, the smoke check and the dashboard
 * judge objects by the deployed rule, never by a default.
 */
export async function deployedBatchSettings(deployment: Deployment): Promise<BatchSettings> {
  const fn = await new LambdaClient(clientConfig(deployment)).send(
    new GetFunctionConfigurationCommand({ FunctionName: deployment.batchFunctionName }),
  );
  return readBatchSettings(fn.Environment?.Variables ?? {});
}
