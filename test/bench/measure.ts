import { median } from '../../cdk/ops/stats';

/** What the in-process benchmarks share: run lengths, progress, and the placeholders they deploy nothing with. */

export type Progress = (message: string) => void;

export const METRICS_NAMESPACE = 'FifoBatchPipeline';
export const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/FifoBatchPipeline-items.fifo';
export const BUCKET_NAME = 'fifobatchpipeline-results-123456789012';
/** Measured time per run of the throughput benchmarks, after a warm-up of WARMUP_MS. */
export const RUN_MS = 1000;
export const WARMUP_MS = 500;

export const medianOf = (values: readonly number[]): number => median(values) ?? Number.NaN;
