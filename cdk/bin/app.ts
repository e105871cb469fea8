import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../../lambdas/domain/errors';
import { resolveConfig } from '../lib/config';
import { acknowledgeNagFindings } from '../lib/nag';
import { PipelineStack } from '../lib/pipeline-stack';

const app = new App();
try {
  const config = resolveConfig(app.node.tryGetContext('pipeline'));
  const stack = new PipelineStack(app, app.node.tryGetContext('stackName') ?? 'FifoBatchPipeline', {
    config,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  acknowledgeNagFindings(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`Invalid configuration: ${error.message}`);
  process.exit(1);
}
