import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { API_GATEWAY_ACCOUNT_STACK_NAME, DEFAULT_STACK_NAME } from '../project';
import { ApiGatewayAccountStack } from './api-gateway-account-stack';
import { resolveConfig } from './config';
import { acknowledgeAccountNagFindings, acknowledgeNagFindings } from './nag';
import { PipelineStack } from './pipeline-stack';
import { suppressAccountTemplateFindings, suppressTemplateFindings } from './template-suppressions';

/** Apps already checked by cdk-nag: a second pipeline stack in one app must not run the checks twice. */
const checkedApps = new WeakSet<App>();

/**
 * One pipeline stack as `cdk synth` builds it: configuration from the `pipeline` context, the stack
 * (named by the `stackName` context unless given), the account stack holding API Gateway's logging
 * role (one per app, whatever the number of pipeline stacks), and cdk-nag AwsSolutions checks that
 * fail synthesis on any finding not acknowledged in nag.ts.
 */
export function addPipeline(
  app: App,
  stackName: string = app.node.tryGetContext('stackName') ?? DEFAULT_STACK_NAME,
): PipelineStack {
  const config = resolveConfig(app.node.tryGetContext('pipeline'));
  const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
  const stack = new PipelineStack(app, stackName, { config, env });
  acknowledgeNagFindings(stack);
  suppressTemplateFindings(stack);
  // Only a REST stage logs through the account's role; an HTTP API's access logs need none.
  if (config.apiGatewayCloudWatchRole && config.apiType === 'rest') {
    const fresh = app.node.tryFindChild(API_GATEWAY_ACCOUNT_STACK_NAME) === undefined;
    const account = ApiGatewayAccountStack.inApp(app, { env, logRetention: config.logRetentionDays });
    // The stage logs, which API Gateway refuses until the account names a logging role.
    stack.addStackDependency(account, 'API Gateway access logging needs the account logging role');
    if (fresh) {
      acknowledgeAccountNagFindings(account);
      suppressAccountTemplateFindings(account);
    }
  }
  if (!checkedApps.has(app)) {
    checkedApps.add(app);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  }
  return stack;
}
