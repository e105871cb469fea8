import {
  APIGatewayClient,
  BadRequestException,
  GetAccountCommand,
  UpdateAccountCommand,
} from '@aws-sdk/client-api-gateway';
import type { CloudFormationCustomResourceEvent, CloudFormationCustomResourceResponse } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ROLE_READY_PAUSE_MS } from '../../lambdas/account-setting/account-setting';
import { PHYSICAL_ID } from '../../lambdas/account-setting/cfn-response';
import { lambdaContext } from '../support/lambda-events';
import { capturePrinted, type Printed, restoreFunctionRuntime, stubEnvironment } from './function-output';

// The setter pauses with node:timers/promises between tries; answering at once keeps the retry test instant.
const { pause } = vi.hoisted(() => ({ pause: vi.fn(async (_ms: number): Promise<void> => undefined) }));
vi.mock('node:timers/promises', () => ({ setTimeout: pause }));

const apiGatewayMock = mockClient(APIGatewayClient);

const OURS = 'arn:aws:iam::123456789012:role/ours';
const THEIRS = 'arn:aws:iam::123456789012:role/theirs';
const RESPONSE_URL = 'https://cloudformation-custom-resource-response.s3.amazonaws.com/presigned';
const SERVICE = 'api-gateway-account';
const NOT_READY_MESSAGE = 'The role ARN does not have required permissions set to API Gateway';

type RequestType = CloudFormationCustomResourceEvent['RequestType'];

/** A CloudFormation request for the setting custom resource; `oldRoleArn` is what an Update had before. */
function settingEvent(
  requestType: RequestType,
  properties: Record<string, string> = { RoleArn: OURS },
  oldRoleArn?: string,
): CloudFormationCustomResourceEvent {
  const common = {
    ServiceToken: `arn:aws:lambda:eu-west-1:123456789012:function:${SERVICE}`,
    ResponseURL: RESPONSE_URL,
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/pipeline-account/1',
    RequestId: 'cfn-request-1',
    LogicalResourceId: 'ApiGatewayAccountSetting',
    ResourceType: 'Custom::ApiGatewayCloudWatchRole',
    ResourceProperties: { ServiceToken: 'token', ...properties },
  };
  if (requestType === 'Create') return { ...common, RequestType: 'Create' };
  if (requestType === 'Delete') return { ...common, RequestType: 'Delete', PhysicalResourceId: PHYSICAL_ID };
  return {
    ...common,
    RequestType: 'Update',
    PhysicalResourceId: PHYSICAL_ID,
    OldResourceProperties: { ServiceToken: 'token', ...(oldRoleArn ? { RoleArn: oldRoleArn } : {}) },
  };
}

/** API Gateway's refusal of a role IAM has not propagated yet. */
const roleNotReady = (message = NOT_READY_MESSAGE) => new BadRequestException({ message, $metadata: {} });

/** The account's setting as GetAccount reports it (API Gateway omits an unset one). */
const accountNames = (roleArn: string | undefined) =>
  apiGatewayMock.on(GetAccountCommand).resolves(roleArn === undefined ? {} : { cloudwatchRoleArn: roleArn });

const roleArnsSet = () =>
  apiGatewayMock.commandCalls(UpdateAccountCommand).map((call) => call.args[0].input.patchOperations);

let respond: ReturnType<typeof vi.fn<typeof fetch>>;
let printed: Printed;

/** The handler as Lambda runs it; the logger is made at import, so a fresh copy after the variables. */
async function invoke(event: CloudFormationCustomResourceEvent): Promise<void> {
  vi.resetModules();
  const { handler } = await import('../../lambdas/account-setting/handler');
  return handler(event, lambdaContext(SERVICE));
}

/** The one answer PUT to the response URL. */
function answer(): CloudFormationCustomResourceResponse {
  expect(respond).toHaveBeenCalledTimes(1);
  const [url, init] = respond.mock.calls[0] ?? [];
  expect(url).toBe(RESPONSE_URL);
  expect(init?.method).toBe('PUT');
  return JSON.parse(String(init?.body));
}

const success = (data: { RoleArn: string; Changed: string }) => ({
  Status: 'SUCCESS',
  PhysicalResourceId: PHYSICAL_ID,
  StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/pipeline-account/1',
  RequestId: 'cfn-request-1',
  LogicalResourceId: 'ApiGatewayAccountSetting',
  Data: data,
});

const failed = (reason: string) => ({
  Status: 'FAILED',
  PhysicalResourceId: PHYSICAL_ID,
  StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/pipeline-account/1',
  RequestId: 'cfn-request-1',
  LogicalResourceId: 'ApiGatewayAccountSetting',
  Reason: reason,
});

beforeEach(() => {
  apiGatewayMock.reset();
  apiGatewayMock.on(UpdateAccountCommand).resolves({});
  pause.mockClear();
  stubEnvironment({
    AWS_REGION: 'eu-west-1',
    // Dev mode prints the log lines to the global console, where capturePrinted catches them.
    POWERTOOLS_DEV: 'true',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    POWERTOOLS_SERVICE_NAME: SERVICE,
  });
  printed = capturePrinted();
  respond = vi.fn<typeof fetch>(async () => new Response(null, { status: 200 }));
  vi.stubGlobal('fetch', respond);
});

afterEach(() => {
  restoreFunctionRuntime();
  vi.unstubAllGlobals();
});

