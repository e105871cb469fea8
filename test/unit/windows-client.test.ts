import { describe, expect, it } from 'vitest';
import { SignedRequestDeniedError } from '../../cdk/ops/api-request';
import { UsageError } from '../../cdk/ops/cli-options';
import { deploymentStatusUrl } from '../../cdk/ops/status-client';
import {
  analysisLines,
  formatAggregate,
  getAnalyses,
  getWindows,
  rangeUsageError,
  windowLines,
} from '../../cdk/ops/windows-client';
import {
  AnalysisNotFoundError,
  type AnsweredWindow,
  InvalidRangeError,
  WindowsUnavailableError,
} from '../../lambdas/analyses-api/read-windows';
import { localApi, PRODUCER_POLICY_ARN } from './factories.deployment';
import { analysis } from './factories.windows';

const deployment = localApi();
const SIGNED = localApi({ auth: 'iam', apiKey: undefined, producerPolicyArn: PRODUCER_POLICY_ARN });
const STAGE = 'http://127.0.0.1:4566/_aws/execute-api/abc/prod';

/** A fetch that answers every call with `status` and `body`, recording what it was asked. */
function stubFetch(status: number, body: unknown) {
  const calls: { url: string; headers: unknown }[] = [];
  const http = (async (url: string, init?: RequestInit) => {
    calls.push({ url, headers: init?.headers });
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status });
  }) as typeof fetch;
  return { http, calls };
}

const window = (start: string, fields: Partial<AnsweredWindow> = {}): AnsweredWindow => {
  const startMs = Date.parse(start);
  return {
    start: new Date(startMs).toISOString(),
    end: new Date(startMs + 60_000).toISOString(),
    count: 0,
    sum: 0,
    late: 0,
    final: true,
    ...fields,
  };
};

describe('the windows client', () => {
  it('asks the same stage as the status client for /analyses and /analyses/<name>/windows, with the API key', async () => {
    // Prepare
    const listing = stubFetch(200, { analyses: [analysis()] });
    const windows = stubFetch(200, { name: 'items-60s', windows: [] });

    // Act
    const analyses = await getAnalyses(deployment, listing.http);
    const all = await getWindows(deployment, 'items-60s', {}, windows.http);
    const ranged = await getWindows(
      deployment,
      'a b',
      { from: '2026-11-23T10:00:00Z', to: '2026-11-23T10:30:00Z' },
      windows.http,
    );

    // Assert
    expect(analyses).toEqual({ analyses: [analysis()] });
    expect(all).toEqual({ name: 'items-60s', windows: [] });
    expect(ranged).toEqual(all);
    expect(deploymentStatusUrl(deployment, 'r-1')).toBe(`${STAGE}/requests/r-1`);
    expect([...listing.calls, ...windows.calls]).toEqual([
      { url: `${STAGE}/analyses`, headers: { 'x-api-key': 'k-1' } },
      { url: `${STAGE}/analyses/items-60s/windows`, headers: { 'x-api-key': 'k-1' } },
      {
        url: `${STAGE}/analyses/a%20b/windows?from=2026-11-23T10%3A00%3A00Z&to=2026-11-23T10%3A30%3A00Z`,
        headers: { 'x-api-key': 'k-1' },
      },
    ]);
  });

  it.each([
    { status: 404, code: 'ANALYSIS_NOT_FOUND', error: AnalysisNotFoundError },
    { status: 400, code: 'INVALID_RANGE', error: InvalidRangeError },
    { status: 503, code: 'WINDOWS_UNAVAILABLE', error: WindowsUnavailableError },
  ])('turns a $status $code back into its error, with the API message', async ({ status, code, error }) => {
    // Prepare
    const { http } = stubFetch(status, { error: { code, message: `the API says ${code}` } });

    // Act
    const reading = getWindows(deployment, 'nope', {}, http);

    // Assert
    await expect(reading).rejects.toThrow(error);
    await expect(reading).rejects.toMatchObject({ code, status, message: `the API says ${code}` });
  });

  it.each([
    { status: 403, body: { message: 'Forbidden' } },
    { status: 502, body: 'Bad Gateway' },
  ])('names the path and the answer of any other $status', async ({ status, body }) => {
    const { http } = stubFetch(status, body);

    await expect(getAnalyses(deployment, http)).rejects.toThrow(`GET /analyses answered ${status}: `);
    await expect(getAnalyses(deployment, http)).rejects.not.toThrow(AnalysisNotFoundError);
  });

  it('signs its GET with auth iam, and says a 403 is likely the missing producer policy', async () => {
    // Prepare
    const { http, calls } = stubFetch(403, { error: { code: 'ACCESS_DENIED', message: 'Forbidden' } });

    // Act
    const reading = getAnalyses(SIGNED, http);

    // Assert
    await expect(reading).rejects.toBeInstanceOf(SignedRequestDeniedError);
    await expect(reading).rejects.toThrow(
      /^GET \/analyses answered 403: \{"error":\{"code":"ACCESS_DENIED","message":"Forbidden"\}\}; .*output ProducerPolicyArn/,
    );
    expect(calls[0]?.headers).toHaveProperty('authorization');
    expect(calls[0]?.headers).not.toHaveProperty('x-api-key');
  });
});

