import { APIGatewayClient, GetApiKeyCommand } from '@aws-sdk/client-api-gateway';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StoredObject } from '../../cdk/ops/bucket';
import { UsageError } from '../../cdk/ops/cli-options';
import { clientsFor, type Deployment, loadDeployment } from '../../cdk/ops/deployment';
import { formatVerdict, runSmoke, type SmokeOptions, smokeOptions } from '../../cdk/ops/smoke-run';
import { minuteLabel, minutePath } from '../../lambdas/domain/keys';
import type { ResultsObject } from '../../lambdas/domain/stored-objects';
import {
  API_KEY_ID,
  describedStack,
  STACK_OUTPUTS,
  stubEnvironmentCredentials,
} from './factories.deployment';
import { rejectionOf, thrownBy } from './factories.ingest';

const cloudFormationMock = mockClient(CloudFormationClient);
const apiGatewayMock = mockClient(APIGatewayClient);
const s3Mock = mockClient(S3Client);
const lambdaMock = mockClient(LambdaClient);

const STACK = 'FifoBatchPipeline';
const API_URL = STACK_OUTPUTS.apiKey.ApiUrl;
const API_KEY = 'the-api-key-value';
const BUCKET = STACK_OUTPUTS.apiKey.BucketName;
/** The credentials the SDK's default chain finds (in the environment) for a signed smoke run. */
const CREDENTIALS = {
  accessKeyId: 'AKIDSMOKE',
  secretAccessKey: 'smoke-secret',
  sessionToken: 'smoke-session',
};

/** When the smoke run starts on the fake clock: 10:42:05 UTC. */
const START = Date.parse('2026-11-23T10:42:05.000Z');
const OPTIONS: SmokeOptions = { timeoutMs: 5_000, pollMs: 1_000 };

/** The request id the fake API answers for the n-th POST (1-based). */
const requestId = (n: number): string => `req-${n}`;

/** One stored item: the POST it came with (1-based), its index in that request and its value. */
type Entry = readonly [request: number, index: number, item: number];

interface FakeObject extends StoredObject<ResultsObject> {
  /** Milliseconds after START from which S3 lists the object. */
  readonly visibleAfter: number;
}

/**
 * A results object written `writtenAfter` ms after START and listed from then on, keyed under the
 * minute of its write unless `keyMinute` says otherwise.
 */
function object(id: string, writtenAfter: number, entries: readonly Entry[], keyMinute?: Date): FakeObject {
  const writtenAt = new Date(START + writtenAfter);
  return {
    key: `results/${minutePath(keyMinute ?? writtenAt)}/${id}.json`,
    lastModified: new Date(writtenAt.getTime() + 50),
    visibleAfter: writtenAfter,
    body: {
      v: 1,
      minute: minuteLabel(writtenAt),
      writtenAt: writtenAt.toISOString(),
      items: entries.map(([request, index, item]) => ({
        item,
        requestId: requestId(request),
        index,
        messageId: `msg-${request}-${index}`,
        groupId: requestId(request),
        acceptedAt: new Date(START).toISOString(),
      })),
    },
  };
}

/** The object without its first item (moved into another object by a test). */
function withoutFirst(o: FakeObject): FakeObject {
  return { ...o, body: { ...o.body, items: o.body.items.slice(1) } };
}

/** How the batch writer stores the four smoke requests: 1 and 2 apart, at most five per object. */
const goodObjects = (): FakeObject[] => [
  object('a', 900, [[1, 0, 1]]),
  object('b', 1_000, [
    [1, 1, 2],
    [1, 2, 3],
    [1, 3, 4],
    [2, 0, 5],
    [2, 1, 7],
  ]),
  object('c', 1_800, [
    [2, 2, 8],
    [3, 0, 1],
  ]),
  object('d', 1_900, [[4, 0, 2]]),
];

/** A clock that moves only when the smoke run sleeps, so polling and the deadline are exact. */
function fakeTime() {
  const time = { now: START, sleeps: [] as number[] };
  return {
    time,
    now: () => time.now,
    sleep: async (ms: number) => {
      time.sleeps.push(ms);
      time.now += ms;
    },
  };
}

/** Serves the objects from S3 once the fake clock has reached their write. */
function serveBucket(objects: readonly FakeObject[], now: () => number): void {
  s3Mock.on(ListObjectsV2Command).callsFake((input: { Bucket?: string; Prefix?: string }) => ({
    Contents: objects
      .filter((o) => input.Bucket === BUCKET && o.key.startsWith(input.Prefix ?? ''))
      .filter((o) => START + o.visibleAfter <= now())
      .map((o) => ({ Key: o.key, LastModified: o.lastModified })),
  }));
  s3Mock.on(GetObjectCommand).callsFake((input: { Key?: string }) => {
    const body = JSON.stringify(objects.find((o) => o.key === input.Key)?.body);
    return { Body: { transformToString: async () => body } as unknown as GetObjectCommandOutput['Body'] };
  });
}

