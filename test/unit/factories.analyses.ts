import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { WindowObjects } from '../../lambdas/closer/close-windows';
import type { Analysis } from '../../lambdas/domain/analyses';
import { formatAnalysis } from '../../lambdas/domain/analyses';
import type { QueueRecord } from '../../lambdas/shared/queue-records';
import { v1Event } from '../support/lambda-events';
import { FAULTS_OFF_ENV } from './factories.batch';
import { analysis, msAfterT0, WINDOW_TABLE } from './factories.windows';

/**
 * The analyses' functions as their tests see them: item records on an analysis's queue, the
 * variables the stack sets, the closer's objects in memory and the analyses API's events.
 */

export interface ItemRecordSpec {
  readonly requestId?: string;
  readonly index?: number;
  readonly item?: number;
  /** When the item's request was accepted (epoch ms): its time in every window. */
  readonly acceptedAtMs?: number;
  readonly receiveCount?: number;
  readonly messageId?: string;
}

/** One item as the dispatcher delivers it to an analysis's queue: item 7 of req-A, accepted at T0 + 5 s, unless overridden. */
export function itemRecord({
  requestId = 'req-A',
  index = 0,
  item = 7,
  acceptedAtMs = msAfterT0(5),
  receiveCount = 1,
  messageId = `msg-${requestId}-${index}`,
}: ItemRecordSpec = {}): QueueRecord {
  return {
    messageId,
    body: JSON.stringify({ v: 1, item, requestId, index, acceptedAt: new Date(acceptedAtMs).toISOString() }),
    groupId: requestId,
    deduplicationId: `${requestId}:${index}`,
    receiveCount,
  };
}

/** A second analysis beside the default one: 5-minute tumbling windows of count and sum. */
export const fiveMinutes = (overrides: Partial<Analysis> = {}): Analysis =>
  analysis({
    name: 'items-5m',
    windowSeconds: 300,
    advanceSeconds: 300,
    aggregates: ['count', 'sum'],
    latenessSeconds: 0,
    ...overrides,
  });

export const BUCKET = 'windows-bucket';
/** The analysis functions' timeout the stack sets by default; windows settle 11 s after their end plus lateness. */
export const FUNCTION_TIMEOUT_SECONDS = 10;
export const FUNCTION_SETTLE_MS = 11_000;
export const RETENTION_DAYS = 30;

/** The windows table's variables, as the stack sets them for every function that uses it. */
export const WINDOW_ENV: Readonly<Record<string, string>> = {
  WINDOWS_TABLE_NAME: WINDOW_TABLE,
  WINDOW_RETENTION_DAYS: String(RETENTION_DAYS),
  ANALYSIS_FUNCTION_TIMEOUT_SECONDS: String(FUNCTION_TIMEOUT_SECONDS),
};

/** `ANALYSES` as the stack writes it. */
export const analysesVariable = (analyses: readonly Analysis[]): string =>
  `[${analyses.map(formatAnalysis).join(',')}]`;

/** The analysis's own dead-letter queue, where its consumer moves what failed every attempt. */
export const ANALYSIS_DEAD_LETTER_QUEUE_URL =
  'https://sqs.eu-west-1.amazonaws.com/123456789012/items-60s-dlq.fifo';

/** Every variable the stack gives an analysis's consumer, for the default analysis with its faults off. */
export const ANALYSIS_FUNCTION_ENV: Readonly<Record<string, string>> = {
  ANALYSIS: formatAnalysis(analysis()),
  ...WINDOW_ENV,
  WRITE_ATTEMPTS: '3',
  DEAD_LETTER_QUEUE_URL: ANALYSIS_DEAD_LETTER_QUEUE_URL,
  ...FAULTS_OFF_ENV,
};

/** Every variable the stack gives the window closer, with two analyses registered. */
export const CLOSER_FUNCTION_ENV: Readonly<Record<string, string>> = {
  ANALYSES: analysesVariable([analysis(), fiveMinutes()]),
  ...WINDOW_ENV,
  BUCKET_NAME: BUCKET,
};

/** Every variable the stack gives the analyses API, with two analyses registered. */
export const ANALYSES_API_ENV: Readonly<Record<string, string>> = {
  ANALYSES: analysesVariable([analysis(), fiveMinutes()]),
  ...WINDOW_ENV,
};

/**
 * A function's variables plus a Region, and Powertools in dev mode: metrics and log lines go to the
 * global console, where the tests' spies read them.
 */
export function functionEnv(
  variables: Readonly<Record<string, string>>,
  service: string,
): Record<string, string> {
  return {
    ...variables,
    AWS_REGION: 'eu-west-1',
    POWERTOOLS_DEV: 'true',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    POWERTOOLS_METRICS_DISABLED: 'false',
    POWERTOOLS_METRICS_NAMESPACE: 'FifoBatchPipelineTest',
    POWERTOOLS_SERVICE_NAME: service,
  };
}

/** The closer's S3 objects in memory, write-once as `putOnce` writes them. */
export interface FakeWindowObjects extends WindowObjects {
  /** The objects by key, as first written. */
  readonly objects: Map<string, unknown>;
  /** Every key a write was attempted for, in order. */
  readonly attempts: string[];
  /** While it answers true for a key, writes of that key fail as an S3 outage would. */
  failWhen: ((key: string) => boolean) | undefined;
}

/** `log`, e.g. the fake table's calls, also gets `PutObject <key>` for each attempt, to show the order of writes. */
export function fakeWindowObjects(log: string[] = []): FakeWindowObjects {
  const fake: FakeWindowObjects = {
    objects: new Map(),
    attempts: [],
    failWhen: undefined,
    async putFinal(key, body) {
      fake.attempts.push(key);
      log.push(`PutObject ${key}`);
      if (fake.failWhen?.(key) === true) throw new Error(`S3 rejected ${key}`);
      if (!fake.objects.has(key)) fake.objects.set(key, structuredClone(body));
    },
  };
  return fake;
}

/** `GET /analyses` as API Gateway passes it to the analyses function. */
export function analysesListEvent(): APIGatewayProxyEvent {
  const event = v1Event({ body: null, headers: {} });
  return {
    ...event,
    httpMethod: 'GET',
    resource: '/analyses',
    path: '/analyses',
    requestContext: { ...event.requestContext, httpMethod: 'GET', resourcePath: '/analyses' },
  };
}

/** `GET /analyses/{name}/windows`, with `from` and `to` when given. */
export function windowsEvent(
  name: string,
  query: { readonly from?: string; readonly to?: string } = {},
): APIGatewayProxyEvent {
  const event = analysesListEvent();
  const parameters = Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined));
  return {
    ...event,
    resource: '/analyses/{name}/windows',
    path: `/analyses/${name}/windows`,
    pathParameters: { name },
    queryStringParameters: Object.keys(parameters).length === 0 ? null : parameters,
    requestContext: { ...event.requestContext, resourcePath: '/analyses/{name}/windows' },
  };
}
