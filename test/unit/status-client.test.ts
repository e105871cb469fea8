import { describe, expect, it } from 'vitest';
import { SignedRequestDeniedError } from '../../cdk/ops/api-request';
import {
  deploymentStatusUrl,
  getRequestStatus,
  StatusTimeoutError,
  statusLine,
  waitForRequest,
} from '../../cdk/ops/status-client';
import { RequestNotFoundError, type RequestStatus } from '../../lambdas/domain/ledger';
import { localApi, PRODUCER_POLICY_ARN } from './factories.deployment';

const deployment = localApi();
const SIGNED = localApi({ auth: 'iam', apiKey: undefined, producerPolicyArn: PRODUCER_POLICY_ARN });

const status = (fields: Partial<RequestStatus> = {}): RequestStatus => ({
  requestId: 'r-1',
  status: 'storing',
  accepted: 4,
  stored: 1,
  pending: 3,
  failed: 0,
  acceptedAt: '2026-11-25T10:00:00.000Z',
  objects: ['results/2026/11/25/10/00/a.json'],
  ...fields,
});

/** A fetch that answers each call with the next of `answers`, recording what it was asked. */
function scriptedFetch(answers: readonly { status: number; body: unknown }[]) {
  const calls: { url: string; headers: unknown }[] = [];
  const http = (async (url: string, init?: RequestInit) => {
    calls.push({ url, headers: init?.headers });
    const answer = answers[Math.min(calls.length - 1, answers.length - 1)];
    return new Response(JSON.stringify(answer?.body), { status: answer?.status ?? 500 });
  }) as typeof fetch;
  return { http, calls };
}

describe('the request status client', () => {
  it('asks the same stage for /requests/<id>, with the API key', async () => {
    // Prepare
    const { http, calls } = scriptedFetch([{ status: 200, body: status() }]);

    // Act
    const answer = await getRequestStatus(deployment, 'r-1', http);

    // Assert
    expect(deploymentStatusUrl(deployment, 'r 1')).toBe(
      'http://127.0.0.1:4566/_aws/execute-api/abc/prod/requests/r%201',
    );
    expect(calls).toEqual([
      {
        url: 'http://127.0.0.1:4566/_aws/execute-api/abc/prod/requests/r-1',
        headers: { 'x-api-key': 'k-1' },
      },
    ]);
    expect(answer).toEqual(status());
  });

  it.each([
    { status: 404, error: RequestNotFoundError, message: 'No request r-1 for this API key' },
    { status: 503, error: Error, message: 'GET /requests/r-1 answered 503' },
  ])('turns a $status into a named error', async ({ status: code, error, message }) => {
    const { http } = scriptedFetch([{ status: code, body: { error: { code: 'X' } } }]);

    await expect(getRequestStatus(deployment, 'r-1', http)).rejects.toThrow(error);
    await expect(getRequestStatus(deployment, 'r-1', http)).rejects.toThrow(message);
  });

  it.each([
    { status: 404, error: RequestNotFoundError, message: 'No request r-1 for these credentials' },
    {
      status: 403,
      error: SignedRequestDeniedError,
      message: 'attach the managed policy its output ProducerPolicyArn names',
    },
  ])(
    'signs its GET with auth iam, and turns a $status into a named error',
    async ({ status: code, error, message }) => {
      // Prepare
      const { http, calls } = scriptedFetch([{ status: code, body: { error: { code: 'X' } } }]);

      // Act
      const reading = getRequestStatus(SIGNED, 'r-1', http);

      // Assert
      await expect(reading).rejects.toThrow(error);
      await expect(reading).rejects.toThrow(message);
      expect(calls[0]?.headers).toHaveProperty('authorization');
    },
  );

  it('waits until the request is stored, reporting each change once', async () => {
    // Prepare
    const { http, calls } = scriptedFetch([
      { status: 200, body: status({ status: 'queued', stored: 0, pending: 4, objects: [] }) },
      { status: 200, body: status({ status: 'queued', stored: 0, pending: 4, objects: [] }) },
      { status: 200, body: status() },
      { status: 200, body: status({ status: 'stored', stored: 4, pending: 0 }) },
    ]);
    const seen: string[] = [];
    const sleeps: number[] = [];

    // Act
    const final = await waitForRequest(deployment, 'r-1', {
      timeoutMs: 10_000,
      pollMs: 250,
      http,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      now: () => 0,
      onProgress: (current) => seen.push(statusLine(current)),
    });

    // Assert
    expect(final.status).toBe('stored');
    expect(calls).toHaveLength(4);
    expect(sleeps).toEqual([250, 250, 250]);
    expect(seen).toEqual([
      'queued 0/4 (4 pending, 0 failed) in 0 objects',
      'storing 1/4 (3 pending, 0 failed) in 1 object',
      'stored 4/4 (0 pending, 0 failed) in 1 object',
    ]);
  });

  it('stops at failed, and gives up at the deadline naming the last status', async () => {
    // Prepare
    const failed = scriptedFetch([
      { status: 200, body: status({ status: 'failed', failed: 1, pending: 0, stored: 3 }) },
    ]);
    const stuck = scriptedFetch([{ status: 200, body: status() }]);
    let clock = 0;

    // Act
    const final = await waitForRequest(deployment, 'r-1', { timeoutMs: 1000, http: failed.http });
    const waiting = waitForRequest(deployment, 'r-1', {
      timeoutMs: 1000,
      pollMs: 400,
      http: stuck.http,
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
    });

    // Assert
    expect(final.status).toBe('failed');
    await expect(waiting).rejects.toThrow(StatusTimeoutError);
    expect(stuck.calls).toHaveLength(4);
  });
});
