import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { LambdaClient, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { resolveConfig } from '../lib/config';
import {
  clientConfig,
  type Deployment,
  describeDeployment,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
} from '../ops/deployment';
import { LOCAL_DIR, PROJECT_ROOT } from '../project';
import { LocalCloudError, type Log } from './local-cloud';

export interface DeployOptions {
  readonly endpoint: string;
  readonly stackName: string;
  /** Settings over cdk.json's `pipeline` and `localPipeline` context (e.g. test-only faults). */
  readonly pipeline?: Record<string, unknown>;
  readonly log: Log;
  /** Where the cdk CLI's output goes; the terminal when absent. */
  readonly cliLogFile?: string;
}

/** The local deployment's settings: cdk.json `pipeline`, then `localPipeline` (shorter timeouts). */
export function localPipelineSettings(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const context = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')).context ?? {};
  return { ...context.pipeline, ...context.localPipeline, ...extra };
}

function cdk(args: string[], env: NodeJS.ProcessEnv, logFile: string | undefined): Promise<void> {
  const bin = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'cdk');
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      cwd: PROJECT_ROOT,
      env,
      stdio: logFile ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    });
    if (logFile) {
      const out = createWriteStream(logFile, { flags: 'a' });
      child.stdout?.pipe(out);
      child.stderr?.pipe(out);
    }
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(
            new LocalCloudError(`cdk ${args[0]} failed (exit ${code})${logFile ? `; see ${logFile}` : ''}`),
          ),
    );
  });
}

/** Reads back what the emulator applied and fails loudly where it differs from the template. */
async function checkDeployed(
  deployment: Deployment,
  settings: Record<string, unknown>,
  endpoint: string,
): Promise<void> {
  const config = resolveConfig(settings);
  const target = clientConfig({ endpoint, region: LOCAL_REGION });
  const sqs = new SQSClient({ ...target, useQueueUrlAsEndpoint: false });
  const attributes = async (queueUrl: string) =>
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] })))
      .Attributes ?? {};
  const queue = await attributes(deployment.queueUrl);
  const deadLetterQueue = await attributes(deployment.deadLetterQueueUrl);
  const problems: string[] = [];
  const expect = (what: string, actual: unknown, expected: unknown) => {
    if (String(actual) !== String(expected))
      problems.push(`${what} is ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
  };
  expect('queue FifoQueue', queue.FifoQueue, 'true');
  expect('dead-letter queue FifoQueue', deadLetterQueue.FifoQueue, 'true');
  expect('queue VisibilityTimeout', queue.VisibilityTimeout, config.visibilityTimeoutSeconds);
  const redrive = JSON.parse(queue.RedrivePolicy ?? '{}') as {
    deadLetterTargetArn?: string;
    maxReceiveCount?: number;
  };
  expect('queue RedrivePolicy.deadLetterTargetArn', redrive.deadLetterTargetArn, deadLetterQueue.QueueArn);
  expect('queue RedrivePolicy.maxReceiveCount', redrive.maxReceiveCount, config.maxReceiveCount);
  const { EventSourceMappings: mappings = [] } = await new LambdaClient(target).send(
    new ListEventSourceMappingsCommand({ FunctionName: deployment.batchFunctionName }),
  );
  expect('event source mappings of the batch function', mappings.length, 1);
  expect('event source BatchSize', mappings[0]?.BatchSize, config.batchSize);
  expect(
    'event source FunctionResponseTypes',
    mappings[0]?.FunctionResponseTypes?.join(','),
    'ReportBatchItemFailures',
  );
  if (problems.length > 0) {
    throw new LocalCloudError(
      `The emulator did not apply the stack as synthesized:\n  - ${problems.join('\n  - ')}`,
    );
  }
}

/** `cdk bootstrap` and `cdk deploy` of the real app to an emulator endpoint, then read it back. */
export async function deployToEmulator(options: DeployOptions): Promise<Deployment> {
  const settings = localPipelineSettings(options.pipeline);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ENDPOINT_URL: options.endpoint,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
  };
  const context = ['-c', `pipeline=${JSON.stringify(settings)}`, '-c', `stackName=${options.stackName}`];
  // One assembly folder per stack and endpoint: two local clouds may deploy at the same time.
  const port = new URL(options.endpoint).port || 'default';
  const output = ['--output', path.join(LOCAL_DIR, `cdk.out.${options.stackName}.${port}`)];
  options.log('cdk bootstrap...');
  await cdk(['bootstrap', ...context, ...output], env, options.cliLogFile);
  options.log(`cdk deploy ${options.stackName}...`);
  await cdk(
    [
      'deploy',
      options.stackName,
      '--require-approval',
      'never',
      '--progress',
      'events',
      ...context,
      ...output,
    ],
    env,
    options.cliLogFile,
  );
  const deployment = await describeDeployment(options.stackName, {
    endpoint: options.endpoint,
    region: LOCAL_REGION,
  });
  await checkDeployed(deployment, settings, options.endpoint);
  return deployment;
}
