import { createServer, type Server, type Socket } from 'node:net';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ledgerClient } from '../../lambdas/shared/ledger-client';
import { rejectionOf } from './factories.ingest';

/** A DynamoDB endpoint on this machine that accepts connections and never answers. */
let server: Server;
let connections: Socket[];

beforeEach(async () => {
  connections = [];
  server = createServer((socket) => connections.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', `http://127.0.0.1:${port}`);
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
});

afterEach(async () => {
  vi.unstubAllEnvs();
  for (const socket of connections) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

describe('ledgerClient', () => {
  it('gives up on a DynamoDB that never answers after two attempts of a second each', async () => {
    // Prepare
    const started = Date.now();

    // Act
    const error = await rejectionOf(
      ledgerClient().send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'request#r' } } })),
    );

    // Assert: well within the batch function's shortest timeout, the local 2 s, plus the retry pause
    const elapsed = Date.now() - started;
    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(connections).toHaveLength(2);
    expect(elapsed).toBeGreaterThanOrEqual(2_000);
    expect(elapsed).toBeLessThan(3_500);
  });
});
