/**
 * The functions' own CloudWatch metrics (Powertools, embedded metric format), in one place for the
 * handlers that publish them and the dashboard that shows them. Powertools adds a `service`
 * dimension: the publishing function's service name.
 */
export const METRICS_NAMESPACE = 'FifoBatchPipeline';

/**
 * Each stack publishes under a namespace of its own: stacks of one account (prod, staging, test)
 * then never add up on a dashboard or move each other's alarms. A stack name (at most 128 of
 * `[A-Za-z0-9-]`) keeps it within CloudWatch's 255 characters.
 */
export const metricsNamespace = (stackName: string): string => `${METRICS_NAMESPACE}/${stackName}`;

export const SERVICES = {
  ingest: 'ingest',
  batchWriter: 'batch-writer',
  status: 'status',
  closer: 'window-closer',
  analysesApi: 'analyses-api',
} as const;

/** An analysis's consumer function reports under a service of its own, so each analysis has its own figures. */
export const analysisService = (analysisName: string): string => `analysis-${analysisName}`;

export const METRIC = {
  /** ingest: items put in the dispatcher, each once (a 503's part, then its repeat's rest; a replayed 202 adds none). */
  itemsAccepted: 'ItemsAccepted',
  /** ingest: items the dispatcher took after later items of their request (a partial batch failure). */
  itemsEnqueuedOutOfOrder: 'ItemsEnqueuedOutOfOrder',
  /** ingest and status: requests answered 4xx by the function. */
  requestsRejected: 'RequestsRejected',
  /** batch writer: items written to results objects. */
  itemsStored: 'ItemsStored',
  /** batch writer: results objects written. */
  segmentsWritten: 'SegmentsWritten',
  /** batch writer: segments cut because the next item would have joined its excluded partner. */
  exclusionSplits: 'ExclusionSplits',
  /** batch writer: records reported failed (retried, or recorded as malformed). */
  itemsFailed: 'ItemsFailed',
  /** batch writer: redelivered records the ledger shows stored, acknowledged without a second write. */
  itemsAlreadyStored: 'ItemsAlreadyStored',
  /** an analysis: items written to their pane (a redelivery writes nothing new and is counted again). */
  itemsCounted: 'ItemsCounted',
  /** an analysis: items that arrived too late for at least one of their windows (counted there, not added). */
  itemsLate: 'ItemsLate',
  /** an analysis: records it moved to its dead-letter queue after its last attempt at their pane write. */
  itemsDeadLettered: 'ItemsDeadLettered',
  /** an analysis: records whose envelope is not valid, acknowledged (the storage path keeps their failure record). */
  itemsMalformed: 'ItemsMalformed',
  /** the closer: windows it wrote as final (an empty window needs no write). */
  windowsClosed: 'WindowsClosed',
  /** the closer: analyses whose windows it could not close this run (retried on the next). */
  closerErrors: 'CloserErrors',
  /** every function: ledger or idempotency-store calls that failed; the request or record went on without them. */
  ledgerErrors: 'LedgerErrors',
} as const;
