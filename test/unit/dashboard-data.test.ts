import {
  CloudWatchLogsClient,
  type FilteredLogEvent,
  FilterLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DashboardData } from '../../cdk/ops/dashboard/data';
import type { Deployment } from '../../cdk/ops/deployment';
import { AnalysisNotFoundError } from '../../lambdas/analyses-api/read-windows';
import { analysis } from './factories.windows';

const s3Mock = mockClient(S3Client);
const sqsMock = mockClient(SQSClient);
const lambdaMock = mockClient(LambdaClient);
const logsMock = mockClient(CloudWatchLogsClient);

const DEPLOYMENT: Deployment = {
  stackName: 'Test',
  region: 'eu-west-1',
  apiUrl: 'https://api.example/items',
  auth: 'apiKey',
  apiType: 'rest',
  apiKey: 'key',
  apiKeyId: 'key-id',
  apiId: 'api',
  bucketName: 'bucket',
  topicArn: 'arn:aws:sns:eu-west-1:123456789012:items.fifo',
  queueUrl: 'https://sqs/items.fifo',
  undeliveredQueueUrl: 'https://sqs/undelivered.fifo',
  analyses: [],
  windowCloserFunctionName: 'closer',
  deadLetterQueueUrl: 'https://sqs/items-dlq.fifo',
  ingestFunctionName: 'ingest',
  batchFunctionName: 'batch',
};
const NOW = new Date('2026-11-23T10:45:30Z');

const items = (requestId: string, values: number[]) =>
  values.map((item, index) => ({ item, requestId, index }));

const STORED: [string, unknown][] = [
  ['results/2026/11/23/10/42/a.json', { writtenAt: '2026-11-23T10:42:01Z', items: items('r1', [1, 3]) }],
  [
    'results/2026/11/23/10/42/b.json',
    { writtenAt: '2026-11-23T10:42:02Z', items: [{ item: 2, requestId: 'r1', index: 2 }] },
  ],
  [
    'failed/2026/11/23/10/43/m-13.json',
    {
      writtenAt: '2026-11-23T10:43:05Z',
      reason: 'write_failed',
      item: 13,
      requestId: 'r2',
      index: 0,
      receiveCount: 3,
    },
  ],
];
let bucket = new Map<string, unknown>();

const metricsLine = (figures: Record<string, number>) => JSON.stringify({ _aws: {}, ...figures });
const event = (id: string, time: string, message: string, stream = 's1'): FilteredLogEvent => ({
  eventId: id,
  timestamp: Date.parse(`2026-11-23T${time}Z`),
  message,
  logStreamName: stream,
});
const logs: Record<string, FilteredLogEvent[]> = {
  '/aws/lambda/ingest': [event('i1', '10:42:00', metricsLine({ ItemsAccepted: 4 }))],
  '/aws/lambda/batch': [
    event('b1', '10:42:01', metricsLine({ ExclusionSplits: 1, ItemsFailed: 0 })),
    event('b2', '10:42:01', 'REPORT RequestId: x\tDuration: 9 ms'),
    event('b3', '10:43:05', 'REPORT RequestId: y\tDuration: 9 ms', 's2'),
  ],
};

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
  bucket = new Map(STORED);
  s3Mock.reset();
  sqsMock.reset();
  lambdaMock.reset();
  logsMock.reset();
  s3Mock.on(ListObjectsV2Command).callsFake((input: { Prefix?: string }) => ({
    Contents: [...bucket.keys()].filter((key) => key.startsWith(input.Prefix ?? '')).map((Key) => ({ Key })),
  }));
  s3Mock.on(GetObjectCommand).callsFake((input: { Key?: string }) => {
    const body = JSON.stringify(bucket.get(input.Key ?? ''));
    return { Body: { transformToString: async () => body } as unknown as GetObjectCommandOutput['Body'] };
  });
  sqsMock.on(GetQueueAttributesCommand).callsFake((input: { QueueUrl?: string }) => ({
    Attributes: input.QueueUrl?.includes('dlq')
      ? { ApproximateNumberOfMessages: '1', ApproximateNumberOfMessagesNotVisible: '0' }
      : { ApproximateNumberOfMessages: '5', ApproximateNumberOfMessagesNotVisible: '2' },
  }));
  lambdaMock.on(GetFunctionConfigurationCommand).resolves({
    Environment: {
      Variables: {
        BUCKET_NAME: 'bucket',
        BATCH_SIZE: '5',
        EXCLUSION_PAIRS: '1:2',
        WRITE_ATTEMPTS: '3',
        DEAD_LETTER_QUEUE_URL: 'dlq',
      },
    },
  });
  // The group is the function's default one; a read returns every event from its start time on.
  logsMock.on(FilterLogEventsCommand).callsFake((input: { logGroupName?: string; startTime?: number }) => ({
    events: (logs[input.logGroupName ?? ''] ?? []).filter(
      (e) => (e.timestamp ?? 0) >= (input.startTime ?? 0),
    ),
  }));
});
afterEach(() => {
  vi.useRealTimers();
});

