import { describe, expect, it } from 'vitest';
import { readyBanner } from '../../cdk/local/session';
import type { Deployment } from '../../cdk/ops/deployment';

const deployment = {
  auth: 'apiKey',
  region: 'us-east-1',
  apiUrl: 'http://127.0.0.1:4566/_aws/execute-api/abc/prod/items',
  apiKey: 'k-1',
  bucketName: 'bucket',
  analyses: [
    {
      name: 'items-60s',
      windowSeconds: 60,
      advanceSeconds: 10,
      aggregates: ['count', 'sum', 'mean'],
      latenessSeconds: 30,
      queueUrl: 'q',
      deadLetterQueueUrl: 'dlq',
      functionName: 'fn',
    },
  ],
} as unknown as Deployment;

describe("npm start's ready banner", () => {
  it('names each analysis with its window, advance and lateness, and the command that reads it', () => {
    // Act
    const banner = readyBanner(
      { deployment, outputsFile: '.local/outputs.json' },
      12.34,
      'http://127.0.0.1:4680/',
    );

    // Assert
    expect(banner).toContain('Ready in 12.3 s.');
    expect(banner).toContain('API key  k-1');
    expect(banner).toContain(
      'Analysis   items-60s: count, sum, mean over 60 s every 10 s (lateness 30 s)    npm run windows -- items-60s',
    );
  });

  it.each([
    {
      name: 'the API key in x-api-key',
      fields: {},
      line: 'API key  k-1',
      curl: "-H 'x-api-key: k-1' -H 'content-type: application/json'",
    },
    {
      name: "SigV4 with the emulator's credentials when auth is iam",
      fields: { auth: 'iam', apiKey: undefined },
      line: 'auth     iam: SigV4-signed requests (the tools sign them)',
      curl: "--aws-sigv4 'aws:amz:us-east-1:execute-api' --user 'test:test' -H 'content-type: application/json'",
    },
  ])('shows how to call the API: $name', ({ fields, line, curl }) => {
    // Act
    const banner = readyBanner(
      { deployment: { ...deployment, ...fields } as Deployment, outputsFile: 'o.json' },
      1,
    );

    // Assert
    expect(banner).toContain(`\n  ${line}\n`);
    expect(banner).toContain(`\n    ${curl} -d '[1,2,3,4]'\n`);
  });

  it('says nothing of analyses when none is registered', () => {
    const banner = readyBanner({ deployment: { ...deployment, analyses: [] }, outputsFile: 'o.json' }, 1);

    expect(banner).not.toContain('Analysis');
    expect(banner).not.toContain('Dashboard');
  });
});
