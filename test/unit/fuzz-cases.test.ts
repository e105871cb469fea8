import { afterEach, describe, expect, it, vi } from 'vitest';
import { RequestRejectedError } from '../../lambdas/domain/errors';
import { parseItemsRequest } from '../../lambdas/domain/request';
import {
  API_KEY_CODES,
  CATEGORIES,
  checkResponse,
  type FuzzCase,
  fuzzCases,
  fuzzRequest,
} from '../harness/fuzz-cases';
import { awsIamApi, localApi, stubEnvironmentCredentials } from './factories.deployment';
import { DEFAULT_LIMITS } from './factories.ingest';

const SEEDS = [1, 42, 20_261_123];
const CASES_PER_SEED = 2000;
const REAL_KEY = 'the-real-api-key';
const KEYED = localApi({ apiKey: REAL_KEY });
/** Signed with fixed credentials, so no test reaches for the machine's own. */
const SIGNED = awsIamApi();
const CREDENTIALS = { accessKeyId: 'AKIDFUZZ', secretAccessKey: 'secret' };

/** What the ingest function's validator makes of a case: its rejection, or `accepted`. */
function verdictOf(fuzzCase: FuzzCase): RequestRejectedError | 'accepted' {
  try {
    parseItemsRequest(
      { headers: fuzzCase.headers, body: fuzzCase.body, isBase64Encoded: false },
      DEFAULT_LIMITS,
    );
    return 'accepted';
  } catch (error) {
    if (error instanceof RequestRejectedError) return error;
    throw error;
  }
}

