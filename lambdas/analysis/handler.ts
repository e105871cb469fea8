import { setTimeout as sleep } from 'node:timers/promises';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { readAnalysis, readAttemptSettings, readWindowSettings } from '../domain/environment';
import { settleMsFor } from '../domain/windows';
import { crashAfterWrites, readFaultSettings } from '../shared/fault-injection';
import { METRIC } from '../shared/metric-names';
import { logger, metrics } from '../shared/observability';
import { toQueueRecord } from '../shared/queue-records';
import { sqsDeadLetters } from '../shared/sqs-dead-letters';
import { dynamoDbWindows } from '../windows/dynamodb-windows';
import { withWindowFaults } from './fault-injection';
import { type RecordOutcome, recordItems } from './record-items';

// Read once per cold start: a missing or bad setting fails the first invocation with its name.
const analysis = readAnalysis(process.env);
const settings = readWindowSettings(process.env);
const attempts = readAttemptSettings(process.env);
const faults = readFaultSettings(process.env);
const windows = withWindowFaults(
  dynamoDbWindows(new DynamoDBClient({}), {
    tableName: settings.windowsTableName,
    analysis,
    retention: {
      settleMs: settleMsFor(settings.analysisFunctionTimeoutSeconds),
      retentionDays: settings.windowRetentionDays,
    },
  }),
  faults,
  Math.random,
);
const clock = () => new Date();
const deadLetters = sqsDeadLetters(new SQSClient({}), attempts.deadLetterQueueUrl);

function report(outcome: RecordOutcome): void {
  for (const failure of outcome.failures)
    logger.warn('Record failed', { ...failure, attempts: outcome.attempts });
  for (const record of outcome.malformed) logger.warn('Malformed record, acknowledged', { ...record });
  if (outcome.itemsLate > 0)
    logger.info('Items late for some of their windows', { items: outcome.itemsLate });
  metrics.addMetric(METRIC.itemsCounted, MetricUnit.Count, outcome.itemsCounted);
  metrics.addMetric(METRIC.itemsLate, MetricUnit.Count, outcome.itemsLate);
  metrics.addMetric(METRIC.itemsFailed, MetricUnit.Count, outcome.failures.length);
  metrics.addMetric(METRIC.itemsDeadLettered, MetricUnit.Count, outcome.deadLettered);
  metrics.addMetric(METRIC.itemsMalformed, MetricUnit.Count, outcome.malformed.length);
}

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  logger.addContext(context);
  try {
    const records = event.Records.map(toQueueRecord);
    const outcome = await recordItems(records, analysis, attempts.writeAttempts, {
      windows,
      clock,
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