/** An API that answers 202 with the next request id, unless `answers` says otherwise for a POST. */
function fakeApi(answers: Record<number, () => Promise<Response>> = {}) {
  let posts = 0;
  return vi.fn<typeof fetch>(async (_url, init) => {
    posts += 1;
    const answer = answers[posts];
    if (answer) return answer();
    const items = JSON.parse(String(init?.body)) as number[];
    return new Response(JSON.stringify({ requestId: requestId(posts), accepted: items.length }), {
      status: 202,
    });
  });
}

/** A POST the fake API answers otherwise, and what the smoke run must say about it. */
interface RefusalCase {
  readonly name: string;
  readonly answers: Record<number, () => Promise<Response>>;
  readonly posts: number;
  readonly figures: string;
  readonly refusal: string;
}

const json = (status: number, body: unknown) => async () => new Response(JSON.stringify(body), { status });

let deployment: Deployment;

/** The stack as DescribeStacks answers it, with these outputs. */
const stackWith = (outputs: Readonly<Record<string, string>>) =>
  cloudFormationMock.on(DescribeStacksCommand, { StackName: STACK }).resolves(describedStack(STACK, outputs));

/** The batch function's environment: the rules the deployment enforces. */
const batchFunctionRules = (variables: Record<string, string>) =>
  lambdaMock.on(GetFunctionConfigurationCommand, { FunctionName: 'batch' }).resolves({
    Environment: {
      Variables: { BUCKET_NAME: BUCKET, WRITE_ATTEMPTS: '3', DEAD_LETTER_QUEUE_URL: 'dlq', ...variables },
    },
  });

afterEach(() => {
  vi.unstubAllEnvs();
});

beforeEach(async () => {
  cloudFormationMock.reset();
  apiGatewayMock.reset();
  s3Mock.reset();
  lambdaMock.reset();
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('AWS_ENDPOINT_URL', undefined);
  stackWith(STACK_OUTPUTS.apiKey);
  apiGatewayMock
    .on(GetApiKeyCommand, { apiKey: API_KEY_ID, includeValue: true })
    .resolves({ value: API_KEY });
  batchFunctionRules({ BATCH_SIZE: '5', EXCLUSION_PAIRS: '1:2' });
  // The AWS path of every tool: --stack NAME reads the stack's outputs and its API key's value.
  deployment = await loadDeployment({ stack: STACK });
});

/** A smoke run against the stubbed AWS deployment, with the fake API, bucket and clock. */
async function smoke(objects: readonly FakeObject[], http = fakeApi()) {
  const clock = fakeTime();
  serveBucket(objects, clock.now);
  const log: string[] = [];
  const report = await runSmoke(
    deployment,
    {
      clients: clientsFor(deployment),
      fetch: http,
      now: clock.now,
      sleep: clock.sleep,
      log: (l) => log.push(l),
    },
    OPTIONS,
  );
  return { report, verdict: formatVerdict(report), log, time: clock.time, http };
}

const lastLine = (text: string): string => text.split('\n').at(-1) ?? '';

