import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DEFAULT_STACK_NAME } from '../project';
import { resolveConfig } from './config';
import { acknowledgeNagFindings } from './nag';
import { PipelineStack } from './pipeline-stack';
import { suppressTemplateFindings } from './template-suppressions';

/**
 * The whole app as `cdk synth` builds it: configuration from the `pipeline` context, the stack,
 * and cdk-nag AwsSolutions checks that fail synthesis on any finding not acknowledged in nag.ts.
 */
export function addPipeline(app: App): PipelineStack {
  const config = resolveConfig(app.node.tryGetContext('pipeline'));
  const stack = new PipelineStack(app, app.node.tryGetContext('stackName') ?? DEFAULT_STACK_NAME, {
    config,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  acknowledgeNagFindings(stack);
  suppressTemplateFindings(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
