import { inject } from 'vitest';
import { readFailureRecords, readResultsObjects } from '../../cdk/ops/bucket';
import { clientsFor } from '../../cdk/ops/deployment';
import { type AcceptedRequest, auditInvariants } from '../../cdk/ops/invariants';
import { postItems } from '../../cdk/ops/pipeline-client';
import { queueDepth as queueDepthOf } from '../../cdk/ops/queues';

export const deployment = inject('deployment');
export const config = inject('config');
export const faultItem = inject('faultItem');
export const clients = clientsFor(deployment);

/** Polls until `probe` returns a value (not undefined) or the deadline passes; never a fixed sleep. */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  { timeoutMs = 60_000, everyMs = 250 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** POSTs items and expects 202; returns what the client was told was accepted. */
export async function accept(
  items: readonly number[],
  headers: Record<string, string> = {},
): Promise<AcceptedRequest> {
  const response = await postItems(deployment, JSON.stringify(items), headers);
  if (response.status !== 202)
    throw new Error(`POST ${JSON.stringify(items)} answered ${response.status} ${response.text}`);
  const { requestId, accepted } = response.json as { requestId: string; accepted: number };
  if (accepted !== items.length) throw new Error(`accepted ${accepted} of ${items.length}`);
  return { requestId, items };
}

export const readResults = () => readResultsObjects(clients, deployment.bucketName);
export const readFailures = () => readFailureRecords(clients, deployment.bucketName);

/** Stored items of the given requests, counted over every results object. */
export async function storedItemsOf(requestIds: readonly string[]): Promise<number> {
  const wanted = new Set(requestIds);
  const results = await readResults();
  return results.flatMap((object) => object.body.items).filter((entry) => wanted.has(entry.requestId)).length;
}

/** Waits until every item of these requests is in a results object, then audits the contract's Invariants. */
export async function waitAndAudit(accepted: readonly AcceptedRequest[]) {
  const total = accepted.reduce((sum, request) => sum + request.items.length, 0);
  await pollUntil('every accepted item to be stored', async () =>
    (await storedItemsOf(accepted.map((request) => request.requestId))) >= total ? true : undefined,
  );
  const [results, failures] = await Promise.all([readResults(), readFailures()]);
  return {
    results,
    audit: auditInvariants({
      accepted,
      results,
      failures,
      batchSize: config.batchSize,
      exclusionPairs: config.exclusionPairs,
    }),
  };
}

export const queueDepth = (queueUrl: string) => queueDepthOf(clients, queueUrl);