describe('runSmoke on a deployment found with --stack', () => {
  it('sends the four original requests with the API key and passes when S3 holds their items', async () => {
    // Act
    const { report, verdict, log, time, http } = await smoke(goodObjects());

    // Assert
    expect(deployment).toMatchObject({
      stackName: STACK,
      apiUrl: API_URL,
      apiKey: API_KEY,
      bucketName: BUCKET,
    });
    expect(http.mock.calls.map(([url, init]) => [url, init?.method, init?.body])).toEqual([
      [API_URL, 'POST', '[1,2,3,4]'],
      [API_URL, 'POST', '[5,7,8]'],
      [API_URL, 'POST', '[1]'],
      [API_URL, 'POST', '[2]'],
    ]);
    expect(http.mock.calls[0]?.[1]?.headers).toMatchObject({
      'x-api-key': API_KEY,
      'content-type': 'application/json',
    });
    expect(report.passed).toBe(true);
    expect(report.checks.map((check) => [check.name, check.passed, check.figures])).toEqual([
      ['requests accepted', true, '4/4 answered 202 with a requestId'],
      ['no loss', true, '9/9 items stored in 2.0 s, 0 duplicates'],
      ['at most 5 items per object', true, '4 objects, the largest holds 5'],
      ['1 and 2 never in the same object', true, '0 of 4 objects hold both'],
      ['each object under its UTC minute', true, '4/4 objects under the minute they were written in'],
      ['order within a request', true, '4/4 requests stored in order'],
    ]);
    expect(verdict).toMatch(/^check +result +figures\n/);
    expect(verdict).toMatch(/\nno loss +PASS +9\/9 items stored/);
    expect(lastLine(verdict)).toBe('smoke: PASS');
    // Progress as the items arrive; polls a second apart, no fixed wait after the last item.
    expect(log.filter((line) => line.startsWith('stored'))).toEqual([
      'stored 0/9 items (0.0 s)',
      'stored 6/9 items (1.0 s)',
      'stored 9/9 items (2.0 s)',
    ]);
    expect(time.sleeps).toEqual([1_000, 1_000]);
  });

  it("holds the objects to the deployment's own batch size and exclusion pairs", async () => {
    // Prepare: objects of up to 10 items, and 3 and 4 kept apart.
    batchFunctionRules({ BATCH_SIZE: '10', EXCLUSION_PAIRS: '3:4' });

    // Act
    const { report } = await smoke(goodObjects());

    // Assert
    expect(report.checks.filter((c) => !c.passed).map((c) => [c.name, c.violations])).toEqual([
      ['3 and 4 never in the same object', ['results/2026/11/23/10/42/b.json holds both 3 and 4']],
    ]);
    expect(report.checks.map((c) => c.name)).toContain('at most 10 items per object');
  });

  it('sends nothing when it cannot read the rules of the deployment', async () => {
    // Prepare
    lambdaMock.on(GetFunctionConfigurationCommand).rejects(new Error('AccessDeniedException'));
    const http = fakeApi();

    // Act
    const thrown = await rejectionOf(smoke(goodObjects(), http));

    // Assert
    expect((thrown as Error).message).toBe('AccessDeniedException');
    expect(http).not.toHaveBeenCalled();
  });

  it('lists only the minute folders of the run and reads each object once', async () => {
    // Act
    await smoke(goodObjects());

    // Assert: 10:41 to 10:43 around a run inside 10:42.
    const prefixes = new Set(
      s3Mock.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input.Prefix),
    );
    expect([...prefixes]).toEqual([
      'results/2026/11/23/10/41/',
      'results/2026/11/23/10/42/',
      'results/2026/11/23/10/43/',
    ]);
    const reads = s3Mock.commandCalls(GetObjectCommand).map((call) => call.args[0].input.Key);
    expect(reads.sort()).toEqual(goodObjects().map((o) => o.key));
  });

  it('audits only the items of its own requests, not other clients objects', async () => {
    // Prepare: another client's object in the same minute breaking every rule.
    const foreign = object('other-client', 500, [
      [9, 0, 1],
      [9, 1, 2],
      [9, 2, 3],
      [9, 3, 4],
      [9, 4, 5],
      [9, 5, 6],
    ]);

    // Act
    const { report } = await smoke([foreign, ...goodObjects()]);

    // Assert
    expect(report.passed).toBe(true);
  });

  it.each([
    {
      name: 'an object holds both 1 and 2',
      objects: [
        object('both', 900, [
          [1, 0, 1],
          [1, 1, 2],
        ]),
        ...goodObjects()
          .slice(1, 4)
          .map((o, n) => (n === 0 ? withoutFirst(o) : o)),
      ],
      check: '1 and 2 never in the same object',
      figures: '1 of 4 objects hold both',
      violation: 'results/2026/11/23/10/42/both.json holds both 1 and 2',
    },
    {
      name: 'an object holds six items',
      objects: [
        object('six', 900, [
          [1, 2, 3],
          [1, 3, 4],
          [2, 0, 5],
          [2, 1, 7],
          [2, 2, 8],
          [3, 0, 1],
        ]),
        object('one', 800, [[1, 0, 1]]),
        object('two', 850, [[1, 1, 2]]),
        goodObjects()[3] as FakeObject,
      ],
      check: 'at most 5 items per object',
      figures: '4 objects, the largest holds 6',
      violation: 'results/2026/11/23/10/42/six.json holds 6 items (batch size 5)',
    },
    {
      name: 'an object is stored under another minute than its write',
      objects: [object('early', 900, [[1, 0, 1]], new Date(START - 60_000)), ...goodObjects().slice(1)],
      check: 'each object under its UTC minute',
      figures: '3/4 objects under the minute they were written in',
      violation: 'results/2026/11/23/10/41/early.json: written 2026-11-23T10:42:05.900Z',
    },
    {
      name: 'a request is stored out of order',
      objects: [object('late', 1_200, [[1, 0, 1]]), ...goodObjects().slice(1)],
      check: 'order within a request',
      figures: '3/4 requests stored in order',
      violation: 'req-1 stored in order 1,2,3,0',
    },
  ])('fails naming the violation when $name', async ({ objects, check, figures, violation }) => {
    // Act
    const { report, verdict } = await smoke(objects);

    // Assert
    expect(report.passed).toBe(false);
    expect(report.checks.filter((c) => !c.passed).map((c) => [c.name, c.figures])).toEqual([
      [check, figures],
    ]);
    expect(report.checks.find((c) => c.name === check)?.violations[0]).toContain(violation);
    expect(verdict).toMatch(new RegExp(`\\n${check} +FAIL +`));
    expect(lastLine(verdict)).toContain(`smoke: FAIL (${check}: ${violation}`);
  });

  it('leaves out of the order check the items the 202 says SQS took out of order', async () => {
    // Prepare: SQS took [1,2,3,4]'s first item after the others, and said so; it is stored last.
    const http = fakeApi({
      1: json(202, { requestId: requestId(1), accepted: 4, enqueuedOutOfOrder: [0] }),
    });
    const objects = [object('late', 1_200, [[1, 0, 1]]), ...goodObjects().slice(1)];

    // Act
    const { report } = await smoke(objects, http);

    // Assert
    expect(report.passed).toBe(true);
    expect(report.checks.at(-1)?.figures).toBe(
      '4/4 requests stored in order (1 enqueued out of order, left out)',
    );
  });

  it('fails on the deadline naming the item that never arrived', async () => {
    // Prepare: [2] is never stored.
    const objects = goodObjects().slice(0, 3);

    // Act
    const { report, verdict, log, time } = await smoke(objects);

    // Assert
    expect(report.passed).toBe(false);
    expect(report.checks.find((c) => c.name === 'no loss')).toEqual({
      name: 'no loss',
      passed: false,
      figures: '8/9 items stored within 5 s, 0 duplicates',
      violations: ['item 2 of [2] not stored within 5 s (req-4#0)'],
    });
    expect(lastLine(verdict)).toBe('smoke: FAIL (no loss: item 2 of [2] not stored within 5 s (req-4#0))');
    // It waited exactly until the deadline and no longer.
    expect(time.now - START).toBe(5_000);
    expect(log.at(-1)).toBe('stored 8/9 items (2.0 s)');
  });

  it('fails naming a duplicate when an item is stored twice', async () => {
    // Prepare
    const objects = [...goodObjects(), object('again', 1_950, [[4, 0, 2]])];

    // Act
    const { report } = await smoke(objects);

    // Assert
    expect(report.checks.find((c) => c.name === 'no loss')).toMatchObject({
      passed: false,
      violations: ['req-4#0 stored 2 times'],
    });
  });

  it.each<RefusalCase>([
    {
      name: 'the first POST answers 403',
      answers: { 1: json(403, { error: { code: 'INVALID_API_KEY', message: 'Forbidden' } }) },
      posts: 1,
      figures: '0/4 answered 202 with a requestId',
      refusal: 'POST [1,2,3,4] answered 403: {"error":{"code":"INVALID_API_KEY","message":"Forbidden"}}',
    },
    {
      name: 'the second POST answers 503',
      answers: { 2: json(503, { error: { code: 'ENQUEUE_FAILED' } }) },
      posts: 2,
      figures: '1/4 answered 202 with a requestId',
      refusal: 'POST [5,7,8] answered 503: {"error":{"code":"ENQUEUE_FAILED"}}',
    },
    {
      name: 'a 202 has no requestId',
      answers: { 3: json(202, { accepted: 1 }) },
      posts: 3,
      figures: '2/4 answered 202 with a requestId',
      refusal: 'POST [1] answered 202 without a requestId: {"accepted":1}',
    },
    {
      name: 'the API cannot be reached',
      answers: {
        1: () => Promise.reject(new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') })),
      },
      posts: 1,
      figures: '0/4 answered 202 with a requestId',
      refusal: 'POST [1,2,3,4] failed: fetch failed (connect ECONNREFUSED)',
    },
  ])('fails at once when $name, without waiting for S3', async ({ answers, posts, figures, refusal }) => {
    // Act
    const { report, verdict, http, time } = await smoke(goodObjects(), fakeApi(answers));

    // Assert
    expect(http).toHaveBeenCalledTimes(posts);
    expect(report).toEqual({
      checks: [{ name: 'requests accepted', passed: false, figures, violations: [refusal] }],
      passed: false,
    });
    expect(lastLine(verdict)).toBe(`smoke: FAIL (requests accepted: ${refusal})`);
    expect(s3Mock.commandCalls(ListObjectsV2Command)).toHaveLength(0);
    expect(time.sleeps).toEqual([]);
  });
});

