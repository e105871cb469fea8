import { PipelineError } from '../domain/errors';

/**
 * API Gateway's CloudWatch Logs role is one setting per account and Region, shared by every REST
 * API there (access logging needs it). This sets it only where nobody has: a role another stack
 * or team set stays, and a delete leaves the setting as it is, since other APIs may log through it.
 */

export interface AccountSettingRequest {
  readonly requestType: 'Create' | 'Update' | 'Delete';
  /** The role this deployment offers. */
  readonly roleArn: string;
  /** On an update, the role it offered before: a setting still naming it is ours to move. */
  readonly previousRoleArn?: string;
}

export interface AccountSettingDeps {
  /** The account's current `cloudwatchRoleArn`, undefined when none is set. */
  readonly currentRoleArn: () => Promise<string | undefined>;
  readonly setRoleArn: (roleArn: string) => Promise<void>;
  /** True for API Gateway's refusal of a role IAM has not propagated yet (it names missing permissions). */
  readonly isRoleNotReady: (error: unknown) => boolean;
  readonly pause: (ms: number) => Promise<void>;
}

export interface AccountSettingOutcome {
  /** The role the account logs through afterwards. */
  readonly roleArn: string | undefined;
  /** Whether this call changed the setting. */
  readonly changed: boolean;
}

/** A new role takes a few seconds to reach API Gateway (aws-cdk issue 2194): 12 tries 5 s apart. */
export const ROLE_READY_ATTEMPTS = 12;
export const ROLE_READY_PAUSE_MS = 5_000;

export class RoleNotAcceptedError extends PipelineError {
  readonly code = 'ROLE_NOT_ACCEPTED';
}

async function setWhenReady(roleArn: string, deps: AccountSettingDeps): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await deps.setRoleArn(roleArn);
      return;
    } catch (error) {
      if (!deps.isRoleNotReady(error)) throw error;
      if (attempt === ROLE_READY_ATTEMPTS) {
        throw new RoleNotAcceptedError(
          `API Gateway still refused ${roleArn} after ${ROLE_READY_ATTEMPTS} attempts`,
          { cause: error },
        );
      }
      await deps.pause(ROLE_READY_PAUSE_MS);
    }
  }
}

export async function applyAccountSetting(
  request: AccountSettingRequest,
  deps: AccountSettingDeps,
): Promise<AccountSettingOutcome> {
  const current = await deps.currentRoleArn();
  if (request.requestType === 'Delete') return { roleArn: current, changed: false };
  // Ours to set: nobody has set one, or it still names the role this resource offered before.
  const oursToSet = current === undefined || current === request.previousRoleArn;
  if (!oursToSet || current === request.roleArn) return { roleArn: current, changed: false };
  await setWhenReady(request.roleArn, deps);
  return { roleArn: request.roleArn, changed: true };
}
