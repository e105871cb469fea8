import { setTimeout as sleep } from 'node:timers/promises';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { readBatchSettings } from '../domain/settings';
import { logger, metrics } from '../shared/observability';
import { processBatch, type QueueRecord } from './process-batch';

// Read once per cold start: a bad setting fails the first invocation with its name.
const settings = readBatchSettings(process.env);
const s3 = new S3Client({});

export const toQueueRecord = (record: SQSRecord): QueueRecord => ({
  messageId: record.messageId,
  body: record.body,
  // Without a group id every record is treated as one group: the most conservative order.
  groupId: record.attributes.MessageGroupId ?? '',
  deduplicationId: record.attributes.MessageDeduplicationId ?? record.messageId,
  receiveCount: Number(record.attributes.ApproximateReceiveCount) || 1,
});

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  logger.addContext(context);
  try {
    const outcome = await processBatch(event.Records.map(toQueueRecord), settings, {
      s3,
      clock: () => new Date(),
      random: Math.random,
      sleep: (ms) => sleep(ms),
    });
    for (const failure of outcome.failures) logger.warn('Record failed', { ...failure });
    for (const error of outcome.failureRecordErrors) logger.error('Failure record not written', { error });
    metrics.addMetric('ItemsStored', MetricUnit.Count, outcome.itemsStored);
    metrics.addMetric('SegmentsWritten', MetricUnit.Count, outcome.segmentsWritten);
    metrics.addMetric('ExclusionSplits', MetricUnit.Count, outcome.exclusionSplits);
    metrics.addMetric('ItemsFailed', MetricUnit.Count, outcome.failures.length);
    return { batchItemFailures: outcome.failedMessageIds.map((itemIdentifier) => ({ itemIdentifier })) };
  } finally {
    metrics.publishStoredMetrics();
  }
};
