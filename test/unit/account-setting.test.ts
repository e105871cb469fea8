import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import {
  type AccountSettingDeps,
  applyAccountSetting,
  ROLE_READY_ATTEMPTS,
  RoleNotAcceptedError,
} from '../../lambdas/account-setting/account-setting';
import {
  PHYSICAL_ID,
  ResponseNotDeliveredError,
  responseBody,
  sendResponse,
} from '../../lambdas/account-setting/cfn-response';

const OURS = 'arn:aws:iam::123456789012:role/ours';
const THEIRS = 'arn:aws:iam::123456789012:role/theirs';

class NotReady extends Error {}

/** An account setting in memory; `refusals` makes the first N changes fail as an unpropagated role does. */
function account(current: string | undefined, refusals = 0) {
  const state = { current, sets: [] as string[], pauses: [] as number[], refusals };
  const deps: AccountSettingDeps = {
    currentRoleArn: async () => state.current,
    setRoleArn: async (roleArn) => {
      if (state.refusals > 0) {
        state.refusals -= 1;
        throw new NotReady('The role ARN does not have required permissions set to API Gateway');
      }
      state.sets.push(roleArn);
      state.current = roleArn;
    },
    isRoleNotReady: (error) => error instanceof NotReady,
    pause: async (ms) => {
      state.pauses.push(ms);
    },
  };
  return { state, deps };
}

describe('the API Gateway account setting', () => {
  it('is set to our role when the account has none', async () => {
    // Prepare
    const { state, deps } = account(undefined);

    // Act
    const outcome = await applyAccountSetting({ requestType: 'Create', roleArn: OURS }, deps);

    // Assert
    expect(outcome).toEqual({ roleArn: OURS, changed: true });
    expect(state.sets).toEqual([OURS]);
  });

  it.each(['Create', 'Update'] as const)(
    'is left as it is on %s when another role is set',
    async (requestType) => {
      // Prepare
      const { state, deps } = account(THEIRS);

      // Act
      const outcome = await applyAccountSetting(
        { requestType, roleArn: OURS, previousRoleArn: 'arn:old' },
        deps,
      );

      // Assert
      expect(outcome).toEqual({ roleArn: THEIRS, changed: false });
      expect(state.sets).toEqual([]);
    },
  );

  it('follows our role on an update when it still names the role we set before', async () => {
    // Prepare
    const { state, deps } = account(THEIRS);

    // Act
    const outcome = await applyAccountSetting(
      { requestType: 'Update', roleArn: OURS, previousRoleArn: THEIRS },
      deps,
    );

    // Assert
    expect(outcome).toEqual({ roleArn: OURS, changed: true });
    expect(state.sets).toEqual([OURS]);
  });

  it('is set to our role on an update when the account has none, whatever role we offered before', async () => {
    // Prepare: someone removed the setting since the resource was created
    const { state, deps } = account(undefined);

    // Act
    const outcome = await applyAccountSetting(
      { requestType: 'Update', roleArn: OURS, previousRoleArn: THEIRS },
      deps,
    );

    // Assert
    expect(outcome).toEqual({ roleArn: OURS, changed: true });
    expect(state.sets).toEqual([OURS]);
  });

  it('changes nothing on an update that offers the same role it offered before, when the setting names it', async () => {
    // Prepare: our role is set and stays the one we offer (another property of the resource changed)
    const { state, deps } = account(OURS);

    // Act
    const outcome = await applyAccountSetting(
      { requestType: 'Update', roleArn: OURS, previousRoleArn: OURS },
      deps,
    );

    // Assert
    expect(outcome).toEqual({ roleArn: OURS, changed: false });
    expect(state.sets).toEqual([]);
  });

  it('sets nothing on delete even when the account has no role: the stack is going, nobody logs through it', async () => {
    // Prepare
    const { state, deps } = account(undefined);

    // Act
    const outcome = await applyAccountSetting({ requestType: 'Delete', roleArn: OURS }, deps);

    // Assert
    expect(outcome).toEqual({ roleArn: undefined, changed: false });
    expect(state.sets).toEqual([]);
  });

  it('changes nothing when it already names our role, or on delete (other APIs may log through it)', async () => {
    // Prepare
    const same = account(OURS);
    const deleted = account(OURS);

    // Act
    const unchanged = await applyAccountSetting({ requestType: 'Update', roleArn: OURS }, same.deps);
    const afterDelete = await applyAccountSetting({ requestType: 'Delete', roleArn: OURS }, deleted.deps);

    // Assert
    expect(unchanged).toEqual({ roleArn: OURS, changed: false });
    expect(afterDelete).toEqual({ roleArn: OURS, changed: false });
    expect([...same.state.sets, ...deleted.state.sets]).toEqual([]);
  });

  it('waits for a new role to reach API Gateway, 5 s between tries', async () => {
    // Prepare
    const { state, deps } = account(undefined, 2);

    // Act
    const outcome = await applyAccountSetting({ requestType: 'Create', roleArn: OURS }, deps);

    // Assert
    expect(outcome.changed).toBe(true);
    expect(state.pauses).toEqual([5_000, 5_000]);
  });

  it(`gives up with ROLE_NOT_ACCEPTED after ${ROLE_READY_ATTEMPTS} refusals, and passes other errors on at once`, async () => {
    // Prepare
    const refused = account(undefined, ROLE_READY_ATTEMPTS);
    const broken = account(undefined);
    const failure = new Error('AccessDenied');
    broken.deps = { ...broken.deps, setRoleArn: () => Promise.reject(failure) };

    // Act
    const giveUp = applyAccountSetting({ requestType: 'Create', roleArn: OURS }, refused.deps);
    const other = applyAccountSetting({ requestType: 'Create', roleArn: OURS }, broken.deps);

    // Assert
    await expect(giveUp).rejects.toMatchObject({
      code: 'ROLE_NOT_ACCEPTED',
      message: `API Gateway still refused ${OURS} after ${ROLE_READY_ATTEMPTS} attempts`,
      cause: expect.any(NotReady),
    });
    await expect(giveUp).rejects.toBeInstanceOf(RoleNotAcceptedError);
    expect(refused.state.pauses).toHaveLength(ROLE_READY_ATTEMPTS - 1);
    await expect(other).rejects.toBe(failure);
    expect(broken.state.pauses).toEqual([]);
  });
});

