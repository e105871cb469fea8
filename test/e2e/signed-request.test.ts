import { beforeAll, describe, expect, it } from 'vitest';
import { deployToEmulator } from '../../cdk/local/deploy';
import type { Deployment } from '../../cdk/ops/deployment';
import { postItems } from '../../cdk/ops/pipeline-client';
import { waitForRequest } from '../../cdk/ops/status-client';
import { LOCAL_DIR } from '../../cdk/project';
import { deployment } from './support';

/**
 * Stacks deployed with `{"auth":"iam"}` (a REST API and an HTTP API) beside the tests' own, on the same local cloud, called the
 * way the tools call it: every request signed with SigV4 (api-request.ts).
 *
 * What this proves, and what it cannot: MiniStack (1.5.33, services/apigateway_v1.py
 * `_authorize_request_v1` and `_iam_caller_identity`) rejects an AWS_IAM method's request that has no
 * Authorization header, and otherwise only reads the access key out of it to fill the caller identity:
 * it never checks the signature, nor any IAM policy. So here a signed request is accepted and an
 * unsigned one refused; that the signature itself is right rests on the SDK's signer (and its unit
 * tests), and the producer policy's grants on AWS.
 */
/** The two API types, each with IAM auth, in a stack of its own. */
describe.each([
  { apiType: 'rest', stackName: 'FifoBatchPipelineE2eIam' },
  { apiType: 'http', stackName: 'FifoBatchPipelineE2eIamHttp' },
] as const)('a stack with auth iam on a $apiType API', ({ apiType, stackName }) => {
  let signed: Deployment;

  beforeAll(async () => {
    signed = await deployToEmulator({
      endpoint: deployment.endpoint ?? '',
      stackName,
      pipeline: { auth: 'iam', apiType },
      log: (message) => console.error(`[signed-request] ${message}`),
      cliLogFile: `${LOCAL_DIR}/e2e-${stackName}-cdk.log`,
    });
  });

  it('says so in its outputs, with its producer policy and no API key', () => {
    // Assert
    expect(signed).toMatchObject({ auth: 'iam', apiType });
    expect(signed.producerPolicyArn).toMatch(/^arn:aws:iam::\d{12}:policy\//);
    expect(signed).not.toHaveProperty('apiKey');
  });

  it('accepts a signed POST and answers its status to a signed GET', async () => {
    // Act
    const answer = await postItems(signed, '[7,8]');
    const { requestId } = answer.json as { requestId: string };
    const status = await waitForRequest(signed, requestId, { timeoutMs: 60_000 });

    // Assert
    expect(answer.status).toBe(202);
    expect(answer.json).toMatchObject({ requestId: expect.any(String), accepted: 2 });
    expect(status).toMatchObject({ requestId, status: 'stored', accepted: 2, stored: 2 });
  });

  it('refuses an unsigned POST with 403', async () => {
    // Act: the request as a client without credentials sends it.
    const response = await fetch(signed.apiUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '[7,8]',
    });

    // Assert
    expect(response.status).toBe(403);
  });
});
