import { describe, expect, it } from 'vitest';
import { readyBanner } from '../../cdk/local/session';
import type { Deployment } from '../../cdk/ops/deployment';

const deployment = {
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

  it('says nothing of analyses when none is registered', () => {
    const banner = readyBanner({ deployment: { ...deployment, analyses: [] }, outputsFile: 'o.json' }, 1);

    expect(banner).not.toContain('Analysis');
    expect(banner).not.toContain('Dashboard');
  });
});