describe("the custom resource's answer to CloudFormation", () => {
  const event = {
    RequestType: 'Create',
    ResponseURL: 'https://cfn.example/response',
    StackId: 'stack-1',
    RequestId: 'request-1',
    LogicalResourceId: 'Setting',
    ResourceType: 'Custom::ApiGatewayCloudWatchRole',
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:setter',
    ResourceProperties: { ServiceToken: 'x', RoleArn: OURS },
  } as CloudFormationCustomResourceEvent;

  it('says SUCCESS with the role, or FAILED with the reason, always under one physical id', () => {
    // Act
    const success = responseBody(event, { ok: true, data: { RoleArn: OURS, Changed: 'true' } });
    const failure = responseBody(event, { ok: false, reason: 'x'.repeat(5_000) });

    // Assert
    expect(success).toEqual({
      Status: 'SUCCESS',
      PhysicalResourceId: PHYSICAL_ID,
      StackId: 'stack-1',
      RequestId: 'request-1',
      LogicalResourceId: 'Setting',
      Data: { RoleArn: OURS, Changed: 'true' },
    });
    expect(failure).toMatchObject({ Status: 'FAILED', PhysicalResourceId: PHYSICAL_ID });
    expect(failure.Reason).toHaveLength(1_000);
  });

  it('is PUT to the response URL without a content type, and a refused PUT is an error', async () => {
    // Prepare
    const fetchFn = vi.fn(async () => new Response(null, { status: 200 }));
    const refusing = vi.fn(async () => new Response(null, { status: 403 }));
    const body = responseBody(event, { ok: true, data: {} });

    // Act
    await sendResponse(event.ResponseURL, body, fetchFn);
    const refused = sendResponse(event.ResponseURL, body, refusing);

    // Assert
    expect(fetchFn).toHaveBeenCalledWith(event.ResponseURL, {
      method: 'PUT',
      headers: { 'content-type': '' },
      body: JSON.stringify(body),
    });
    await expect(refused).rejects.toBeInstanceOf(ResponseNotDeliveredError);
    await expect(refused).rejects.toMatchObject({
      code: 'RESPONSE_NOT_DELIVERED',
      message: "CloudFormation's response URL answered 403",
    });
  });

  it('keeps the physical id deployed stacks hold: another one would read to CloudFormation as a replacement', () => {
    // Act / Assert
    expect(PHYSICAL_ID).toBe('apigateway-account-cloudwatch-role');
  });
});
