import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { APIGatewayClient, GetApiKeyCommand } from '@aws-sdk/client-api-gateway';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../../cdk/local/own-cloud';
import {
  type Deployment,
  describeDeployment,
  LocalCloudNotRunningError,
  loadDeployment,
} from '../../cdk/ops/deployment';
import { ConfigError } from '../../lambdas/domain/errors';
import {
  API_KEY_ID,
  describedStack,
  LOCAL_ENDPOINT,
  PRODUCER_POLICY_ARN,
  STACK_OUTPUTS,
} from './factories.deployment';

const cloudFormationMock = mockClient(CloudFormationClient);
const apiGatewayMock = mockClient(APIGatewayClient);
const STACK = 'FifoBatchPipeline';
const API_KEY = 'the-api-key-value';
const IN_AWS = { region: 'eu-west-1' };

const dir = mkdtempSync(path.join(tmpdir(), 'deployment-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An outputs file as `npm start` writes it, for a local cloud at `endpoint`. */
function outputsFile(endpoint: string, fields: Partial<Deployment> = {}): string {
  const file = path.join(dir, `outputs-${Math.random().toString(36).slice(2)}.json`);
  const deployment: Partial<Deployment> = {
    stackName: 'FifoBatchPipeline',
    endpoint,
    apiUrl: `${endpoint}/items`,
    ...fields,
  };
  writeFileSync(file, JSON.stringify(deployment));
  return file;
}

beforeEach(() => {
  cloudFormationMock.reset();
  apiGatewayMock.reset();
  apiGatewayMock
    .on(GetApiKeyCommand, { apiKey: API_KEY_ID, includeValue: true })
    .resolves({ value: API_KEY });
});

/** DescribeStacks answers the stack with these outputs. */
const stackWith = (outputs: Readonly<Record<string, string>>) =>
  cloudFormationMock.on(DescribeStacksCommand, { StackName: STACK }).resolves(describedStack(STACK, outputs));

describe('describeDeployment', () => {
  it.each([
    {
      name: 'auth apiKey: the key, its value read from API Gateway',
      outputs: STACK_OUTPUTS.apiKey,
      front: { auth: 'apiKey', apiType: 'rest', apiKey: API_KEY, apiKeyId: API_KEY_ID },
      absent: ['producerPolicyArn'],
      keyReads: 1,
    },
    {
      name: 'auth iam: the producer policy, and no key asked for',
      outputs: STACK_OUTPUTS.iam,
      front: { auth: 'iam', apiType: 'http', producerPolicyArn: PRODUCER_POLICY_ARN },
      absent: ['apiKey', 'apiKeyId'],
      keyReads: 0,
    },
    {
      name: 'a stack deployed before the auth setting: apiKey on a REST API, with its key',
      outputs: STACK_OUTPUTS.before,
      front: { auth: 'apiKey', apiType: 'rest', apiKey: API_KEY, apiKeyId: API_KEY_ID },
      absent: ['producerPolicyArn'],
      keyReads: 1,
    },
  ])('reads $name', async ({ outputs, front, absent, keyReads }) => {
    // Prepare
    stackWith(outputs);

    // Act
    const deployment = await describeDeployment(STACK, IN_AWS);

    // Assert
    expect(deployment).toMatchObject(front);
    for (const field of absent) expect(deployment).not.toHaveProperty(field);
    expect(deployment).toMatchObject({ stackName: STACK, region: 'eu-west-1', apiUrl: outputs.ApiUrl });
    expect(apiGatewayMock.commandCalls(GetApiKeyCommand)).toHaveLength(keyReads);
  });

  it("serves a local deployment's API, of either type, under the emulator's execute-api path", async () => {
    // Prepare
    stackWith(STACK_OUTPUTS.iam);

    // Act
    const deployment = await describeDeployment(STACK, { endpoint: LOCAL_ENDPOINT, region: 'us-east-1' });

    // Assert
    expect(deployment.apiUrl).toBe(`${LOCAL_ENDPOINT}/_aws/execute-api/abc123/prod/items`);
    expect(deployment.endpoint).toBe(LOCAL_ENDPOINT);
  });

  it('refuses an Auth output it does not know, naming the stack and the output', async () => {
    // Prepare
    stackWith({ ...STACK_OUTPUTS.iam, Auth: 'cognito' });

    // Act
    const reading = describeDeployment(STACK, IN_AWS);

    // Assert
    await expect(reading).rejects.toBeInstanceOf(ConfigError);
    await expect(describeDeployment(STACK, IN_AWS)).rejects.toThrow(
      'Stack FifoBatchPipeline output Auth must be "apiKey" or "iam" (got "cognito")',
    );
  });
});

const listening = (server: Server): Promise<number> =>
  new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    }),
  );

describe('loadDeployment from the local outputs file', () => {
  it('reads the deployment when its local cloud answers', async () => {
    // Prepare: anything that answers HTTP counts as running
    const server = createServer((_request, response) => response.writeHead(404).end());
    const port = await listening(server);
    const file = outputsFile(`http://127.0.0.1:${port}`);

    // Act
    const deployment = await loadDeployment({ outputsFile: file }).finally(() => server.close());

    // Assert
    expect(deployment.apiUrl).toBe(`http://127.0.0.1:${port}/items`);
  });

  it('reads an outputs file written before the auth setting as apiKey on a REST API', async () => {
    // Prepare
    const server = createServer((_request, response) => response.writeHead(404).end());
    const port = await listening(server);
    const file = outputsFile(`http://127.0.0.1:${port}`, { apiKey: 'k-1' });

    // Act
    const deployment = await loadDeployment({ outputsFile: file }).finally(() => server.close());

    // Assert
    expect(deployment).toMatchObject({ auth: 'apiKey', apiType: 'rest', apiKey: 'k-1' });
  });

  it('says the local cloud is not running, and how to start it, when nothing answers', async () => {
    // Prepare
    const endpoint = `http://127.0.0.1:${await freePort()}`;

    // Act
    const loading = loadDeployment({ outputsFile: outputsFile(endpoint) });

    // Assert
    await expect(loading).rejects.toBeInstanceOf(LocalCloudNotRunningError);
    await expect(loadDeployment({ outputsFile: outputsFile(endpoint) })).rejects.toThrow(
      `The local cloud at ${endpoint} is not running`,
    );
    await expect(loadDeployment({ outputsFile: outputsFile(endpoint) })).rejects.toThrow('npm start');
  });
});
