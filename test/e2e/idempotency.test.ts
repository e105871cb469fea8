import { describe, expect, it } from 'vitest';
import { accept, pollUntil, storedItemsOf } from './support';

describe('Idempotency-Key', () => {
  it('answers the same requestId for a repeat and stores each item once', async () => {
    // Prepare
    const headers = { 'idempotency-key': `e2e-${Date.now()}` };
    const items = [31, 32, 33];

    // Act
    const first = await accept(items, headers);
    const repeat = await accept(items, headers);
    const sentinel = await accept([34]);
    await pollUntil('the request and a later sentinel to be stored', async () =>
      (await storedItemsOf([first.requestId])) >= 3 && (await storedItemsOf([sentinel.requestId])) === 1
        ? true
        : undefined,
    );

    // Assert
    expect(repeat.requestId).toBe(first.requestId);
    expect(await storedItemsOf([first.requestId])).toBe(3);
  });

  it('keeps two requests that send the same item apart (deduplication is never content-based)', async () => {
    const a = await accept([35]);
    const b = await accept([35]);

    await pollUntil('both items to be stored', async () =>
      (await storedItemsOf([a.requestId, b.requestId])) === 2 ? true : undefined,
    );

    expect(a.requestId).not.toBe(b.requestId);
  });
});
