import { setTimeout as sleep } from 'node:timers/promises';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { readBatchSettings, readLedgerSettings } from '../domain/environment';
import { dynamoDbLedger } from '../ledger/dynamodb-ledger';
import { callBudgetMs, withTimeBudget } from '../ledger/time-budget';
import { crashAfterWrites, readFaultSettings } from '../shared/fault-injection';
import { ledgerClient } from '../shared/ledger-client';
import { METRIC } from '../shared/metric-names';
import { logger, metrics } from '../shared/observability';
import { toQueueRecord } from '../shared/queue-records';
import { sqsDeadLetters } from '../shared/sqs-dead-letters';
import { withStorageFaults } from './fault-injection';
import { type BatchOutcome, processBatch } from './process-batch';
import { s3ObjectStore } from './s3-object-store';

// Read once per cold start: a missing or bad setting fails the first invocation with its name.
const settings = readBatchSettings(process.env);
const faults = readFaultSettings(process.env);
const store = withStorageFaults(
  s3ObjectStore(new S3Client({}), settings.bucketName, (ms) => sleep(ms)),
  faults,
  Math.random,
);
const clock = () => new Date();
const deadLetters = sqsDeadLetters(new SQSClient({}), settings.deadLetterQueueUrl);
const { ledgerTableName, ledgerRetentionDays } = readLedgerSettings(process.env);
const ledger = dynamoDbLedger(ledgerClient(), {
  tableName: ledgerTableName,
  retentionDays: ledgerRetentionDays,
  clock,
});

function report(outcome: BatchOutcome): void {
  for (const { key, items } of outcome.written) logger.info('Segment stored', { items, key });
  for (const { item, reason, receiveCount, next, error, messageId } of outcome.failures) {
    logger.warn('Record failed', {
      item,
      reason,
      receiveCount,
      attempts: outcome.attempts,
      next,
      error,
      messageId,
    });
  }
  for (const error of outcome.failureRecordErrors) logger.error('Failure record not written', { error });
  if (outcome.itemsAlreadyStored > 0) {
    logger.info('Redelivered items already stored, acknowledged', { items: outcome.itemsAlreadyStored });
  }
  for (const error of outcome.ledgerErrors) logger.warn('Ledger not updated', { error });
  metrics.addMetric(METRIC.itemsStored, MetricUnit.Count, outcome.itemsStored);
  metrics.addMetric(METRIC.segmentsWritten, MetricUnit.Count, outcome.segmentsWritten);
  metrics.addMetric(METRIC.exclusionSplits, MetricUnit.Count, outcome.exclusionSplits);
  metrics.addMetric(METRIC.itemsFailed, MetricUnit.Count, outcome.failures.length);
  metrics.addMetric(METRIC.itemsAlreadyStored, MetricUnit.Count, outcome.itemsAlreadyStored);
  metrics.addMetric(METRIC.ledgerErrors, MetricUnit.Count, outcome.ledgerErrors.length);
}

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  logger.addContext(context);
  try {
    const records = event.Records.map(toQueueRecord);
    const outcome = await processBatch(records, settings, {
      store,
      clock,
      ledger: withTimeBudget(ledger, () => callBudgetMs(context.getRemainingTimeInMillis())),
      deadLetters,
      pause: (ms) => sleep(ms),
    });
    crashAfterWrites(faults, Math.random, records.length);
    report(outcome);
    return { batchItemFailures: outcome.failedMessageIds.map((itemIdentifier) => ({ itemIdentifier })) };
  } finally {
    metrics.publishStoredMetrics();
  }
};
