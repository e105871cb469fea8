import { describe, expect, it } from 'vitest';
import { postItems } from '../../cdk/ops/pipeline-client';
import { accept, deployment, pollUntil, readResults, storedItemsOf } from './support';

const oversize = `[${Array.from({ length: 501 }, () => 1).join(',')}]`;
const hugeBody = `[1${' '.repeat(70 * 1024)}]`;

describe('rejected requests', () => {
  it.each([
    ['malformed JSON', '[1,2', {}, 400, 'MALFORMED_JSON', undefined],
    ['an object', '{"items":[1]}', {}, 400, 'NOT_AN_ARRAY', undefined],
    ['an empty array', '[]', {}, 400, 'EMPTY_ARRAY', undefined],
    ['a float at index 2', '[1,2,3.5]', {}, 400, 'INVALID_ITEM', 2],
    ['an unsafe integer at index 0', '[9007199254740993]', {}, 400, 'INVALID_ITEM', 0],
    ['a string at index 1', '[1,"2"]', {}, 400, 'INVALID_ITEM', 1],
    ['501 items', oversize, {}, 413, 'TOO_MANY_ITEMS', undefined],
    ['a body over 64 KiB', hugeBody, {}, 413, 'PAYLOAD_TOO_LARGE', undefined],
    ['text/plain', '[1]', { 'content-type': 'text/plain' }, 415, 'UNSUPPORTED_MEDIA_TYPE', undefined],
    [
      'a bad Idempotency-Key',
      '[1]',
      { 'idempotency-key': 'not valid!' },
      400,
      'INVALID_IDEMPOTENCY_KEY',
      undefined,
    ],
  ])(
    'answers %s with %#: the documented status and code',
    async (_name, body, headers, status, code, index) => {
      const response = await postItems(deployment, body, headers);

      expect(response.status).toBe(status);
      expect(response.json).toEqual({
        error: { code, message: expect.any(String), ...(index === undefined ? {} : { index }) },
      });
    },
  );

  it.each([
    ['no API key', {}],
    ['a wrong API key', { 'x-api-key': 'not-the-key' }],
  ])('answers 403 with a JSON error for %s', async (_name, keyHeader) => {
    const response = await fetch(deployment.apiUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...keyHeader },
      body: '[1]',
    });

    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      error: { code: expect.any(String), message: expect.any(String) },
    });
  });

  it('enqueues nothing for rejected requests', async () => {
    // Prepare: rejected requests carrying a marker item, then an accepted sentinel sent after them.
    const marker = 424242;
    for (const body of [`[${marker},1.5]`, `[${marker},"x"]`, `{"items":[${marker}]}`]) {
      expect((await postItems(deployment, body)).status).toBe(400);
    }
    expect((await postItems(deployment, `[${marker}]`, { 'content-type': 'text/plain' })).status).toBe(415);

    // Act: once the sentinel is stored, anything enqueued before it has had its chance too.
    const sentinel = await accept([marker + 1]);
    await pollUntil('the sentinel to be stored', async () =>
      (await storedItemsOf([sentinel.requestId])) === 1 ? true : undefined,
    );

    // Assert
    const markers = (await readResults())
      .flatMap((object) => object.body.items)
      .filter((entry) => entry.item === marker);
    expect(markers).toEqual([]);
  });
});
