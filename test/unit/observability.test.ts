import { afterEach, describe, expect, it, vi } from 'vitest';
import { restoreFunctionRuntime, stubEnvironment } from './function-output';

afterEach(restoreFunctionRuntime);

describe("the functions' logger", () => {
  it('logs the Node.js version once when a function is loaded (its cold start), to check against its runtime', async () => {
    // Prepare: dev mode prints to the global console; capturePrinted drops this line, so it is caught here
    stubEnvironment({
      POWERTOOLS_DEV: 'true',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      POWERTOOLS_SERVICE_NAME: 'ingest',
    });
    const info = vi.spyOn(console, 'info').mockImplementation(() => undefined);
    vi.resetModules();

    // Act
    await import('../../lambdas/shared/observability');

    // Assert
    const lines = info.mock.calls.map(([line]) => JSON.parse(String(line)));
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'Cold start',
        service: 'ingest',
        nodeVersion: process.version,
      }),
    ]);
  });
});
