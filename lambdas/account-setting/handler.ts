import { setTimeout as sleep } from 'node:timers/promises';
import {
  APIGatewayClient,
  BadRequestException,
  GetAccountCommand,
  UpdateAccountCommand,
} from '@aws-sdk/client-api-gateway';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { ConfigError, errorText } from '../domain/errors';
import { logger } from '../shared/observability';
import { applyAccountSetting } from './account-setting';
import { responseBody, sendResponse } from './cfn-response';

const apiGateway = new APIGatewayClient({});

const deps = {
  currentRoleArn: async () =>
    (await apiGateway.send(new GetAccountCommand({}))).cloudwatchRoleArn || undefined,
  setRoleArn: async (roleArn: string) => {
    await apiGateway.send(
      new UpdateAccountCommand({
        patchOperations: [{ op: 'replace', path: '/cloudwatchRoleArn', value: roleArn }],
      }),
    );
  },
  // "The role ARN does not have required permissions set to API Gateway": IAM has not propagated it yet.
  isRoleNotReady: (error: unknown) => error instanceof BadRequestException && /role/i.test(error.message),
  pause: (ms: number) => sleep(ms),
};

/** The custom resource that sets API Gateway's CloudWatch Logs role once per account and Region. */
export const handler = async (event: CloudFormationCustomResourceEvent, context: Context): Promise<void> => {
  logger.addContext(context);
  const properties = event.ResourceProperties as { RoleArn?: string };
  const previous =
    event.RequestType === 'Update' ? (event.OldResourceProperties as { RoleArn?: string }) : {};
  let body: ReturnType<typeof responseBody>;
  try {
    if (!properties.RoleArn) throw new ConfigError('The resource property RoleArn must be set');
    const outcome = await applyAccountSetting(
      { requestType: event.RequestType, roleArn: properties.RoleArn, previousRoleArn: previous.RoleArn },
      deps,
    );
    logger.info('API Gateway account setting', { requestType: event.RequestType, ...outcome });
    body = responseBody(event, {
      ok: true,
      data: { RoleArn: outcome.roleArn ?? '', Changed: String(outcome.changed) },
    });
  } catch (error) {
    logger.error('API Gateway account setting failed', { error: errorText(error) });
    body = responseBody(event, { ok: false, reason: errorText(error) });
  }
  // CloudFormation waits for this answer: a failure to send it fails the invocation, which Lambda logs.
  await sendResponse(event.ResponseURL, body);
};