/** The headers of each POST the smoke run sent. */
const sentHeaders = (http: ReturnType<typeof fakeApi>) =>
  http.mock.calls.map(([, init]) => init?.headers as Record<string, string>);

describe("runSmoke's requests by the stack's Auth output (--stack)", () => {
  it.each([
    { name: 'apiKey', outputs: STACK_OUTPUTS.apiKey },
    { name: 'absent (a stack deployed before the setting)', outputs: STACK_OUTPUTS.before },
  ])('sends every request with the API key when Auth is $name', async ({ outputs }) => {
    // Prepare
    stackWith(outputs);
    deployment = await loadDeployment({ stack: STACK });

    // Act
    const { report, http } = await smoke(goodObjects());

    // Assert
    expect(deployment).toMatchObject({ auth: 'apiKey', apiType: 'rest', apiKey: API_KEY });
    expect(report.passed).toBe(true);
    expect(sentHeaders(http)).toEqual(
      Array(4).fill({ 'content-type': 'application/json', 'x-api-key': API_KEY }),
    );
  });

  it("signs every request with SigV4 when Auth is iam, with the default chain's credentials and no API key", async () => {
    // Prepare: forget beforeEach's read of the key stack.
    apiGatewayMock.resetHistory();
    stackWith(STACK_OUTPUTS.iam);
    stubEnvironmentCredentials(CREDENTIALS);
    deployment = await loadDeployment({ stack: STACK });

    // Act
    const { report, http } = await smoke(goodObjects());

    // Assert
    expect(report.passed).toBe(true);
    expect(apiGatewayMock.commandCalls(GetApiKeyCommand)).toHaveLength(0);
    const headers = sentHeaders(http);
    expect(headers).toHaveLength(4);
    for (const sent of headers) {
      expect(sent.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDSMOKE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
      );
      expect(sent['x-amz-security-token']).toBe(CREDENTIALS.sessionToken);
      expect(sent).not.toHaveProperty('x-api-key');
    }
    // Four bodies, four signatures.
    expect(new Set(headers.map((sent) => sent.authorization)).size).toBe(4);
  });

  it('names the stack output ProducerPolicyArn when a signed request answers 403', async () => {
    // Prepare
    stackWith(STACK_OUTPUTS.iam);
    stubEnvironmentCredentials(CREDENTIALS);
    deployment = await loadDeployment({ stack: STACK });
    const http = fakeApi({ 1: json(403, { error: { code: 'ACCESS_DENIED', message: 'Forbidden' } }) });

    // Act
    const { report, verdict } = await smoke(goodObjects(), http);

    // Assert
    expect(report.passed).toBe(false);
    const [refusal] = report.checks[0]?.violations ?? [];
    expect(refusal).toMatch(
      /^POST \[1,2,3,4\] answered 403: \{"error":\{"code":"ACCESS_DENIED","message":"Forbidden"\}\}; FifoBatchPipeline takes SigV4-signed requests \(auth iam\)/,
    );
    expect(refusal).toContain(
      `attach the managed policy its output ProducerPolicyArn names (${STACK_OUTPUTS.iam.ProducerPolicyArn})`,
    );
    expect(lastLine(verdict)).toContain('ProducerPolicyArn');
  });
});

describe('smokeOptions', () => {
  it('waits 120 s by default and takes --timeout in seconds', () => {
    // Act / Assert
    expect(smokeOptions({}, [])).toEqual({ timeoutMs: 120_000, pollMs: 1_000 });
    expect(smokeOptions({ timeout: '30' }, []).timeoutMs).toBe(30_000);
  });

  it.each([
    {
      values: { timeout: 'soon' },
      positionals: [],
      message: '--timeout must be a number from 1 to 3600 (got soon)',
    },
    {
      values: { timeout: '0' },
      positionals: [],
      message: '--timeout must be a number from 1 to 3600 (got 0)',
    },
    {
      values: {},
      positionals: ['1', '2'],
      message: 'smoke sends its own requests and takes no items (got 1 2)',
    },
  ])('rejects $values $positionals as a usage error (exit 2)', ({ values, positionals, message }) => {
    // Act
    const error = thrownBy(() => smokeOptions(values, positionals));

    // Assert
    expect(error).toBeInstanceOf(UsageError);
    expect(error).toMatchObject({ code: 'USAGE', message });
  });
});
