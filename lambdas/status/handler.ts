import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { readStatusSettings } from '../domain/environment';
import { LedgerUnavailableError, RequestNotFoundError } from '../domain/ledger';
import { readEntry } from '../ledger/dynamodb-ledger';
import { type ApiEvent, errorAnswer, jsonResponse, toApiRequest } from '../shared/http';
import { ledgerClient } from '../shared/ledger-client';
import { METRIC } from '../shared/metric-names';
import { logger, metrics } from '../shared/observability';
import { readRequestStatus } from './read-status';

// Read once per cold start: a bad setting fails the first invocation with its name.
const settings = readStatusSettings(process.env);
const ddb = ledgerClient();
const ledger = { read: (requestId: string) => readEntry(ddb, settings.ledgerTableName, requestId) };

/** `GET /requests/{requestId}`: 200 with the status, 404 REQUEST_NOT_FOUND, or 503 LEDGER_UNAVAILABLE. */
export const handler = async (event: ApiEvent, context: Context): Promise<APIGatewayProxyResult> => {
  logger.addContext(context);
  try {
    const status = await readRequestStatus(ledger, {
      requestId: event.pathParameters?.requestId,
      callerScope: toApiRequest(event).callerScope,
      now: new Date(),
      staleAfterSeconds: settings.staleAfterSeconds,
    });
    return jsonResponse(200, status);
  } catch (error) {
    // Stryker disable next-line ConditionalExpression: readRequestStatus throws only these two; any other error is a bug's, and fails the invocation
    if (!(error instanceof RequestNotFoundError || error instanceof LedgerUnavailableError)) throw error;
    if (error instanceof LedgerUnavailableError) {
      metrics.addMetric(METRIC.ledgerErrors, MetricUnit.Count, 1);
      logger.error('Ledger not readable', { error });
    } else {
      metrics.addMetric(METRIC.requestsRejected, MetricUnit.Count, 1);
    }
    return errorAnswer(error);
  } finally {
    metrics.publishStoredMetrics();
  }
};
