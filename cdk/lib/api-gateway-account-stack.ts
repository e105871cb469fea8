import { type App, CfnOutput, type Environment, Stack } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { API_GATEWAY_ACCOUNT_STACK_NAME } from '../project';
import { ApiGatewayAccountSetting } from './constructs/api-gateway-account-setting';

export interface ApiGatewayAccountStackProps {
  readonly env: Environment;
  /** Retention of the setting function's log group. */
  readonly logRetention: RetentionDays;
}

/**
 * The account-level part of the app, one per account and Region whatever the pipeline stacks:
 * API Gateway's CloudWatch Logs role and the account setting naming it (set only when none is).
 * Pipeline stacks depend on it, so their stages, which log, come after it.
 */
export class ApiGatewayAccountStack extends Stack {
  public readonly accountSetting: ApiGatewayAccountSetting;

  /** The app's one account stack, made by the first pipeline stack that needs it. */
  static inApp(app: App, props: ApiGatewayAccountStackProps): ApiGatewayAccountStack {
    const existing = app.node.tryFindChild(API_GATEWAY_ACCOUNT_STACK_NAME);
    return existing instanceof ApiGatewayAccountStack
      ? existing
      : new ApiGatewayAccountStack(app, API_GATEWAY_ACCOUNT_STACK_NAME, props);
  }

  private constructor(scope: App, id: string, props: ApiGatewayAccountStackProps) {
    super(scope, id, {
      env: props.env,
      description:
        "API Gateway's CloudWatch Logs role for this account and Region, shared by every pipeline stack",
    });
    this.accountSetting = new ApiGatewayAccountSetting(this, 'ApiGatewayAccount', {
      logRetention: props.logRetention,
    });
    new CfnOutput(this, 'CloudWatchRoleArn', { value: this.accountSetting.effectiveRoleArn });
  }
}
