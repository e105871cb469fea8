import * as path from 'node:path';

/**
 * Where the project lives and the names it uses unless told otherwise. Free of aws-cdk-lib on
 * purpose: every tool loads this module, and a tool that loads the CDK to read a constant starts a
 * second slower.
 */
export const PROJECT_ROOT = path.resolve(import.meta.dirname, '..');

/** Local state, git-ignored: the emulators' virtualenvs and data, outputs files, logs. */
export const LOCAL_DIR = path.join(PROJECT_ROOT, '.local');

/** The stack `cdk deploy` and `npm start` deploy and the tools look for (context `stackName`, `--stack`). */
export const DEFAULT_STACK_NAME = 'FifoBatchPipeline';

/**
 * The stack that holds API Gateway's CloudWatch Logs role, one per account and Region, which every
 * pipeline stack of the app depends on (`cdk deploy <stack>` deploys it first, once).
 */
export const API_GATEWAY_ACCOUNT_STACK_NAME = 'FifoBatchPipelineApiGatewayAccount';
