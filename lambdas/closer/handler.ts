import { setTimeout as sleep } from 'node:timers/promises';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { readAnalyses, readBucketName, readWindowSettings } from '../domain/environment';
import { settleMsFor } from '../domain/windows';
import { METRIC } from '../shared/metric-names';
import { logger, metrics } from '../shared/observability';
import { s3JsonWriter } from '../shared/s3-json';
import { dynamoDbWindows } from '../windows/dynamodb-windows';
import { type CloseOutcome, type CloserSettings, closeWindows } from './close-windows';

/** A few minutes of windows per run, whatever the advance: a run that is behind catches up over the next ones. */
const MAX_WINDOWS_PER_RUN = 360;
/** The first run of an analysis closes from an hour back: a deploy's first items are never skipped. */
const FIRST_LOOKBACK_SECONDS = 3_600;

// Read once per cold start: a missing or bad setting fails the first invocation with its name.
const analyses = readAnalyses(process.env);
const settings = readWindowSettings(process.env);
const ddb = new DynamoDBClient({});
const objects = s3JsonWriter(new S3Client({}), readBucketName(process.env), (ms) => sleep(ms));
const retention = {
  settleMs: settleMsFor(settings.analysisFunctionTimeoutSeconds),
  retentionDays: settings.windowRetentionDays,
};
const closerSettings: CloserSettings = {
  settleMs: retention.settleMs,
  maxWindowsPerRun: MAX_WINDOWS_PER_RUN,
  firstLookbackSeconds: FIRST_LOOKBACK_SECONDS,
};
const clock = () => new Date();

/** Closes every analysis's final windows; one analysis failing does not stop the others. */
export const handler = async (_event: unknown, context: Context): Promise<CloseOutcome[]> => {
  logger.addContext(context);
  try {
    const settled = await Promise.allSettled(
      analyses.map((analysis) =>
        closeWindows(analysis, closerSettings, {
          windows: dynamoDbWindows(ddb, { tableName: settings.windowsTableName, analysis, retention }),
          objects: { putFinal: (key, body) => objects.putOnce(key, body) },
          clock,
        }),
      ),
    );
    const outcomes: CloseOutcome[] = [];
    const errors: unknown[] = [];
    for (const [position, result] of settled.entries()) {
      if (result.status === 'fulfilled') {
        outcomes.push(result.value);
        if (result.value.closed > 0) logger.info('Windows closed', { ...result.value });
        metrics.addMetric(METRIC.windowsClosed, MetricUnit.Count, result.value.written);
      } else {
        errors.push(result.reason);
        logger.error('Windows not closed; the next run retries', {
          // Stryker disable next-line OptionalChaining: settled holds one result per analysis, in their order
          analysis: analyses[position]?.name,
          error: result.reason,
        });
      }
    }
    metrics.addMetric(METRIC.closerErrors, MetricUnit.Count, errors.length);
    // The invocation fails, so the function's error alarm fires; every write was write-once.
    if (errors.length > 0) throw new AggregateError(errors, `${errors.length} analyses not closed`);
    return outcomes;
  } finally {
    metrics.publishStoredMetrics();
  }
};
