import { App } from 'aws-cdk-lib';
import { ConfigError } from '../../lambdas/domain/errors';
import { addPipeline } from '../lib/pipeline-app';

const app = new App();
try {
  addPipeline(app);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`Invalid configuration: ${error.message}`);
  process.exit(1);
}
