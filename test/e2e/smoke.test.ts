import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeDeployment } from '../../cdk/ops/deployment';
import { formatVerdict, runSmoke } from '../../cdk/ops/smoke-run';
import { clients, deployment } from './support';

/** Runs `npm run smoke`'s command line to its end: exit code and output. */
const smokeCli = (args: readonly string[], env: Record<string, string> = {}) => {
  const { status, stdout, stderr } = spawnSync('npx', ['tsx', 'cdk/commands/smoke.ts', ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return { code: status, stdout, stderr };
};

const outputsDir = mkdtempSync(path.join(tmpdir(), 'smoke-'));
afterAll(() => rmSync(outputsDir, { recursive: true, force: true }));

describe('npm run smoke on the deployed pipeline', () => {
  it('passes: the example requests are stored keeping every checked invariant', async () => {
    // Act
    const progress: string[] = [];
    const report = await runSmoke(
      deployment,
      { clients, log: (line) => progress.push(line) },
      { timeoutMs: 120_000, pollMs: 250 },
    );

    // Assert
    expect(report.checks.filter((check) => !check.passed)).toEqual([]);
    expect(formatVerdict(report).split('\n').at(-1)).toBe('smoke: PASS');
    expect(progress.at(-1)).toMatch(/^stored 9\/9 items/);
  });

  it('exits 0 with the verdict as a command on the deployment PIPELINE_OUTPUTS names', async () => {
    // Prepare
    const outputs = path.join(outputsDir, 'outputs.json');
    writeDeployment(deployment, outputs);

    // Act
    const { code, stdout, stderr } = smokeCli(['--timeout', '120'], { PIPELINE_OUTPUTS: outputs });

    // Assert
    expect({ code, last: stdout.trim().split('\n').at(-1) }).toEqual({ code: 0, last: 'smoke: PASS' });
    expect(stdout).toMatch(/\n1 and 2 never in the same object +PASS +0 of \d+ objects hold both/);
    expect(stderr).toContain('stored 9/9 items');
  });

  it.each([
    { args: ['--timeout', 'soon'], message: '--timeout must be a number from 1 to 3600 (got soon)' },
    { args: ['--wait'], message: "Unknown option '--wait'" },
  ])('exits 2 on the usage error $args', async ({ args, message }) => {
    // Act
    const { code, stdout, stderr } = smokeCli(args);

    // Assert
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stdout).toBe('');
  });
});
