import { beforeAll, describe, expect, it } from 'vitest';
import { deployToEmulator } from '../../cdk/local/deploy';
import type { Deployment } from '../../cdk/ops/deployment';
import { postItems } from '../../cdk/ops/pipeline-client';
import { waitForRequest } from '../../cdk/ops/status-client';
import { LOCAL_DIR } from '../../cdk/project';
import { deployment } from './support';

/**
 * A stack deployed with `{"auth":"iam"}` beside the tests' own, on the same local cloud, called the
 * way the tools call it: every request signed with SigV4 (api-request.ts).
 *
 * What this proves, and what it cannot: MiniStack (1.5.33, services/apigateway_v1.py
 * `_authorize_request_v1` and `_iam_caller_identity`) rejects an AWS_IAM method's request that has no
 * Authorization header, and otherwise only reads the access key out of it to fill the caller identity:
 * it never checks the signature, nor any IAM policy. So here a signed request is accepted and an
 * unsigned one refused; that the signature itself is right rests on the SDK's signer (and its unit
 * tests), and the producer policy's grants on AWS.
 */
const IAM_STACK = 'FifoBatchPipelineE2eIam';

let signed: Deployment;

beforeAll(async () => {
  signed = await deployToEmulator({
    endpoint: deployment.endpoint ?? '',
    stackName: IAM_STACK,
    pipeline: { auth: 'iam' },
    log: (message) => console.error(`[signed-request] ${message}`),
    cliLogFile: `${LOCAL_DIR}/e2e-${IAM_STACK}-cdk.log`,
  });
});

describe('a stack with auth iam', () => {
  it('says so in its outputs, with its producer policy and no API key', () => {
    // Assert
    expect(signed.auth).toBe('iam');
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
