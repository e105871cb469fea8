import { DEFAULT_CONFIG } from '../../cdk/lib/config';
import { median } from '../../cdk/ops/stats';
import { batchEnvironment, ingestEnvironment, ledgerEnvironment } from '../../lambdas/domain/environment';
import { faultEnvironment } from '../../lambdas/shared/fault-injection';

/** What the in-process benchmarks share: run lengths, progress, and the placeholders they deploy nothing with. */

export type Progress = (message: string) => void;

export const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:FifoBatchPipeline-items.fifo';
export const BUCKET_NAME = 'fifobatchpipeline-results-123456789012';
const DEAD_LETTER_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/FifoBatchPipeline-dlq.fifo';
const LEDGER_ENV = ledgerEnvironment({
  ledgerTableName: 'FifoBatchPipeline-RequestLedgerTable',
  ledgerRetentionDays: DEFAULT_CONFIG.ledgerRetentionDays,
});
/** The functions' environment as the stack sets it with the default settings (every variable is required). */
export const INGEST_ENV = { ...ingestEnvironment({ ...DEFAULT_CONFIG, topicArn: TOPIC_ARN }), ...LEDGER_ENV };
export const BATCH_ENV = {
  ...batchEnvironment({
    ...DEFAULT_CONFIG,
    bucketName: BUCKET_NAME,
    deadLetterQueueUrl: DEAD_LETTER_QUEUE_URL,
  }),
  ...LEDGER_ENV,
  ...faultEnvironment(DEFAULT_CONFIG),
};
/** Measured time per run of the throughput benchmarks, after a warm-up of WARMUP_MS. */
export const RUN_MS = 1000;
export const WARMUP_MS = 500;

export const medianOf = (values: readonly number[]): number => median(values) ?? Number.NaN;