/** The API as the dashboard calls it: every call recorded, each path answered by `answers` (else 404). */
function stubApi(answers: Record<string, { status: number; body: unknown }>) {
  const calls: { path: string; key: string | null }[] = [];
  const http = (async (url: string, init?: RequestInit) => {
    const { pathname, search } = new URL(url);
    calls.push({ path: `${pathname}${search}`, key: new Headers(init?.headers).get('x-api-key') });
    const answer = answers[pathname] ?? {
      status: 404,
      body: { error: { code: 'NOT_FOUND', message: 'no' } },
    };
    return new Response(JSON.stringify(answer.body), { status: answer.status });
  }) as typeof fetch;
  return { http, calls };
}

const ANALYSES = { status: 200, body: { analyses: [analysis()] } };
const WINDOWS = {
  status: 200,
  body: {
    name: 'items-60s',
    windows: [
      {
        start: '2026-11-23T10:44:10.000Z',
        end: '2026-11-23T10:45:10.000Z',
        count: 2,
        sum: 3,
        min: 1,
        max: 2,
        mean: 1.5,
        late: 0,
        final: true,
      },
      {
        start: '2026-11-23T10:44:20.000Z',
        end: '2026-11-23T10:45:20.000Z',
        count: 0,
        sum: 0,
        late: 0,
        final: false,
      },
    ],
  },
};

const data = (http = stubApi({ '/analyses': ANALYSES }).http) =>
  new DashboardData(DEPLOYMENT, { minRefreshMs: 0, http });