/** How a verdict differs from what the case expects, or undefined when it matches. */
function differenceOf(fuzzCase: FuzzCase, verdict: RequestRejectedError | 'accepted'): string | undefined {
  if (verdict === 'accepted') return 'accepted';
  const { status, code, index } = verdict;
  if (status !== fuzzCase.expectedStatus || !fuzzCase.expectedCodes.includes(code))
    return `${status} ${code}`;
  if (code === 'INVALID_ITEM' && index !== fuzzCase.index) return `INVALID_ITEM at ${index}`;
  return undefined;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

const invalidItemAt3: FuzzCase = {
  category: 'mixed-array',
  variant: 'bad float',
  body: '[1,2,3,1.5]',
  headers: JSON_HEADERS,
  expectedStatus: 400,
  expectedCodes: ['INVALID_ITEM'],
  index: 3,
};

const missingApiKey: FuzzCase = {
  category: 'api-key',
  variant: 'missing',
  body: '[1]',
  headers: JSON_HEADERS,
  expectedStatus: 403,
  expectedCodes: API_KEY_CODES,
};

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('fuzzCases', () => {
  it.each(SEEDS)(
    'seed %i: the validator rejects every case but the API-key ones with its expected status, code and index',
    (seed) => {
      // Prepare
      const cases = fuzzCases(CASES_PER_SEED, seed).filter((fuzzCase) => fuzzCase.expectedStatus !== 403);

      // Act
      const differences = cases.flatMap((fuzzCase) => {
        const difference = differenceOf(fuzzCase, verdictOf(fuzzCase));
        return difference === undefined
          ? []
          : [`${fuzzCase.category} / ${fuzzCase.variant}: ${difference}, expected ${fuzzCase.expectedCodes}`];
      });

      // Assert
      expect(cases.length).toBeGreaterThan(CASES_PER_SEED * 0.9);
      expect(differences).toEqual([]);
    },
  );

  it.each(SEEDS)(
    'seed %i: the API-key cases are valid requests but for their missing or wrong key',
    async (seed) => {
      // Prepare
      const cases = fuzzCases(CASES_PER_SEED, seed).filter((fuzzCase) => fuzzCase.category === 'api-key');

      // Act
      const verdicts = cases.map(verdictOf);
      const sentKeys = await Promise.all(
        cases.map(async (fuzzCase) => (await fuzzRequest(KEYED, fuzzCase)).headers['x-api-key']),
      );

      // Assert
      expect(cases.length).toBeGreaterThan(0);
      expect(new Set(verdicts)).toEqual(new Set(['accepted']));
      expect(sentKeys).not.toContain(REAL_KEY);
      expect(cases.every((fuzzCase) => fuzzCase.expectedStatus === 403)).toBe(true);
    },
  );

  it('covers every category in rotation, case i being of CATEGORIES[i % 15]', () => {
    // Act
    const categories = fuzzCases(CATEGORIES.length * 3, 7).map((fuzzCase) => fuzzCase.category);

    // Assert
    expect(categories).toEqual([...CATEGORIES, ...CATEGORIES, ...CATEGORIES]);
  });

  it('generates the same cases for the same seed and other cases for another seed', () => {
    // Act
    const first = fuzzCases(300, 42);
    const again = fuzzCases(300, 42);
    const other = fuzzCases(300, 43);

    // Assert
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
  });

  it.each([0, 1, 14, 16])('generates exactly the %i cases asked for', (count) => {
    // Act
    const cases = fuzzCases(count, 1);

    // Assert
    expect(cases).toHaveLength(count);
  });
});

describe('fuzzRequest', () => {
  it("adds the deployment's key to a case that is not about the key", async () => {
    // Act
    const request = await fuzzRequest(KEYED, invalidItemAt3);

    // Assert
    expect(request).toMatchObject({ method: 'POST', url: KEYED.apiUrl });
    expect(request.headers).toEqual({ 'content-type': 'application/json', 'x-api-key': REAL_KEY });
    expect(Buffer.from(request.body ?? '').toString()).toBe('[1,2,3,1.5]');
  });

  it.each([
    { name: 'with an API key', target: KEYED },
    { name: 'signed (auth iam)', target: SIGNED },
  ])('sends an API-key case as it is, without authorization, $name', async ({ target }) => {
    // Act
    const request = await fuzzRequest(target, missingApiKey);

    // Assert
    expect(request.headers).toEqual({ 'content-type': 'application/json' });
  });

  it("signs a case that is not about the key with auth iam, leaving the case's own headers out of the signature", async () => {
    // Prepare
    stubEnvironmentCredentials(CREDENTIALS);

    // Act
    const request = await fuzzRequest(SIGNED, invalidItemAt3);

    // Assert
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDFUZZ\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    expect(request.headers).not.toHaveProperty('x-api-key');
  });

  it('sends header values as their UTF-8 bytes, since fetch writes them as Latin-1', async () => {
    // Prepare
    const unicodeKey: FuzzCase = {
      ...invalidItemAt3,
      headers: { ...JSON_HEADERS, 'idempotency-key': 'a日' },
    };

    // Act
    const { headers } = await fuzzRequest(KEYED, unicodeKey);

    // Assert
    expect(Buffer.from(headers['idempotency-key'] ?? '', 'latin1')).toEqual(Buffer.from('a日', 'utf8'));
  });
});

describe('checkResponse', () => {
  it.each([
    {
      name: 'accepts a 400 INVALID_ITEM naming the expected index',
      fuzzCase: invalidItemAt3,
      status: 400,
      body: '{"error":{"code":"INVALID_ITEM","message":"Item 3 must be a safe integer, not 1.5","index":3}}',
      problem: undefined,
    },
    {
      name: "accepts the gateway's 403 with one of the API key codes",
      fuzzCase: missingApiKey,
      status: 403,
      body: '{"error":{"code":"INVALID_API_KEY","message":"Forbidden"}}',
      problem: undefined,
    },
    {
      name: 'reports the expected status with a wrong code',
      fuzzCase: invalidItemAt3,
      status: 400,
      body: '{"error":{"code":"MALFORMED_JSON","message":"Body is not valid JSON"}}',
      problem: 'code MALFORMED_JSON, expected 400 INVALID_ITEM',
    },
    {
      name: 'reports INVALID_ITEM naming another index',
      fuzzCase: invalidItemAt3,
      status: 400,
      body: '{"error":{"code":"INVALID_ITEM","message":"Item 2 must be a safe integer","index":2}}',
      problem: 'INVALID_ITEM index 2, expected 3',
    },
    {
      name: 'reports a 5xx',
      fuzzCase: invalidItemAt3,
      status: 502,
      body: '{"message": "Internal server error"}',
      problem: 'status 502 "{\\"message\\": \\"Internal server error\\"}", expected 400 INVALID_ITEM',
    },
    {
      name: 'reports a body that is not JSON',
      fuzzCase: invalidItemAt3,
      status: 400,
      body: 'Bad Request',
      problem: 'body is not JSON: "Bad Request"',
    },
    {
      name: 'reports a 202',
      fuzzCase: invalidItemAt3,
      status: 202,
      body: '{"requestId":"r-1","accepted":4}',
      problem: 'status 202 "{\\"requestId\\":\\"r-1\\",\\"accepted\\":4}", expected 400 INVALID_ITEM',
    },
    {
      name: 'reports an error without a message',
      fuzzCase: invalidItemAt3,
      status: 400,
      body: '{"error":{"code":"INVALID_ITEM","index":3}}',
      problem:
        'body is not {"error":{"code","message"}}: "{\\"error\\":{\\"code\\":\\"INVALID_ITEM\\",\\"index\\":3}}"',
    },
  ])('$name', ({ fuzzCase, status, body, problem }) => {
    // Act
    const found = checkResponse(fuzzCase, status, body);

    // Assert
    expect(found).toBe(problem);
  });
});