describe('account setting handler', () => {
  it.each([
    { name: 'no setting', account: undefined },
    { name: 'an empty setting', account: '' },
  ])('names our role in the account setting on Create when it has $name', async ({ account }) => {
    // Prepare
    accountNames(account);

    // Act
    await invoke(settingEvent('Create'));

    // Assert
    expect(roleArnsSet()).toEqual([[{ op: 'replace', path: '/cloudwatchRoleArn', value: OURS }]]);
    expect(answer()).toStrictEqual(success({ RoleArn: OURS, Changed: 'true' }));
  });

  it('logs the request type and the outcome with the invocation context', async () => {
    // Prepare
    accountNames(undefined);

    // Act
    await invoke(settingEvent('Create'));

    // Assert
    expect(printed.logs).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'API Gateway account setting',
        service: SERVICE,
        function_name: SERVICE,
        function_request_id: 'lambda-request-1',
        requestType: 'Create',
        roleArn: OURS,
        changed: true,
      }),
    ]);
  });

  it.each(['Create', 'Update'] as const)(
    'leaves a role another stack set on %s and answers SUCCESS with that role',
    async (requestType) => {
      // Prepare
      accountNames(THEIRS);

      // Act
      await invoke(settingEvent(requestType, { RoleArn: OURS }, 'arn:aws:iam::123456789012:role/older'));

      // Assert
      expect(roleArnsSet()).toEqual([]);
      expect(answer()).toStrictEqual(success({ RoleArn: THEIRS, Changed: 'false' }));
      expect(printed.logs).toEqual([
        expect.objectContaining({ requestType, roleArn: THEIRS, changed: false }),
      ]);
    },
  );

  it('moves the setting to our new role on Update when it still names the role we offered before', async () => {
    // Prepare
    accountNames(THEIRS);

    // Act
    await invoke(settingEvent('Update', { RoleArn: OURS }, THEIRS));

    // Assert
    expect(roleArnsSet()).toEqual([[{ op: 'replace', path: '/cloudwatchRoleArn', value: OURS }]]);
    expect(answer()).toStrictEqual(success({ RoleArn: OURS, Changed: 'true' }));
  });

  it.each([
    { name: 'our role', account: OURS, data: { RoleArn: OURS, Changed: 'false' } },
    { name: 'no role', account: undefined, data: { RoleArn: '', Changed: 'false' } },
  ])(
    'changes nothing on Delete and answers SUCCESS with the setting as it is: $name',
    async ({ account, data }) => {
      // Prepare
      accountNames(account);

      // Act
      await invoke(settingEvent('Delete'));

      // Assert
      expect(roleArnsSet()).toEqual([]);
      expect(answer()).toStrictEqual(success(data));
      expect(printed.logs).toEqual([expect.objectContaining({ requestType: 'Delete', changed: false })]);
    },
  );

  it.each([
    { name: 'missing', properties: {} as Record<string, string> },
    { name: 'empty', properties: { RoleArn: '' } },
  ])(
    'answers FAILED naming ConfigError when the RoleArn property is $name, without calling API Gateway',
    async ({ properties }) => {
      // Prepare
      accountNames(undefined);

      // Act
      await invoke(settingEvent('Create', properties));

      // Assert
      const reason = 'ConfigError: The resource property RoleArn must be set';
      expect(answer()).toStrictEqual(failed(reason));
      expect(apiGatewayMock.calls()).toHaveLength(0);
      expect(printed.logs).toEqual([
        expect.objectContaining({
          level: 'ERROR',
          message: 'API Gateway account setting failed',
          error: reason,
        }),
      ]);
    },
  );

  it('tries again 5 s later while API Gateway refuses a role IAM has not propagated yet', async () => {
    // Prepare
    accountNames(undefined);
    apiGatewayMock
      .on(UpdateAccountCommand)
      .rejectsOnce(roleNotReady())
      .rejectsOnce(roleNotReady())
      .resolves({});

    // Act
    await invoke(settingEvent('Create'));

    // Assert
    expect(roleArnsSet()).toHaveLength(3);
    expect(pause.mock.calls).toEqual([[ROLE_READY_PAUSE_MS], [ROLE_READY_PAUSE_MS]]);
    expect(answer()).toStrictEqual(success({ RoleArn: OURS, Changed: 'true' }));
  });

  it.each([
    { name: 'a BadRequestException about something else', error: roleNotReady('Invalid patch path /x') },
    { name: 'another error naming the role', error: new Error('The role is throttled') },
  ])('answers FAILED at once for $name', async ({ error }) => {
    // Prepare
    accountNames(undefined);
    apiGatewayMock.on(UpdateAccountCommand).rejects(error);

    // Act
    await invoke(settingEvent('Create'));

    // Assert
    expect(roleArnsSet()).toHaveLength(1);
    expect(pause).not.toHaveBeenCalled();
    expect(answer()).toStrictEqual(failed(`${error.name}: ${error.message}`));
  });

  it('answers FAILED with the reason when the setting cannot be read, and logs it', async () => {
    // Prepare
    apiGatewayMock.on(GetAccountCommand).rejects(new Error('AccessDenied'));

    // Act
    await invoke(settingEvent('Update', { RoleArn: OURS }, THEIRS));

    // Assert
    expect(answer()).toStrictEqual(failed('Error: AccessDenied'));
    expect(printed.logs).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'API Gateway account setting failed',
        error: 'Error: AccessDenied',
      }),
    ]);
  });

  it('fails the invocation with RESPONSE_NOT_DELIVERED when the response URL refuses the answer', async () => {
    // Prepare
    accountNames(undefined);
    respond.mockResolvedValue(new Response(null, { status: 403 }));

    // Act
    const invocation = invoke(settingEvent('Create'));

    // Assert
    await expect(invocation).rejects.toMatchObject({
      code: 'RESPONSE_NOT_DELIVERED',
      message: "CloudFormation's response URL answered 403",
    });
  });
});