describe('DashboardData', () => {
  it('turns objects, log lines and queue depths into the overview', async () => {
    // Act
    const overview = await data().overview();

    // Assert
    expect(overview.minutes).toHaveLength(60);
    expect(overview.minutes.find((m) => m.minute === '2026-11-23T10:42Z')).toEqual({
      minute: '2026-11-23T10:42Z',
      stored: 3,
      objects: 2,
      failureRecords: 0,
      accepted: 4,
      invocations: 1,
      errors: 0,
      exclusionSplits: 1,
      recordsFailed: 0,
      ledgerErrors: 0,
    });
    expect(overview.minutes.find((m) => m.minute === '2026-11-23T10:43Z')).toMatchObject({
      failureRecords: 1,
      invocations: 1,
      errors: 1,
    });
    expect(overview).toMatchObject({
      exclusionPairs: [[1, 2]],
      queue: { visible: 5, inFlight: 2 },
      deadLetter: { visible: 1, inFlight: 0 },
      resultsObjects: 2,
      objectsBreakingExclusion: 0,
      problems: [],
      browser: [
        { minute: '2026-11-23T10:43Z', objects: 0, items: 0, failureRecords: 1 },
        { minute: '2026-11-23T10:42Z', objects: 2, items: 3, failureRecords: 0 },
      ],
    });
    expect(overview.recentFailures.map((row) => row.key)).toEqual(['failed/2026/11/23/10/43/m-13.json']);
    expect(overview.queueSamples).toEqual([{ at: NOW.getTime(), visible: 5, inFlight: 2, deadLetter: 1 }]);
  });

  it('lists the hours of the window, reads each object once and counts each log event once', async () => {
    // Prepare
    const dashboard = data();
    await dashboard.overview();
    bucket.set('results/2026/11/23/10/45/c.json', {
      writtenAt: '2026-11-23T10:45:10Z',
      items: items('r3', [5]),
    });

    // Act
    const overview = await dashboard.overview();

    // Assert
    const listed = s3Mock.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input.Prefix);
    expect(new Set(listed)).toEqual(
      new Set([
        'results/2026/11/23/09/',
        'failed/2026/11/23/09/',
        'results/2026/11/23/10/',
        'failed/2026/11/23/10/',
      ]),
    );
    const reads = s3Mock.commandCalls(GetObjectCommand).map((call) => call.args[0].input.Key);
    expect(reads.sort()).toEqual([...bucket.keys()].sort());
    expect(overview.minutes.find((m) => m.minute === '2026-11-23T10:42Z')).toMatchObject({
      accepted: 4,
      invocations: 1,
    });
    // The second read looks back over 10:43:05 again: its REPORT line still counts once.
    expect(overview.minutes.find((m) => m.minute === '2026-11-23T10:43Z')).toMatchObject({
      invocations: 1,
      errors: 1,
    });
    // The rules once, and each function's log group once.
    expect(lambdaMock.commandCalls(GetFunctionConfigurationCommand)).toHaveLength(3);
  });

  it('still shows what it could read when a source fails, and names the source', async () => {
    // Prepare
    logsMock.on(FilterLogEventsCommand).rejects(new Error('not authorized to perform logs:FilterLogEvents'));

    // Act
    const overview = await data().overview();

    // Assert
    expect(overview.problems).toEqual(['logs: not authorized to perform logs:FilterLogEvents']);
    expect(overview.minutes.find((m) => m.minute === '2026-11-23T10:42Z')).toEqual({
      minute: '2026-11-23T10:42Z',
      stored: 3,
      objects: 2,
      failureRecords: 0,
    });
  });

  it('treats a log group that does not exist yet as no lines', async () => {
    // Prepare
    logsMock.on(FilterLogEventsCommand).rejects(
      Object.assign(new Error('The specified log group does not exist'), {
        name: 'ResourceNotFoundException',
      }),
    );

    // Act
    const overview = await data().overview();

    // Assert
    expect(overview.problems).toEqual([]);
    expect(overview.minutes.every((m) => m.invocations === 0)).toBe(true);
  });

  it("looks a request up in the request ledger, through the API with the deployment's key, and shows its objects", async () => {
    // Prepare
    const calls: { url: string; key: string | null }[] = [];
    const http = (async (url: string, init?: RequestInit) => {
      if (url.endsWith('/analyses')) return new Response(JSON.stringify(ANALYSES.body), { status: 200 });
      calls.push({ url, key: new Headers(init?.headers).get('x-api-key') });
      const status = {
        requestId: 'r1',
        status: 'stored',
        accepted: 3,
        stored: 3,
        pending: 0,
        failed: 0,
        acceptedAt: '2026-11-23T10:41:59Z',
        objects: ['results/2026/11/23/10/42/b.json', 'results/2026/11/23/10/42/a.json'],
      };
      return new Response(JSON.stringify(status), { status: 200 });
    }) as typeof fetch;
    const dashboard = new DashboardData(DEPLOYMENT, { minRefreshMs: 0, http });

    // Act
    const report = await dashboard.lookup('r1');
    const minute = await dashboard.objectsOf('2026-11-23T10:42Z');

    // Assert
    expect(calls).toEqual([{ url: 'https://api.example/requests/r1', key: 'key' }]);
    expect(report.status).toMatchObject({ status: 'stored', stored: 3, failed: 0 });
    expect(report.objects.map((row) => row.key)).toEqual([
      'results/2026/11/23/10/42/a.json',
      'results/2026/11/23/10/42/b.json',
    ]);
    expect(minute.map((row) => row.items.map((chip) => chip.item))).toEqual([[1, 3], [2]]);
  });

  it('judges no object by a guessed rule when the batch function cannot be read', async () => {
    // Prepare
    lambdaMock.on(GetFunctionConfigurationCommand).rejects(new Error('AccessDenied'));

    // Act
    const overview = await data().overview();

    // Assert
    expect(overview.problems).toContain('rules: AccessDenied');
    expect(overview.exclusionPairs).toBeUndefined();
    expect(overview.objectsBreakingExclusion).toBeUndefined();
    expect(overview.resultsObjects).toBe(2);
  });

  it("lists the registered analyses with their W, A and L, through the API with the deployment's key, read again after 30 s", async () => {
    // Prepare
    const api = stubApi({ '/analyses': ANALYSES });
    const dashboard = data(api.http);

    // Act
    const first = await dashboard.overview();
    vi.setSystemTime(NOW.getTime() + 29_000);
    await dashboard.overview();
    vi.setSystemTime(NOW.getTime() + 31_000);
    await dashboard.overview();

    // Assert
    expect(first.analyses).toEqual([{ ...analysis(), shape: 'W 60 s, A 10 s, L 30 s' }]);
    expect(api.calls).toEqual([
      { path: '/analyses', key: 'key' },
      { path: '/analyses', key: 'key' },
    ]);
  });

  it('names the analyses in the problems when they cannot be listed, keeping the last list and the rest', async () => {
    // Prepare
    let answer: { status: number; body: unknown } = ANALYSES;
    const http = (async () =>
      new Response(JSON.stringify(answer.body), { status: answer.status })) as typeof fetch;
    const dashboard = data(http);
    const listed = await dashboard.overview();
    answer = { status: 403, body: { message: 'Forbidden' } };
    vi.setSystemTime(NOW.getTime() + 31_000);

    // Act
    const later = await dashboard.overview();
    const never = await data(stubApi({}).http).overview();

    // Assert
    expect(listed.problems).toEqual([]);
    expect(later.problems).toEqual(['analyses: GET /analyses answered 403: {"message":"Forbidden"}']);
    expect(later.analyses).toEqual(listed.analyses);
    expect(later.resultsObjects).toBe(2);
    expect(never.problems).toEqual([
      'analyses: GET /analyses answered 404: {"error":{"code":"NOT_FOUND","message":"no"}}',
    ]);
    expect(never.analyses).toBeUndefined();
  });

  it("reads an analysis's windows through the API with the key and shapes them, reusing a read for 5 s", async () => {
    // Prepare
    const api = stubApi({ '/analyses': ANALYSES, '/analyses/items-60s/windows': WINDOWS });
    const dashboard = data(api.http);

    // Act
    const series = await dashboard.windowsOf('items-60s');
    vi.setSystemTime(NOW.getTime() + 4_000);
    await dashboard.windowsOf('items-60s');
    vi.setSystemTime(NOW.getTime() + 6_000);
    await dashboard.windowsOf('items-60s');

    // Assert
    expect(api.calls).toEqual([
      { path: '/analyses/items-60s/windows', key: 'key' },
      { path: '/analyses/items-60s/windows', key: 'key' },
    ]);
    expect(series).toMatchObject({
      name: 'items-60s',
      final: 1,
      provisional: 1,
      provisionalFrom: Date.parse('2026-11-23T10:44:20Z') / 1000,
      columns: {
        count: [2, null],
        countProvisional: [2, 0],
        mean: [1.5, null],
        meanProvisional: [1.5, null],
      },
    });
    expect(series.windows).toEqual(WINDOWS.body.windows);
  });

  it("answers an analysis's windows with the API's error, and asks again next time", async () => {
    // Prepare
    const api = stubApi({
      '/analyses/gone/windows': {
        status: 404,
        body: { error: { code: 'ANALYSIS_NOT_FOUND', message: 'No analysis gone (registered: items-60s)' } },
      },
    });
    const dashboard = data(api.http);

    // Act
    const first = dashboard.windowsOf('gone');
    await first.catch(() => undefined);
    const second = dashboard.windowsOf('gone');

    // Assert
    await expect(first).rejects.toThrow(AnalysisNotFoundError);
    await expect(second).rejects.toThrow('No analysis gone (registered: items-60s)');
    expect(api.calls).toHaveLength(2);
  });
});
