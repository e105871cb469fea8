import type { DescribeStacksCommandOutput } from '@aws-sdk/client-cloudformation';
import { vi } from 'vitest';
import type { ApiTarget } from '../../cdk/ops/api-request';

/** Deployments as the tools see them: what calls the API, and the stack outputs they are read from. */

export const LOCAL_ENDPOINT = 'http://127.0.0.1:4566';
export const LOCAL_STAGE = `${LOCAL_ENDPOINT}/_aws/execute-api/abc/prod`;
export const AWS_STAGE = 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod';
export const PRODUCER_POLICY_ARN = 'arn:aws:iam::123456789012:policy/FifoBatchPipeline-producer';

/** A local deployment's API with an API key (`npm start`'s default), unless `fields` say otherwise. */
export const localApi = (fields: Partial<ApiTarget> = {}): ApiTarget => ({
  stackName: 'FifoBatchPipeline',
  endpoint: LOCAL_ENDPOINT,
  region: 'us-east-1',
  apiUrl: `${LOCAL_STAGE}/items`,
  auth: 'apiKey',
  apiKey: 'k-1',
  ...fields,
});

/** A deployment's API in an AWS account (no endpoint) that takes SigV4-signed requests. */
export const awsIamApi = (fields: Partial<ApiTarget> = {}): ApiTarget => ({
  stackName: 'FifoBatchPipeline',
  region: 'eu-west-1',
  apiUrl: `${AWS_STAGE}/items`,
  auth: 'iam',
  producerPolicyArn: PRODUCER_POLICY_ARN,
  ...fields,
});

/** The outputs every version of the stack has. */
const COMMON_OUTPUTS = {
  ApiUrl: `${AWS_STAGE}/items`,
  ApiId: 'abc123',
  StageName: 'prod',
  BucketName: 'results-bucket',
  TopicArn: 'arn:aws:sns:eu-west-1:123456789012:items.fifo',
  QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/items.fifo',
  DeadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/items-dlq.fifo',
  UndeliveredQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/undelivered.fifo',
  Analyses: '[]',
  WindowCloserFunctionName: 'closer',
  IngestFunctionName: 'ingest',
  BatchFunctionName: 'batch',
};

/** The API key's id in the outputs of a stack that has a key. */
export const API_KEY_ID = 'key-id';

/**
 * A stack's outputs by how its front door is set: `apiKey` and `iam` as the stack writes them now,
 * `before` as a stack deployed before the `auth` setting (a key, no Auth or ApiType output).
 */
export const STACK_OUTPUTS = {
  apiKey: { ...COMMON_OUTPUTS, Auth: 'apiKey', ApiType: 'rest', ApiKeyId: API_KEY_ID },
  iam: { ...COMMON_OUTPUTS, Auth: 'iam', ApiType: 'http', ProducerPolicyArn: PRODUCER_POLICY_ARN },
  before: { ...COMMON_OUTPUTS, ApiKeyId: API_KEY_ID },
} as const satisfies Record<string, Readonly<Record<string, string>>>;

/** DescribeStacks' answer for one stack with these outputs. */
export const describedStack = (
  stackName: string,
  outputs: Readonly<Record<string, string>>,
): Partial<DescribeStacksCommandOutput> => ({
  Stacks: [
    {
      StackName: stackName,
      CreationTime: new Date('2026-11-23T10:00:00Z'),
      StackStatus: 'CREATE_COMPLETE',
      Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
    },
  ],
});

/**
 * Credentials for the SDK's default chain to find first (its environment provider), and only these:
 * a session token of the machine's own would join the signature. Undo with `vi.unstubAllEnvs()`.
 */
export function stubEnvironmentCredentials(credentials: {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}): void {
  vi.stubEnv('AWS_ACCESS_KEY_ID', credentials.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', credentials.secretAccessKey);
  vi.stubEnv('AWS_SESSION_TOKEN', credentials.sessionToken);
  vi.stubEnv('AWS_CREDENTIAL_EXPIRATION', undefined);
}
