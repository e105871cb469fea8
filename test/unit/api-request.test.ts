import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type ApiRequest,
  authorizeRequest,
  MissingCredentialsError,
  SignedRequestDeniedError,
  sendApiRequest,
  signedRequestDenied,
} from '../../cdk/ops/api-request';
import {
  AWS_STAGE,
  awsIamApi,
  LOCAL_STAGE,
  localApi,
  PRODUCER_POLICY_ARN,
  stubEnvironmentCredentials,
} from './factories.deployment';

const SIGNING_DATE = new Date('2026-11-23T10:42:05Z');
const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const SIGNED = { credentials: CREDENTIALS, signingDate: SIGNING_DATE };

const post = (fields: Partial<ApiRequest> = {}): ApiRequest => ({
  method: 'POST',
  url: `${AWS_STAGE}/items`,
  headers: { 'content-type': 'application/json' },
  body: '[1,2,3,4]',
  ...fields,
});

const get = (url: string): ApiRequest => ({ method: 'GET', url });

/** `authorization`'s three parts, e.g. `{ Credential: 'AKID/20261123/...', SignedHeaders, Signature }`. */
function authorizationParts(headers: Record<string, string>): Record<string, string> {
  const match = /^AWS4-HMAC-SHA256 (.*)$/.exec(headers.authorization ?? '');
  return Object.fromEntries(
    (match?.[1] ?? '').split(', ').map((part) => part.split('=') as [string, string]),
  );
}

const signatureOf = async (request: ApiRequest): Promise<string | undefined> =>
  authorizationParts((await authorizeRequest(awsIamApi(), request, SIGNED)).headers).Signature;

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('authorizeRequest with auth apiKey', () => {
  it.each<{
    name: string;
    target: ReturnType<typeof localApi>;
    headers: Record<string, string>;
    sent: Record<string, string>;
  }>([
    {
      name: 'adds only the API key to the caller headers',
      target: localApi({ apiKey: 'k-1' }),
      headers: { 'content-type': 'application/json' },
      sent: { 'content-type': 'application/json', 'x-api-key': 'k-1' },
    },
    {
      name: "keeps the caller's own x-api-key (a test of a wrong key)",
      target: localApi({ apiKey: 'k-1' }),
      headers: { 'x-api-key': 'not-the-key' },
      sent: { 'x-api-key': 'not-the-key' },
    },
    {
      name: 'adds nothing for a deployment without a key (apiKeyRequired false)',
      target: localApi({ apiKey: undefined }),
      headers: { 'content-type': 'application/json' },
      sent: { 'content-type': 'application/json' },
    },
  ])('$name', async ({ target, headers, sent }) => {
    // Act
    const request = await authorizeRequest(target, post({ headers }));

    // Assert
    expect(request).toEqual({ method: 'POST', url: `${AWS_STAGE}/items`, headers: sent, body: '[1,2,3,4]' });
  });
});

