import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  type AttributeValue,
  DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { clientConfig, writeDeployment } from '../../cdk/ops/deployment';
import { postItems } from '../../cdk/ops/pipeline-client';
import { deploymentStatusUrl, getRequestStatus, waitForRequest } from '../../cdk/ops/status-client';
import { acceptedUpdate, entryRequest, storedUpdate } from '../../lambdas/ledger/ledger-inputs';
import { statusEvent, v1Event } from '../support/lambda-events';
import { deployment, readResults } from './support';

const lambda = new LambdaClient(clientConfig(deployment));

/** Invokes a deployed function with an API Gateway event and returns its proxy answer. */
async function invoke(functionName: string, event: unknown): Promise<{ statusCode: number; body: string }> {
  const { Payload, FunctionError } = await lambda.send(
    new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(event)) }),
  );
  const text = Buffer.from(Payload ?? new Uint8Array()).toString('utf8');
  if (FunctionError) throw new Error(`${functionName} failed: ${text}`);
  return JSON.parse(text) as { statusCode: number; body: string };
}

/** The status function is not among the tools' outputs; the stack names it. */
async function statusFunctionName(): Promise<string> {
  const cloudFormation = new CloudFormationClient(clientConfig(deployment));
  const { Stacks } = await cloudFormation.send(
    new DescribeStacksCommand({ StackName: deployment.stackName }),
  );
  const name = Stacks?.[0]?.Outputs?.find((output) => output.OutputKey === 'StatusFunctionName')?.OutputValue;
  if (!name) throw new Error(`stack ${deployment.stackName} has no StatusFunctionName output`);
  return name;
}

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
    const final = await getRequestStatus(deployment, requestId);

    // Assert
    expect(answer.status).toBe(202);
    expect(statusUrl).toBe(deploymentStatusUrl(deployment, requestId));
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
    const response = await fetch(deploymentStatusUrl(deployment, 'no-such-request'), {
      headers: { 'x-api-key': deployment.apiKey },
    });

    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'REQUEST_NOT_FOUND' } });
  });

  // The emulator resolves the x-api-key but passes no identity.apiKeyId to the functions (MiniStack
  // 1.5.33), so every HTTP caller is one scope there. API Gateway's part is played here: the deployed
  // functions are invoked with the events API Gateway sends on AWS, each carrying its key's id.
  it('answers 404 to another API key for a request the first key sent, and 200 to the first', async () => {
    // Prepare
    const accepted = await invoke(
      deployment.ingestFunctionName,
      v1Event({ body: '[8,9]', apiKeyId: 'key-id-A' }),
    );
    const { requestId } = JSON.parse(accepted.body) as { requestId: string };

    // Act
    const asOwner = await invoke(await statusFunctionName(), statusEvent(requestId, 'key-id-A'));
    const asOther = await invoke(await statusFunctionName(), statusEvent(requestId, 'key-id-B'));
    const overHttp = await fetch(deploymentStatusUrl(deployment, requestId), {
      headers: { 'x-api-key': deployment.apiKey },
    });

    // Assert
    expect(accepted.statusCode).toBe(202);
    expect(asOwner.statusCode).toBe(200);
    expect(JSON.parse(asOwner.body)).toMatchObject({ requestId, accepted: 2 });
    expect(asOther.statusCode).toBe(404);
    expect(JSON.parse(asOther.body)).toStrictEqual({
      error: { code: 'REQUEST_NOT_FOUND', message: `No request ${requestId} for this caller` },
    });
    // The emulator's callers (no key id) are a third scope: the request is not theirs either.
    expect(overHttp.status).toBe(404);
  });

  it('scopes a request an assumed role signed to the role: a later session repeats and reads it, another role gets 404', async () => {
    // Prepare: API Gateway's part (the verified caller in the identity) is played by the event, as above
    const role = 'arn:aws:sts::123456789012:assumed-role/e2e-producer';
    const signedBy = (session: string) => `${role}/${session}`;
    const headers = { 'Content-Type': 'application/json', 'Idempotency-Key': `iam-e2e-${Date.now()}` };
    const first = await invoke(
      deployment.ingestFunctionName,
      v1Event({ body: '[11,12]', headers, apiKeyId: null, userArn: signedBy('session-1') }),
    );
    const { requestId } = JSON.parse(first.body) as { requestId: string };

    // Act
    const retry = await invoke(
      deployment.ingestFunctionName,
      v1Event({ body: '[11,12]', headers, apiKeyId: null, userArn: signedBy('session-2') }),
    );
    const asRole = await invoke(
      await statusFunctionName(),
      statusEvent(requestId, null, signedBy('session-3')),
    );
    const asOther = await invoke(
      await statusFunctionName(),
      statusEvent(requestId, null, 'arn:aws:sts::123456789012:assumed-role/e2e-other/session-1'),
    );

    // Assert
    expect(first.statusCode).toBe(202);
    expect(retry.statusCode).toBe(202);
    expect((JSON.parse(retry.body) as { requestId: string }).requestId).toBe(requestId);
    expect(asRole.statusCode).toBe(200);
    expect(JSON.parse(asRole.body)).toMatchObject({ requestId, accepted: 2 });
    expect(asOther.statusCode).toBe(404);
  });

  it("leaves the same entry on the local cloud's DynamoDB whether ingest's write lands before or after the batch writer's", async () => {
    // Prepare: ingest writes a new request's entry while it publishes, so either may come first
    const ddb = new DynamoDBClient(clientConfig(deployment));
    const tableName = deployment.ledgerTableName ?? '';
    const context = (now: string) => ({ tableName, now: new Date(now), retentionDays: 30 });
    const writesOf = (requestId: string) => ({
      ingest: acceptedUpdate(
        {
          requestId,
          apiKeyId: 'key-id-A',
          itemCount: 2,
          itemsHash: 'hash-of-8-9',
          acceptedAt: new Date('2026-11-23T10:42:07.123Z'),
          windowStart: '2026-11-22T10:42:07.123Z',
          repeatable: false,
        },
        context('2026-11-23T10:42:07.123Z'),
      ),
      batch: storedUpdate(
        requestId,
        [0, 1],
        'results/2026/11/23/10/42/a.json',
        context('2026-11-23T10:42:08.015Z'),
      ),
    });
    const entryAfter = async (requestId: string, order: readonly ('ingest' | 'batch')[]) => {
      const writes = writesOf(requestId);
      for (const write of order) await ddb.send(new UpdateItemCommand(writes[write]));
      const { Item = {} } = await ddb.send(new GetItemCommand(entryRequest(tableName, requestId)));
      const { pk: _key, ...attributes } = Item;
      return attributes as Record<string, AttributeValue>;
    };
    const suffix = Date.now();

    // Act
    const ingestFirst = await entryAfter(`order-ingest-first-${suffix}`, ['ingest', 'batch']);
    const batchFirst = await entryAfter(`order-batch-first-${suffix}`, ['batch', 'ingest']);

    // Assert
    expect(tableName).not.toBe('');
    expect(batchFirst).toStrictEqual(ingestFirst);
    expect(batchFirst.updatedAt).toStrictEqual({ S: '2026-11-23T10:42:08.015Z' });
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
    // Three items fill one object unless the poller took the first before the others arrived.
    const objects = Number(/stored 3\/3 \(0 pending, 0 failed\) in (\d) objects?\n/.exec(stdout)?.[1]);
    const keys = stdout.match(/results\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/\d{2}\/[0-9a-f]{32}\.json/g) ?? [];
    expect(objects).toBeGreaterThanOrEqual(1);
    expect(keys).toHaveLength(objects);
  });
});
