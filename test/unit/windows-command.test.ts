import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analysis } from './factories.windows';

/**
 * `npm run windows` as a process, against a stub of the analyses API on 127.0.0.1 named by a
 * deployment file (PIPELINE_OUTPUTS): what it prints, and its exit codes.
 */

const WINDOWS = {
  name: 'items-60s',
  windows: [
    {
      start: '2026-11-23T10:42:00.000Z',
      end: '2026-11-23T10:43:00.000Z',
      count: 0,
      sum: 0,
      late: 0,
      final: true,
    },
    {
      start: '2026-11-23T10:42:10.000Z',
      end: '2026-11-23T10:43:10.000Z',
      count: 4,
      sum: 10,
      min: 1,
      max: 4,
      mean: 2.5,
      late: 1,
      final: false,
    },
  ],
};

const requests: { url: string; key: string | undefined }[] = [];
let server: Server;
let dir: string;
let outputs: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    requests.push({ url: request.url ?? '', key: request.headers['x-api-key'] as string | undefined });
    const url = new URL(request.url ?? '/', 'http://stub');
    const answer = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (url.pathname === '/prod/analyses') return answer(200, { analyses: [analysis()] });
    if (url.pathname === '/prod/analyses/items-60s/windows') {
      return url.searchParams.get('from') === 'soon'
        ? answer(400, {
            error: {
              code: 'INVALID_RANGE',
              message: 'from must be an ISO 8601 time like 2026-11-23T10:42:00Z (got soon)',
            },
          })
        : answer(200, WINDOWS);
    }
    return answer(404, {
      error: { code: 'ANALYSIS_NOT_FOUND', message: 'No analysis nope (registered: items-60s)' },
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  dir = mkdtempSync(path.join(tmpdir(), 'windows-command-'));
  outputs = path.join(dir, 'outputs.json');
  // No endpoint: the tool takes the file as it is, as for a deployment on AWS.
  writeFileSync(
    outputs,
    JSON.stringify({
      stackName: 'Stub',
      apiUrl: `http://127.0.0.1:${port}/prod/items`,
      apiKey: 'k-1',
      analyses: [],
    }),
  );
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the tool to its end (asynchronously: the stub answers from this process). */
async function windows(...args: string[]) {
  try {
    const { stdout, stderr } = await promisify(execFile)('npx', ['tsx', 'cdk/commands/windows.ts', ...args], {
      env: { ...process.env, PIPELINE_OUTPUTS: outputs },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

describe('npm run windows', () => {
  it("prints an analysis's windows, with the deployment's key, and exits 0", async () => {
    // Act
    const run = await windows('items-60s', '--to', '2026-11-23T10:43:00Z');

    // Assert
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout.split('\n')).toEqual([
      '2026-11-23 10:42:00-10:43:00  count 0  sum 0                           final',
      '2026-11-23 10:42:10-10:43:10  count 4  sum 10  min 1  max 4  mean 2.5  provisional  late 1',
      'items-60s: 2 windows (1 final, 1 provisional), 1 with items, 1 with late items',
      '',
    ]);
    expect(requests.at(-1)).toEqual({
      url: '/prod/analyses/items-60s/windows?to=2026-11-23T10%3A43%3A00Z',
      key: 'k-1',
    });
  });

  it('prints the answer as it is with --json', async () => {
    const run = await windows('items-60s', '--json');

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(WINDOWS);
  });

  it('lists the registered analyses without a name, and exits 0', async () => {
    const run = await windows();

    expect(run).toMatchObject({
      code: 0,
      stdout: 'items-60s  W 60 s, A 10 s, L 30 s  count, sum, min, max, mean\n',
    });
  });

  it("lists them for an unknown name too, and exits 1 with the API's message", async () => {
    const run = await windows('nope');

    expect(run.code).toBe(1);
    expect(run.stdout).toBe('items-60s  W 60 s, A 10 s, L 30 s  count, sum, min, max, mean\n');
    expect(run.stderr).toBe('error: No analysis nope (registered: items-60s)\n');
  });

  it.each([
    { args: ['items-60s', '--from', 'soon'], message: 'error: --from must be an ISO 8601 time' },
    { args: ['items-60s', 'extra'], message: 'error: windows takes one analysis name (got 2)' },
    { args: ['--since', 'x'], message: "Unknown option '--since'" },
  ])('exits 2 on $args, naming what is wrong', async ({ args, message }) => {
    const run = await windows(...args);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });
});
