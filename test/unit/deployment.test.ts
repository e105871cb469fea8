import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../cdk/local/own-cloud';
import { type Deployment, LocalCloudNotRunningError, loadDeployment } from '../../cdk/ops/deployment';

const dir = mkdtempSync(path.join(tmpdir(), 'deployment-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An outputs file as `npm start` writes it, for a local cloud at `endpoint`. */
function outputsFile(endpoint: string): string {
  const file = path.join(dir, `outputs-${Math.random().toString(36).slice(2)}.json`);
  const deployment: Partial<Deployment> = {
    stackName: 'FifoBatchPipeline',
    endpoint,
    apiUrl: `${endpoint}/items`,
  };
  writeFileSync(file, JSON.stringify(deployment));
  return file;
}

const listening = (server: Server): Promise<number> =>
  new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    }),
  );

describe('loadDeployment from the local outputs file', () => {
  it('reads the deployment when its local cloud answers', async () => {
    // Prepare: anything that answers HTTP counts as running
    const server = createServer((_request, response) => response.writeHead(404).end());
    const port = await listening(server);
    const file = outputsFile(`http://127.0.0.1:${port}`);

    // Act
    const deployment = await loadDeployment({ outputsFile: file }).finally(() => server.close());

    // Assert
    expect(deployment.apiUrl).toBe(`http://127.0.0.1:${port}/items`);
  });

  it('says the local cloud is not running, and how to start it, when nothing answers', async () => {
    // Prepare
    const endpoint = `http://127.0.0.1:${await freePort()}`;

    // Act
    const loading = loadDeployment({ outputsFile: outputsFile(endpoint) });

    // Assert
    await expect(loading).rejects.toBeInstanceOf(LocalCloudNotRunningError);
    await expect(loadDeployment({ outputsFile: outputsFile(endpoint) })).rejects.toThrow(
      `The local cloud at ${endpoint} is not running`,
    );
    await expect(loadDeployment({ outputsFile: outputsFile(endpoint) })).rejects.toThrow('npm start');
  });
});
