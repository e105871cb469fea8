import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { APIGatewayClient, GetApiKeyCommand } from '@aws-sdk/client-api-gateway';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Analysis } from '../../lambdas/domain/analyses';
import { type ApiType, type Auth, checkApiType, checkAuth } from '../../lambdas/domain/settings';
import { DEFAULT_STACK_NAME, LOCAL_DIR } from '../project';

/** What a tool needs to find a running deployment (`.local/outputs.json`, or a stack's outputs). */
export interface Deployment {
  readonly stackName: string;
  /** The emulator endpoint; absent for a real AWS deployment. */
  readonly endpoint?: string;
  readonly region: string;
  /** The items URL (`POST /items`); the API's other paths are on the same stage. */
  readonly apiUrl: string;
  /** How producers authenticate: the API key in `x-api-key`, or a SigV4 signature (IAM). */
  readonly auth: Auth;
  readonly apiType: ApiType;
  /** The usage plan's API key: only when the stack has one (`auth` apiKey on a REST API). */
  readonly apiKey?: string;
  readonly apiKeyId?: string;
  /** The managed policy that grants a producer the API's routes: only with `auth` iam. */
  readonly producerPolicyArn?: string;
  readonly apiId: string;
  readonly bucketName: string;
  /** The dispatcher (SNS FIFO topic) ingest publishes every item to. */
  readonly topicArn: string;
  /** The storage path's item queue, subscribed to the dispatcher. */
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  /** Where the dispatcher parks what it could not deliver to a subscribed queue. */
  readonly undeliveredQueueUrl: string;
  readonly ingestFunctionName: string;
  readonly batchFunctionName: string;
  /** The request ledger's table; absent for deployments made before the ledger. */
  readonly ledgerTableName?: string;
  /** The registered analyses, each with its own queues and consumer function. */
  readonly analyses: readonly DeployedAnalysis[];
  readonly windowCloserFunctionName: string;
}

/** An analysis as deployed: its definition, its queues and its consumer function. */
export interface DeployedAnalysis extends Analysis {
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly functionName: string;
}

/** `PIPELINE_OUTPUTS` points the tools at another local deployment (e.g. a second cloud on another port). */
export const OUTPUTS_FILE = process.env.PIPELINE_OUTPUTS ?? path.join(LOCAL_DIR, 'outputs.json');

/** Static credentials the emulators accept; never used against AWS. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
export const LOCAL_REGION = 'us-east-1';

export interface ClientConfig {
  region: string;
  endpoint?: string;
  credentials?: typeof LOCAL_CREDENTIALS;
  forcePathStyle?: boolean;
}

export const clientConfig = (target: { endpoint?: string; region: string }): ClientConfig =>
  target.endpoint
    ? {
        region: target.region,
        endpoint: target.endpoint,
        credentials: LOCAL_CREDENTIALS,
        forcePathStyle: true,
      }
    : { region: target.region };

export interface Clients {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
}

export const clientsFor = (deployment: Deployment): Clients => {
  const config = clientConfig(deployment);
  // Emulators answer with queue URLs on `localhost`; keep talking to the endpoint we were given.
  return {
    s3: new S3Client(config),
    sqs: new SQSClient({ ...config, useQueueUrlAsEndpoint: !config.endpoint }),
  };
};

/** How stacks and outputs files from before the `auth` and `apiType` settings are read: what they all were. */
const BEFORE_AUTH_SETTINGS = { auth: 'apiKey', apiType: 'rest' } as const satisfies Pick<
  Deployment,
  'auth' | 'apiType'
>;

