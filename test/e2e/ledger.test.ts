import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeDeployment } from '../../cdk/ops/deployment';
import { postItems } from '../../cdk/ops/pipeline-client';
import { getRequestStatus, statusUrlOf, waitForRequest } from '../../cdk/ops/request-status';
import { deployment, pollUntil, readResults } from './support';

const outputsDir = mkdtempSync(path.join(tmpdir(), 'ledger-'));
afterAll(() => rmSync(outputsDir, { recursive: true, force: true }));

const post = (items: readonly number[], idempotencyKey?: string) =>
  postItems(deployment, JSON.stringify(items), idempotencyKey ? { 'idempotency-key': idempotencyKey } : {});

/** The keys of the results objects holding items of the request. */
const objectsHolding = async (requestId: string): Promise<string[]> =>
  (await readResults())
    .filter((object) => object.body.items.some((entry) => entry.requestId === requestId))
    .map((object) => object.key)
    .sort();

describe('the request ledger, on the deployed pipeline', () => {
  it('answers the 202 with a status URL, and the status reaches stored with the objects S3 holds', async () => {
    // Act
    const answer = await post([1, 2, 3, 4]);
    const { requestId, statusUrl } = answer.json as { requestId: string; statusUrl: string };
    await waitForRequest(deployment, requestId, { timeoutMs: 60_000 });
    // The update that completes the request records its time just after the last stored item.
    const final = await pollUntil('the completion time', async () => {
      const current = await getRequestStatus(deployment, requestId);
      return current.completedAt ? current : undefined;
    });

    // Assert
    expect(answer.status).toBe(202);
    expect(statusUrl).toBe(statusUrlOf(deployment, requestId));
    expect(final).toMatchObject({
      requestId,
      status: 'stored',
      accepted: 4,
      stored: 4,
      pending: 0,
      failed: 0,
    });
    expect(final.completedAt).toEqual(expect.any(String));
    expect([...final.objects].sort()).toEqual(await objectsHolding(requestId));
  });

  it('answers a repeated Idempotency-Key with the same requestId, and other items with 422, storing nothing new', async () => {
    // Prepare
    const key = `ledger-e2e-${Date.now()}`;
    const first = await post([42], key);
    const { requestId } = first.json as { requestId: string };
    await waitForRequest(deployment, requestId, { timeoutMs: 60_000 });

    // Act
    const repeat = await post([42], key);
    const reused = await post([43, 44], key);

    // Assert
    expect(first.status).toBe(202);
    expect(repeat.status).toBe(202);
    expect((repeat.json as { requestId: string }).requestId).toBe(requestId);
    expect(reused.status).toBe(422);
    expect(reused.json).toMatchObject({ error: { code: 'IDEMPOTENCY_KEY_REUSED' } });
    const stored = (await readResults())
      .flatMap((object) => object.body.items)
      .filter((entry) => entry.requestId === requestId);
    expect(stored.map((entry) => entry.item)).toEqual([42]);
    expect(await getRequestStatus(deployment, requestId)).toMatchObject({
      status: 'stored',
      accepted: 1,
      stored: 1,
    });
  });

  it('answers 404 REQUEST_NOT_FOUND for an unknown request', async () => {
    const response = await fetch(statusUrlOf(deployment, 'no-such-request'), {
      headers: { 'x-api-key': deployment.apiKey },
    });

    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'REQUEST_NOT_FOUND' } });
  });

  it('npm run send -- --wait waits until stored and prints the objects (exit 0)', async () => {
    // Prepare
    const outputs = path.join(outputsDir, 'outputs.json');
    writeDeployment(deployment, outputs);

    // Act
    const { status, stdout } = spawnSync('npx', ['tsx', 'cdk/commands/send.ts', '--wait', '5', '6', '7'], {
      env: { ...process.env, PIPELINE_OUTPUTS: outputs },
      encoding: 'utf8',
    });

    // Assert
    expect(status).toBe(0);
    expect(stdout).toMatch(/^202 /);
    expect(stdout).toMatch(/stored 3\/3 \(0 pending, 0 failed\) in 1 object/);
    expect(stdout).toMatch(/results\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/\d{2}\/[0-9a-f]{32}\.json/);
  });
});
