import { describe, expect, it } from 'vitest';
import { postItems } from '../../cdk/ops/pipeline-client';
import { getRequestStatus, waitForRequest } from '../../cdk/ops/status-client';
import { deployment, queueDepth, readResults } from '../e2e/support';

/** SQS FIFO forgets a deduplication id after 5 minutes; the ledger's window is hours (24 by default). */
const REPEAT_AFTER_MS = 10 * 60_000;

const post = (items: readonly number[], idempotencyKey: string) =>
  postItems(deployment, JSON.stringify(items), { 'idempotency-key': idempotencyKey });

const itemsStoredFor = async (requestId: string): Promise<number[]> =>
  (await readResults())
    .flatMap((object) => object.body.items)
    .filter((entry) => entry.requestId === requestId)
    .map((entry) => entry.item);

/** Waits until a moment: the event this test waits for is time passing beyond SQS's deduplication window. */
async function waitUntil(moment: number): Promise<void> {
  while (Date.now() < moment) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, moment - Date.now())));
    console.error(`[slow] ${Math.max(0, Math.ceil((moment - Date.now()) / 1000))} s to the repeat`);
  }
}

describe('an Idempotency-Key past SQS deduplication window', () => {
  it('answers an exact repeat after 10 minutes with the original requestId and stores nothing new', async () => {
    // Prepare
    const key = `slow-${Date.now()}`;
    const first = await post([21, 22, 23], key);
    const { requestId } = first.json as { requestId: string };
    await waitForRequest(deployment, requestId, { timeoutMs: 60_000 });
    await waitUntil(Date.now() + REPEAT_AFTER_MS);

    // Act
    const repeat = await post([21, 22, 23], key);
    const reused = await post([21, 22, 24], key);
    // Anything the repeat had enqueued would be in the queue or already in S3 by the time it drains.
    await expect
      .poll(async () => queueDepth(deployment.queueUrl), { timeout: 30_000, interval: 500 })
      .toEqual({ visible: 0, inFlight: 0 });

    // Assert
    expect(first.status).toBe(202);
    expect(repeat.status).toBe(202);
    expect(repeat.json).toEqual(first.json);
    expect(reused.status).toBe(422);
    expect(reused.json).toMatchObject({ error: { code: 'IDEMPOTENCY_KEY_REUSED' } });
    expect((await itemsStoredFor(requestId)).sort()).toEqual([21, 22, 23]);
    expect(await getRequestStatus(deployment, requestId)).toMatchObject({
      status: 'stored',
      accepted: 3,
      stored: 3,
    });
  });
});