export function writeDeployment(deployment: Deployment, file = OUTPUTS_FILE): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(deployment, null, 2)}\n`);
}

/** Stack outputs, plus the API key's value when the stack has a key, as a Deployment. */
export async function describeDeployment(
  stackName: string,
  target: { endpoint?: string; region: string },
): Promise<Deployment> {
  const config = clientConfig(target);
  const { Stacks } = await new CloudFormationClient(config).send(
    new DescribeStacksCommand({ StackName: stackName }),
  );
  const outputs = Object.fromEntries(
    (Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue ?? '']),
  );
  const output = (name: string): string => {
    const value = outputs[name];
    if (!value)
      throw new Error(`Stack ${stackName} has no output ${name}: is it deployed from this version?`);
    return value;
  };
  const { ApiKeyId: apiKeyId, ProducerPolicyArn: producerPolicyArn } = outputs;
  const apiKeyValue = async (id: string) =>
    (await new APIGatewayClient(config).send(new GetApiKeyCommand({ apiKey: id, includeValue: true })))
      .value ?? '';
  const apiId = output('ApiId');
  return {
    stackName,
    ...(target.endpoint ? { endpoint: target.endpoint } : {}),
    region: target.region,
    auth: outputs.Auth
      ? checkAuth(`Stack ${stackName} output Auth`, outputs.Auth)
      : BEFORE_AUTH_SETTINGS.auth,
    apiType: outputs.ApiType
      ? checkApiType(`Stack ${stackName} output ApiType`, outputs.ApiType)
      : BEFORE_AUTH_SETTINGS.apiType,
    // Only a stack with a key has ApiKeyId (auth apiKey on a REST API); an IAM or keyless stack is not asked.
    ...(apiKeyId ? { apiKey: await apiKeyValue(apiKeyId), apiKeyId } : {}),
    ...(producerPolicyArn ? { producerPolicyArn } : {}),
    // An emulator serves the stage under its own path; on AWS the stack output is the real URL.
    apiUrl: target.endpoint
      ? `${target.endpoint}/_aws/execute-api/${apiId}/${output('StageName')}/items`
      : output('ApiUrl'),
    apiId,
    bucketName: output('BucketName'),
    topicArn: output('TopicArn'),
    queueUrl: output('QueueUrl'),
    deadLetterQueueUrl: output('DeadLetterQueueUrl'),
    undeliveredQueueUrl: output('UndeliveredQueueUrl'),
    ingestFunctionName: output('IngestFunctionName'),
    batchFunctionName: output('BatchFunctionName'),
    // Stacks deployed before the ledger have no table: the tools then leave the ledger alone.
    ...(outputs.LedgerTableName ? { ledgerTableName: outputs.LedgerTableName } : {}),
    analyses: JSON.parse(output('Analyses')) as DeployedAnalysis[],
    windowCloserFunctionName: output('WindowCloserFunctionName'),
  };
}

/** `.local/outputs.json` names a local cloud that no longer answers: it was stopped. */
export class LocalCloudNotRunningError extends Error {
  readonly code = 'LOCAL_CLOUD_NOT_RUNNING';
  constructor(endpoint: string, outputsFile: string) {
    super(
      `The local cloud at ${endpoint} is not running (${path.relative(process.cwd(), outputsFile)} is from an ` +
        'earlier npm start): start it with npm start, or pass --stack NAME for a stack in AWS',
    );
    this.name = 'LocalCloudNotRunningError';
  }
}

/** Whether anything answers HTTP at the endpoint; any answer counts, a refused connection does not. */
async function isReachable(endpoint: string): Promise<boolean> {
  try {
    await fetch(endpoint, { signal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
}

/**
 * The deployment the tools act on: `.local/outputs.json` (written by `npm start`), or, with
 * `--stack NAME` or no local file, the CloudFormation stack in your AWS account (or at
 * AWS_ENDPOINT_URL when set).
 */
export async function loadDeployment(
  args: { stack?: string; outputsFile?: string } = {},
): Promise<Deployment> {
  const outputsFile = args.outputsFile ?? OUTPUTS_FILE;
  if (!args.stack && existsSync(outputsFile)) {
    const deployment: Deployment = {
      ...BEFORE_AUTH_SETTINGS,
      ...(JSON.parse(readFileSync(outputsFile, 'utf8')) as Partial<Deployment>),
    } as Deployment;
    if (deployment.endpoint && !(await isReachable(deployment.endpoint))) {
      throw new LocalCloudNotRunningError(deployment.endpoint, outputsFile);
    }
    return deployment;
  }
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region)
    throw new Error(
      `No ${path.relative(process.cwd(), OUTPUTS_FILE)} and no AWS_REGION: run npm start, or set AWS_REGION`,
    );
  const endpoint = process.env.AWS_ENDPOINT_URL;
  return describeDeployment(args.stack ?? DEFAULT_STACK_NAME, endpoint ? { endpoint, region } : { region });
}