describe('authorizeRequest with auth iam', () => {
  it('signs with SigV4 for execute-api in the deployment Region, and sends no API key', async () => {
    // Act
    const { headers, body, url } = await authorizeRequest(awsIamApi({ apiKey: 'left-over' }), post(), SIGNED);

    // Assert
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20261123\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/,
    );
    expect(authorizationParts(headers).SignedHeaders).toBe(
      'content-type;host;x-amz-content-sha256;x-amz-date',
    );
    expect(headers['x-amz-date']).toBe('20261123T104205Z');
    expect(headers['content-type']).toBe('application/json');
    expect(headers).not.toHaveProperty('x-api-key');
    expect(headers).not.toHaveProperty('x-amz-security-token');
    // fetch sends the host itself, from the URL the signature covered.
    expect(headers).not.toHaveProperty('host');
    expect([url, body]).toEqual([`${AWS_STAGE}/items`, '[1,2,3,4]']);
  });

  it('sends and signs the session token of temporary credentials', async () => {
    // Act
    const { headers } = await authorizeRequest(awsIamApi(), post(), {
      ...SIGNED,
      credentials: { ...CREDENTIALS, sessionToken: 'the-session-token' },
    });

    // Assert
    expect(headers['x-amz-security-token']).toBe('the-session-token');
    expect(authorizationParts(headers).SignedHeaders).toContain('x-amz-security-token');
  });

  it.each([
    { name: 'the body', original: post(), changed: post({ body: '[1,2,3,5]' }) },
    {
      name: 'the query string',
      original: get(`${AWS_STAGE}/analyses/items-60s/windows?from=2026-11-23T10:00:00Z`),
      changed: get(`${AWS_STAGE}/analyses/items-60s/windows?from=2026-11-23T10:01:00Z`),
    },
    {
      name: 'a header',
      original: post(),
      changed: post({ headers: { 'content-type': 'application/json; charset=utf-8' } }),
    },
  ])('covers $name: changing it changes the signature', async ({ original, changed }) => {
    // Act
    const [first, again, other] = await Promise.all([
      signatureOf(original),
      signatureOf(original),
      signatureOf(changed),
    ]);

    // Assert: the same request signs alike, so the change alone made the difference.
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(again).toBe(first);
    expect(other).not.toBe(first);
  });

  it('leaves the unsigned headers out of the signature but sends them', async () => {
    // Act
    const { headers } = await authorizeRequest(
      awsIamApi(),
      post({
        headers: { 'Content-Type': 'text/plain', 'idempotency-key': 'k' },
        unsignedHeaders: ['content-type', 'Idempotency-Key'],
      }),
      SIGNED,
    );

    // Assert
    expect(authorizationParts(headers).SignedHeaders).toBe('host;x-amz-content-sha256;x-amz-date');
    expect(headers).toMatchObject({ 'Content-Type': 'text/plain', 'idempotency-key': 'k' });
  });

  it("signs for a local endpoint with the emulator's static credentials, whatever the machine has", async () => {
    // Prepare
    stubEnvironmentCredentials({ accessKeyId: 'AKIDMACHINE', secretAccessKey: 'machine' });

    // Act
    const { headers } = await authorizeRequest(
      localApi({ auth: 'iam', apiKey: undefined }),
      post({ url: `${LOCAL_STAGE}/items` }),
    );

    // Assert
    expect(authorizationParts(headers).Credential).toMatch(
      /^test\/\d{8}\/us-east-1\/execute-api\/aws4_request$/,
    );
  });

  it("signs with the SDK's default chain for a deployment in AWS", async () => {
    // Prepare: the chain's first provider reads the environment.
    stubEnvironmentCredentials({
      accessKeyId: 'AKIDFROMCHAIN',
      secretAccessKey: 'chain',
      sessionToken: 'chain-token',
    });

    // Act
    const { headers } = await authorizeRequest(awsIamApi(), post());

    // Assert
    expect(authorizationParts(headers).Credential).toMatch(/^AKIDFROMCHAIN\//);
    expect(headers['x-amz-security-token']).toBe('chain-token');
  });

  it('says how to set credentials when none can be found', async () => {
    // Prepare: what the default chain throws when every provider came up empty.
    const cause = new Error('Could not load credentials from any providers');

    // Act
    const signing = authorizeRequest(awsIamApi({ stackName: 'Prod' }), post(), {
      credentials: () => Promise.reject(cause),
    });

    // Assert
    const error = await signing.catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(MissingCredentialsError);
    expect(error).toMatchObject({ code: 'MISSING_CREDENTIALS', cause });
    expect((error as Error).message).toMatch(
      /^Prod takes SigV4-signed requests \(auth iam\), and no AWS credentials were found to sign with \(Could not load credentials from any providers\): set AWS_PROFILE/,
    );
    expect((error as Error).message).toContain('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
  });
});

describe('sendApiRequest', () => {
  it('sends the authorized request with the other fields of init', async () => {
    // Prepare
    const http = vi.fn<typeof fetch>(async () => new Response('{}', { status: 202 }));
    const signal = AbortSignal.timeout(1_000);

    // Act
    const response = await sendApiRequest(localApi(), post({ url: `${LOCAL_STAGE}/items` }), http, {
      signal,
    });

    // Assert
    expect(response.status).toBe(202);
    expect(http.mock.calls).toEqual([
      [
        `${LOCAL_STAGE}/items`,
        {
          signal,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': 'k-1' },
          body: '[1,2,3,4]',
        },
      ],
    ]);
  });
});

describe('signedRequestDenied', () => {
  it('names the stack output ProducerPolicyArn and its value for a 403 to a signed request', () => {
    // Act
    const error = signedRequestDenied(awsIamApi(), 'GET /analyses', 403, '{"message":"Forbidden"}\n');

    // Assert
    expect(error).toBeInstanceOf(SignedRequestDeniedError);
    expect(error?.code).toBe('SIGNED_REQUEST_DENIED');
    expect(error?.message).toBe(
      'GET /analyses answered 403: {"message":"Forbidden"}; FifoBatchPipeline takes SigV4-signed requests ' +
        "(auth iam): the likely cause is credentials whose role or user lacks the stack's producer policy; " +
        `attach the managed policy its output ProducerPolicyArn names (${PRODUCER_POLICY_ARN}) ` +
        `(docs/DEPLOYING.md, "Producers with IAM"), or check that the credentials are the intended account's`,
    );
  });

  it.each([
    { name: 'a 403 with an API key', target: localApi(), status: 403 },
    { name: 'another status to a signed request', target: awsIamApi(), status: 404 },
  ])('is undefined for $name', ({ target, status }) => {
    // Act / Assert
    expect(signedRequestDenied(target, 'GET /analyses', status, '{}')).toBeUndefined();
  });
});
