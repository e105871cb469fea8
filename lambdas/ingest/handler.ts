import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { SNSClient } from '@aws-sdk/client-sns';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { readIngestSettings, readLedgerSettings } from '../domain/environment';
import { EnqueueFailedError, RequestRejectedError } from '../domain/errors';
import { IdempotencyKeyReusedError, RequestInProgressError } from '../domain/ledger';
import { parseItemsRequest } from '../domain/request';
import { dynamoDbLedger } from '../ledger/dynamodb-ledger';
import { callBudgetMs, withTimeBudget } from '../ledger/time-budget';
import { type ApiEvent, errorAnswer, jsonResponse, toApiRequest } from '../shared/http';
import { ledgerClient } from '../shared/ledger-client';
import { METRIC } from '../shared/metric-names';
import { logger, metrics } from '../shared/observability';
import { type Accepted, acceptItems, type IngestDeps } from './accept-items';
import { powertoolsIdempotency } from './idempotency';
import { statusUrlOf } from './status-url';

// Read once per cold start: a bad setting fails the first invocation with its name.
const settings = readIngestSettings(process.env);
const { ledgerTableName, ledgerRetentionDays } = readLedgerSettings(process.env);
const clock = () => new Date();
const ddb = ledgerClient();
const ledgerError = (message: string, error: unknown): void => {
  metrics.addMetric(METRIC.ledgerErrors, MetricUnit.Count, 1);
  logger.warn(message, { error });
};
const idempotency = powertoolsIdempotency({
  client: ddb,
  tableName: ledgerTableName,
  windowHours: settings.idempotencyWindowHours,
  onStoreError: ledgerError,
});
const ledger = dynamoDbLedger(ddb, { tableName: ledgerTableName, retentionDays: ledgerRetentionDays, clock });
const deps: Omit<IngestDeps, 'ledger'> = {
  sns: new SNSClient({}),
  clock,
  randomId: randomUUID,
  sleep: (ms) => sleep(ms),
  idempotency,
  ledgerError,
};

/** The 202: the request id, the count, and where to follow the request (`Location` too) when the ledger has it. */
function acceptedResponse(event: ApiEvent, accepted: Accepted): APIGatewayProxyResult {
  const { requestId, enqueuedOutOfOrder } = accepted;
  const statusUrl = accepted.tracked ? statusUrlOf(event, requestId) : undefined;
  // JSON leaves an undefined statusUrl out.
  const response = jsonResponse(202, {
    requestId,
    accepted: accepted.accepted,
    statusUrl,
    ...(enqueuedOutOfOrder.length === 0 ? {} : { enqueuedOutOfOrder }),
  });
  return statusUrl === undefined
    ? response
    : { ...response, headers: { ...response.headers, location: statusUrl } };
}

export const handler = async (event: ApiEvent, context: Context): Promise<APIGatewayProxyResult> => {
  logger.addContext(context);
  idempotency.registerLambdaContext(context);
  try {
    const request = toApiRequest(event);
    const items = parseItemsRequest(request, settings);
    const accepted = await acceptItems(items, request.callerScope, settings, {
      ...deps,
      ledger: withTimeBudget(ledger, () => callBudgetMs(context.getRemainingTimeInMillis())),
    });
    const { requestId, enqueuedOutOfOrder, enqueuedNow } = accepted;
    metrics.addMetric(METRIC.itemsAccepted, MetricUnit.Count, enqueuedNow);
    logger.info('Request accepted', { requestId, accepted: accepted.accepted, enqueuedNow });
    // A repeat answered from its idempotency record counted its items when they were enqueued.
    if (enqueuedOutOfOrder.length > 0 && enqueuedNow > 0) {
      // Rare (the dispatcher failed single entries of a batch): said to the client and counted, never hidden.
      metrics.addMetric(METRIC.itemsEnqueuedOutOfOrder, MetricUnit.Count, enqueuedOutOfOrder.length);
      logger.warn('Items enqueued out of order', { requestId, enqueuedOutOfOrder });
    }
    return acceptedResponse(event, accepted);
  } catch (error) {
    if (error instanceof EnqueueFailedError) {
      // A fault, not the client's: what the dispatcher took counts as accepted, and a repeat completes the rest.
      metrics.addMetric(METRIC.itemsAccepted, MetricUnit.Count, error.enqueuedNow);
      logger.error('Dispatcher kept failing', { error });
      return errorAnswer(error);
    }
    if (
      error instanceof RequestRejectedError ||
      error instanceof RequestInProgressError ||
      error instanceof IdempotencyKeyReusedError
    ) {
      metrics.addMetric(METRIC.requestsRejected, MetricUnit.Count, 1);
      logger.info('Request rejected', { code: error.code, ...error.fields });
      return errorAnswer(error);
    }
    throw error;
  } finally {
    metrics.publishStoredMetrics();
  }
};