describe('rangeUsageError', () => {
  it.each([
    {
      api: 'from must be an ISO 8601 time like 2026-11-23T10:42:00Z (got soon)',
      range: { from: 'soon' },
      message: '--from must be an ISO 8601 time like 2026-11-23T10:42:00Z (got soon)',
    },
    {
      api: 'to must be an ISO 8601 time like 2026-11-23T10:42:00Z (got 2026)',
      range: { to: '2026' },
      message: '--to must be an ISO 8601 time like 2026-11-23T10:42:00Z (got 2026)',
    },
    {
      api: 'from must be before to (got 2026-11-23T11:00:00.000Z and 2026-11-23T10:00:00.000Z)',
      range: { from: '2026-11-23T11:00:00Z', to: '2026-11-23T10:00:00Z' },
      message: '--from must be before --to (got 2026-11-23T11:00:00.000Z and 2026-11-23T10:00:00.000Z)',
    },
    {
      api: 'The range holds more than 1000 windows of 1 s; ask for a shorter one',
      range: { from: '2026-11-01T00:00:00Z' },
      message: '--from: The range holds more than 1000 windows of 1 s; ask for a shorter one',
    },
    {
      api: 'The range holds more than 1000 windows of 1 s; ask for a shorter one',
      range: { from: '2026-11-01T00:00:00Z', to: '2026-11-23T00:00:00Z' },
      message: '--from and --to: The range holds more than 1000 windows of 1 s; ask for a shorter one',
    },
  ])('makes "$api" a usage error naming the option', ({ api, range, message }) => {
    // Act
    const error = rangeUsageError(new InvalidRangeError(api), range);

    // Assert
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe(message);
  });
});

describe('what the windows tool prints', () => {
  it('lists the registered analyses with their W, A, L and aggregates, or says there are none', () => {
    // Act
    const lines = analysisLines({
      analyses: [
        analysis(),
        analysis({ name: 'slow', windowSeconds: 300, advanceSeconds: 300, aggregates: ['count'] }),
      ],
    });

    // Assert
    expect(lines).toEqual([
      'items-60s  W 60 s, A 10 s, L 30 s  count, sum, min, max, mean',
      'slow       W 300 s, A 300 s, L 30 s  count',
    ]);
    expect(analysisLines({ analyses: [] })).toEqual([
      'No analyses registered (the analyses setting is empty)',
    ]);
  });

  it('prints one aligned line per window with its aggregates, final or provisional and late items, then a count', () => {
    // Prepare
    const answer = {
      name: 'items-60s',
      windows: [
        window('2026-11-23T10:41:50Z'),
        window('2026-11-23T10:42:00Z', { count: 3, sum: 10, min: 1, max: 5, mean: 10 / 3, late: 2 }),
        window('2026-11-23T10:42:10Z', {
          count: 12,
          sum: '18014398509481982',
          min: 1,
          max: 9,
          mean: 4.5,
          final: false,
        }),
      ],
    };

    // Act
    const lines = windowLines(answer);

    // Assert
    expect(lines).toEqual([
      '2026-11-23 10:41:50-10:42:50  count 0   sum 0                                            final',
      '2026-11-23 10:42:00-10:43:00  count 3   sum 10                 min 1  max 5  mean 3.333  final        late 2',
      '2026-11-23 10:42:10-10:43:10  count 12  sum 18014398509481982  min 1  max 9  mean 4.5    provisional',
      'items-60s: 3 windows (2 final, 1 provisional), 2 with items, 1 with late items',
    ]);
  });

  it('prints only the aggregates the analysis has, and a count for an empty range', () => {
    // Prepare
    const counted = { name: 'c', windows: [window('2026-11-23T10:42:00Z', { count: 1, sum: undefined })] };

    // Act
    const lines = windowLines(counted);
    const none = windowLines({ name: 'c', windows: [] });

    // Assert
    expect(lines).toEqual([
      '2026-11-23 10:42:00-10:43:00  count 1  final',
      'c: 1 window (1 final, 0 provisional), 1 with items, 0 with late items',
    ]);
    expect(none).toEqual(['c: 0 windows (0 final, 0 provisional), 0 with items, 0 with late items']);
  });

  it.each([
    { value: 4, shown: '4' },
    { value: 2.5, shown: '2.5' },
    { value: 2 / 3, shown: '0.667' },
    { value: -1.0004, shown: '-1' },
    { value: '18014398509481982', shown: '18014398509481982' },
  ])('formatAggregate shows $value as $shown', ({ value, shown }) => {
    expect(formatAggregate(value)).toBe(shown);
  });
});
