import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { messageOf, PipelineError } from '../../lambdas/domain/errors';
import { type Deployment, LOCAL_CREDENTIALS } from './deployment';

/**
 * The one home of an authorized API request: every tool that calls the pipeline's API (send, status,
 * windows, smoke, the dashboard, the harnesses) builds its request here, so an API key or a SigV4
 * signature is added in one place, as the deployment's `auth` says.
 */

/** What a tool needs of a deployment to call its API. */
export type ApiTarget = Pick<
  Deployment,
  'stackName' | 'apiUrl' | 'region' | 'endpoint' | 'auth' | 'apiKey' | 'producerPolicyArn'
>;

/** A request to the API as a tool means it, before authorization. */
export interface ApiRequest {
  readonly method: string;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  /**
   * Headers to send but leave out of a signature (names in any case). Only for bytes the signature
   * cannot promise to cover alike at both ends, e.g. the fuzz harness's header values beyond ASCII.
   */
  readonly unsignedHeaders?: readonly string[];
}

/** What to send: the request with its authorization headers. */
export interface AuthorizedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body?: string | Uint8Array;
}

export interface SigningOptions {
  /** Where the signing credentials come from; by default the emulator's for a local endpoint, else the SDK's default chain. */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** The signature's time (tests); now by default. */
  readonly signingDate?: Date;
}

/** The service name API Gateway's SigV4 signatures are scoped to. */
const SIGNING_SERVICE = 'execute-api';

/** The SDK's default chain (environment, SSO, profiles, web identity, container and instance roles), made once: it caches what it finds. */
let defaultChain: AwsCredentialIdentityProvider | undefined;

function credentialsFor(target: ApiTarget, options: SigningOptions) {
  if (options.credentials) return options.credentials;
  if (target.endpoint) return LOCAL_CREDENTIALS;
  defaultChain ??= defaultProvider();
  return defaultChain;
}

/** A signing request has no credentials: the default chain found none (or could not refresh them). */
export class MissingCredentialsError extends PipelineError {
  readonly code = 'MISSING_CREDENTIALS';

  constructor(stackName: string, cause: unknown) {
    super(
      `${stackName} takes SigV4-signed requests (auth iam), and no AWS credentials were found to sign ` +
        `with (${messageOf(cause)}): set AWS_PROFILE to a profile in ~/.aws/config (aws configure, or ` +
        'aws sso login), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for ' +
        'temporary ones), or run where a role provides them',
      { cause },
    );
  }
}

/** The query string as the signer takes it: repeated names keep every value. */
function queryOf(url: URL): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const name of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(name);
    query[name] = values.length === 1 ? (values[0] ?? '') : values;
  }
  return query;
}

async function sign(
  target: ApiTarget,
  request: ApiRequest,
  options: SigningOptions,
): Promise<Record<string, string>> {
  const url = new URL(request.url);
  const provider = credentialsFor(target, options);
  let credentials: AwsCredentialIdentity;
  try {
    credentials = typeof provider === 'function' ? await provider() : provider;
  } catch (error) {
    throw new MissingCredentialsError(target.stackName, error);
  }
  const signer = new SignatureV4({
    service: SIGNING_SERVICE,
    region: target.region,
    credentials,
    sha256: Sha256,
  });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: queryOf(url),
      // The signature covers the host; fetch sends this same Host header itself from the URL.
      headers: { ...request.headers, host: url.host },
      body: request.body,
    },
    {
      ...(options.signingDate ? { signingDate: options.signingDate } : {}),
      ...(request.unsignedHeaders
        ? { unsignableHeaders: new Set(request.unsignedHeaders.map((name) => name.toLowerCase())) }
        : {}),
    },
  );
  const { host: _host, ...headers } = signed.headers;
  return headers;
}

/**
 * The request as it must be sent to the deployment's API: with `auth` iam, signed with SigV4 for
 * `execute-api` in the deployment's Region (the SDK's signer and SHA-256; credentials from the default
 * chain, or the emulator's static ones for a local endpoint); with `auth` apiKey, the API key in
 * `x-api-key` when the deployment has one (a header of the caller's own of that name wins). Throws
 * MissingCredentialsError when a signature is due and no credentials can be found.
 */
export async function authorizeRequest(
  target: ApiTarget,
  request: ApiRequest,
  options: SigningOptions = {},
): Promise<AuthorizedRequest> {
  const { method, url, body } = request;
  const headers =
    target.auth === 'iam'
      ? await sign(target, request, options)
      : { ...(target.apiKey === undefined ? {} : { 'x-api-key': target.apiKey }), ...request.headers };
  return { method, url, headers, ...(body === undefined ? {} : { body }) };
}

/** Authorizes the request and sends it with `http` (fetch), passing `init`'s other fields (e.g. a signal). */
export async function sendApiRequest(
  target: ApiTarget,
  request: ApiRequest,
  http: typeof fetch = fetch,
  init: Omit<RequestInit, 'method' | 'headers' | 'body'> = {},
): Promise<Response> {
  const { url, method, headers, body } = await authorizeRequest(target, request);
  return http(url, { ...init, method, headers, ...(body === undefined ? {} : { body }) });
}

/** What a 403 to a signed request most likely means, and what to do about it. */
export const signedDenialHint = ({
  stackName,
  producerPolicyArn,
}: Pick<ApiTarget, 'stackName' | 'producerPolicyArn'>) =>
  `${stackName} takes SigV4-signed requests (auth iam): the likely cause is credentials whose role or user ` +
  "lacks the stack's producer policy; attach the managed policy its output ProducerPolicyArn names" +
  `${producerPolicyArn ? ` (${producerPolicyArn})` : ''} (docs/DEPLOYING.md, "Producers with IAM"), or check ` +
  "that the credentials are the intended account's";

/** A signed request answered 403. */
export class SignedRequestDeniedError extends PipelineError {
  readonly code = 'SIGNED_REQUEST_DENIED';

  constructor(target: Pick<ApiTarget, 'stackName' | 'producerPolicyArn'>, what: string, answer: string) {
    super(`${what} answered 403: ${answer}; ${signedDenialHint(target)}`);
  }
}

/** The error a 403 to a signed request stands for, or undefined for any other answer (or auth). */
export const signedRequestDenied = (
  target: Pick<ApiTarget, 'stackName' | 'producerPolicyArn' | 'auth'>,
  what: string,
  status: number,
  text: string,
): SignedRequestDeniedError | undefined =>
  target.auth === 'iam' && status === 403
    ? new SignedRequestDeniedError(target, what, text.trim().slice(0, 300))
    : undefined;
