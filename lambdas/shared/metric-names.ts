/**
 * The functions' own CloudWatch metrics (Powertools, embedded metric format), in one place for the
 * handlers that publish them and the dashboard that shows them. Powertools adds a `service`
 * dimension: the publishing function's service name.
 */
export const METRICS_NAMESPACE = 'FifoBatchPipeline';

export const SERVICES = { ingest: 'ingest', batchWriter: 'batch-writer' } as const;

export const METRIC = {
  /** ingest: items in SQS, per request (also the part of a 503 that went in). */
  itemsAccepted: 'ItemsAccepted',
  /** ingest: items SQS took after later items of their request (a partial batch failure). */
  itemsEnqueuedOutOfOrder: 'ItemsEnqueuedOutOfOrder',
  /** ingest: requests answered 4xx by the function. */
  requestsRejected: 'RequestsRejected',
  /** batch writer: items written to results objects. */
  itemsStored: 'ItemsStored',
  /** batch writer: results objects written. */
  segmentsWritten: 'SegmentsWritten',
  /** batch writer: segments cut because the next item would have joined its excluded partner. */
  exclusionSplits: 'ExclusionSplits',
  /** batch writer: records reported failed (retried, or recorded as malformed). */
  itemsFailed: 'ItemsFailed',
} as const;
