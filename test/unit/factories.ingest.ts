import {
  PublishBatchCommand,
  type PublishBatchCommandInput,
  type PublishBatchCommandOutput,
  type SNSClient,
} from '@aws-sdk/client-sns';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { expect, type Mock, vi } from 'vitest';
import type { IngestSettings } from '../../lambdas/domain/environment';
import { ConfigError } from '../../lambdas/domain/errors';
import type { HttpRequest, RequestLimits } from '../../lambdas/domain/request';
import type { IngestDeps } from '../../lambdas/ingest/accept-items';
import type { Idempotency } from '../../lambdas/ingest/idempotency';
import { fakeLedger, LEDGER_ENV } from './factories.ledger';

/** The clock of every ingest test; envelopes carry it as `acceptedAt`. */
export const FIXED_NOW = '2026-11-23T10:42:07.123Z';
export const TOPIC_ARN = 'https://sns.eu-west-1.amazonaws.com/123456789012/items.fifo';
export { API_KEY_ID } from '../support/lambda-events';

/** The production defaults of the contract's HTTP API: 500 items, 64 KiB. */
export const DEFAULT_LIMITS: RequestLimits = { maxItemsPerRequest: 500, maxBodyBytes: 64 * 1024 };

export const JSON_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/json' };

/** A request as `parseItemsRequest` sees it (header names lower case), valid unless overridden. */
export function httpRequest(overrides: Partial<HttpRequest> = {}): HttpRequest {
  return { headers: JSON_HEADERS, body: '[1,2,3,4]', isBase64Encoded: false, ...overrides };
}

export function ingestSettings(overrides: Partial<IngestSettings> = {}): IngestSettings {
  return {
    topicArn: TOPIC_ARN,
    ordering: 'perRequest',
    ...DEFAULT_LIMITS,
    idempotencyWindowHours: 24,
    ...overrides,
  };
}

/** Every variable the stack gives the ingest function, with the default settings. */
export const INGEST_FUNCTION_ENV: Readonly<Record<string, string>> = {
  TOPIC_ARN,
  ORDERING: 'perRequest',
  MAX_ITEMS_PER_REQUEST: '500',
  MAX_BODY_BYTES: '65536',
  IDEMPOTENCY_WINDOW_HOURS: '24',
  ...LEDGER_ENV,
};

/** INGEST_FUNCTION_ENV, plus a Region and quiet Powertools for tests. */
export function ingestEnv(overrides: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    ...INGEST_FUNCTION_ENV,
    AWS_REGION: 'eu-west-1',
    POWERTOOLS_SERVICE_NAME: 'ingest-test',
    POWERTOOLS_METRICS_NAMESPACE: 'PipelineTest',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    ...overrides,
  };
}

export type TestIngestDeps = IngestDeps & {
  readonly sleep: Mock<(ms: number) => Promise<void>>;
  readonly ledgerError: Mock<(message: string, error: unknown) => void>;
};

/** Runs every request as it comes: the tests of the Powertools utility are in idempotency.test.ts. */
export const runEveryTime: Idempotency = { once: (_request, run) => run() };

/**
 * Fixed clock, ids `random-1`, `random-2`, ..., a `sleep` that returns at once but records the wait,
 * the ledger in memory and no idempotency records unless given.
 */
export function ingestDeps(
  sns: SNSClient,
  overrides: Partial<Pick<IngestDeps, 'clock' | 'randomId' | 'ledger' | 'idempotency'>> = {},
): TestIngestDeps {
  let next = 0;
  return {
    sns,
    clock: () => new Date(FIXED_NOW),
    randomId: () => {
      next += 1;
      return `random-${next}`;
    },
    ledger: fakeLedger(),
    idempotency: runEveryTime,
    ...overrides,
    sleep: vi.fn(async (_ms: number): Promise<void> => undefined),
    ledgerError: vi.fn(),
  };
}

export { lambdaContext, v1Event, v2Event } from '../support/lambda-events';

/** `count` distinct items 1..count, e.g. 23 items for chunks of 10, 10 and 3. */
export const itemsUpTo = (count: number): number[] => Array.from({ length: count }, (_, i) => i + 1);

/** Awaits a promise that must reject and returns the rejection, so tests can assert on its fields. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

/** Calls `fn`, which must throw, and returns what it threw. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw, but it returned');
}

/** Calls `read`, which must fail with a ConfigError, and returns the error's message. */
export function configErrorMessage(read: () => unknown): string {
  const error = thrownBy(read);
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).code).toBe('INVALID_CONFIG');
  return (error as ConfigError).message;
}

/**
 * the dispatcher holds every SendMessageBatch until `release()`, then answers with `answer`: the request that
 * sent it stays in flight meanwhile (a duplicate can arrive).
 */
export function holdSends(
  snsMock: AwsClientStub<SNSClient>,
  answer: (input: PublishBatchCommandInput) => Partial<PublishBatchCommandOutput>,
): { release(): void } {
  const held: (() => void)[] = [];
  snsMock
    .on(PublishBatchCommand)
    .callsFake(
      (input: PublishBatchCommandInput) => new Promise((resolve) => held.push(() => resolve(answer(input)))),
    );
  return {
    release: () => {
      for (const resolve of held.splice(0)) resolve();
    },
  };
}
