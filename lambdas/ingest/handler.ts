import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { EnqueueFailedError, RequestRejectedError } from '../domain/errors';
import { parseItemsRequest } from '../domain/request';
import { readIngestSettings } from '../domain/settings';
import { METRIC } from '../shared/metric-names';
import { logger, metrics } from '../shared/observability';
import { acceptItems, type IngestDeps } from './accept-items';
import { type ApiEvent, errorResponse, jsonResponse, toApiRequest } from './http';

// Read once per cold start: a bad setting fails the first invocation with its name.
const settings = readIngestSettings(process.env);
const deps: IngestDeps = {
  sqs: new SQSClient({}),
  clock: () => new Date(),
  randomId: randomUUID,
  sleep: (ms) => sleep(ms),
};

export const handler = async (event: ApiEvent, context: Context): Promise<APIGatewayProxyResult> => {
  logger.addContext(context);
  try {
    const request = toApiRequest(event);
    const items = parseItemsRequest(request, settings);
    const { requestId, accepted, enqueuedOutOfOrder } = await acceptItems(
      items,
      request.callerScope,
      settings,
      deps,
    );
    metrics.addMetric(METRIC.itemsAccepted, MetricUnit.Count, accepted);
    logger.info('Request accepted', { requestId, accepted });
    if (enqueuedOutOfOrder.length === 0) return jsonResponse(202, { requestId, accepted });
    // Rare (SQS failed single entries of a batch): said to the client and counted, never hidden.
    metrics.addMetric(METRIC.itemsEnqueuedOutOfOrder, MetricUnit.Count, enqueuedOutOfOrder.length);
    logger.warn('Items enqueued out of order', { requestId, enqueuedOutOfOrder });
    return jsonResponse(202, { requestId, accepted, enqueuedOutOfOrder });
  } catch (error) {
    if (error instanceof RequestRejectedError) {
      metrics.addMetric(METRIC.requestsRejected, MetricUnit.Count, 1);
      logger.info('Request rejected', { code: error.code, index: error.index });
      return errorResponse(error.status, { code: error.code, message: error.message, index: error.index });
    }
    if (error instanceof EnqueueFailedError) {
      metrics.addMetric(METRIC.itemsAccepted, MetricUnit.Count, error.enqueued);
      logger.error('Queue kept failing', { error });
      return errorResponse(error.status, {
        code: error.code,
        message: `${error.message}. Retry with the same Idempotency-Key to complete it without duplicates.`,
        requestId: error.requestId,
        enqueued: error.enqueued,
      });
    }
    throw error;
  } finally {
    metrics.publishStoredMetrics();
  }
};
