import { describe, expect, it } from 'vitest';
import { type ClientErrorCode, RequestRejectedError } from '../../lambdas/domain/errors';
import { type HttpRequest, parseItemsRequest, type RequestLimits } from '../../lambdas/domain/request';
import { DEFAULT_LIMITS, httpRequest, itemsUpTo, JSON_HEADERS, thrownBy } from './factories.ingest';

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** Runs the parser on a request that must be rejected and returns the typed rejection. */
function rejectionOf(request: HttpRequest, limits: RequestLimits = DEFAULT_LIMITS): RequestRejectedError {
  const error = thrownBy(() => parseItemsRequest(request, limits));
  expect(error).toBeInstanceOf(RequestRejectedError);
  return error as RequestRejectedError;
}

interface RejectionCase {
  readonly name: string;
  readonly request: Partial<HttpRequest>;
  readonly limits?: Partial<RequestLimits>;
  readonly status: 400 | 413 | 415;
  readonly code: ClientErrorCode;
  readonly index?: number;
}

describe('parseItemsRequest', () => {
  describe('rejects a bad body with the documented status, code and index', () => {
    it.each<RejectionCase>([
      // Malformed JSON (400).
      { name: 'truncated JSON', request: { body: '[1,2' }, status: 400, code: 'MALFORMED_JSON' },
      { name: 'a trailing comma', request: { body: '[1,2,]' }, status: 400, code: 'MALFORMED_JSON' },
      { name: 'an empty body', request: { body: '' }, status: 400, code: 'MALFORMED_JSON' },
      { name: 'no body at all', request: { body: null }, status: 400, code: 'MALFORMED_JSON' },
      {
        name: 'no body at all against the smallest byte limit (no body is 0 bytes)',
        request: { body: null },
        limits: { maxBodyBytes: 2 },
        status: 400,
        code: 'MALFORMED_JSON',
      },
      { name: 'bare words', request: { body: '1, 2, 3' }, status: 400, code: 'MALFORMED_JSON' },
      { name: 'NaN, which JSON lacks', request: { body: '[NaN]' }, status: 400, code: 'MALFORMED_JSON' },
      // Valid JSON that is not an array (400).
      { name: 'an object', request: { body: '{"items":[1,2]}' }, status: 400, code: 'NOT_AN_ARRAY' },
      { name: 'a string', request: { body: '"1,2,3"' }, status: 400, code: 'NOT_AN_ARRAY' },
      { name: 'a number', request: { body: '42' }, status: 400, code: 'NOT_AN_ARRAY' },
      { name: 'null', request: { body: 'null' }, status: 400, code: 'NOT_AN_ARRAY' },
      { name: 'true', request: { body: 'true' }, status: 400, code: 'NOT_AN_ARRAY' },
      // Empty (400) and too many items (413).
      { name: 'an empty array', request: { body: '[]' }, status: 400, code: 'EMPTY_ARRAY' },
      {
        name: '501 items against the default limit of 500',
        request: { body: JSON.stringify(itemsUpTo(501)) },
        status: 413,
        code: 'TOO_MANY_ITEMS',
      },
      {
        name: '4 items against a configured limit of 3',
        request: { body: '[1,2,3,4]' },
        limits: { maxItemsPerRequest: 3 },
        status: 413,
        code: 'TOO_MANY_ITEMS',
      },
      // Body too large (413): bytes are counted, not characters.
      {
        name: 'a body one byte over a 10-byte limit',
        request: { body: '[1,2,3,4,5]' },
        limits: { maxBodyBytes: 10 },
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
      },
      {
        name: 'a body of 7 characters but 10 UTF-8 bytes against an 8-byte limit',
        request: { body: '["ééé"]' },
        limits: { maxBodyBytes: 8 },
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
      },
      {
        name: 'a body of 64 KiB + 1 byte against the default limit',
        request: { body: `[1${' '.repeat(64 * 1024 - 2)}]` },
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
      },
      // Element i is not a safe integer (400, index = the first bad element).
      {
        name: 'a float 1.5 first',
        request: { body: '[1.5,2]' },
        status: 400,
        code: 'INVALID_ITEM',
        index: 0,
      },
      {
        name: '2**53 second',
        request: { body: `[1,${2 ** 53}]` },
        status: 400,
        code: 'INVALID_ITEM',
        index: 1,
      },
      {
        name: '-(2**53) first',
        request: { body: `[${-(2 ** 53)}]` },
        status: 400,
        code: 'INVALID_ITEM',
        index: 0,
      },
      {
        name: 'a string "3" third',
        request: { body: '[1,2,"3"]' },
        status: 400,
        code: 'INVALID_ITEM',
        index: 2,
      },
      { name: 'null second', request: { body: '[1,null,3]' }, status: 400, code: 'INVALID_ITEM', index: 1 },
      {
        name: 'a nested array fourth',
        request: { body: '[1,2,3,[4]]' },
        status: 400,
        code: 'INVALID_ITEM',
        index: 3,
      },
      {
        name: 'an object first',
        request: { body: '[{"n":1},2]' },
        status: 400,
        code: 'INVALID_ITEM',
        index: 0,
      },
      {
        name: 'a boolean last',
        request: { body: '[1,2,true]' },
        status: 400,
        code: 'INVALID_ITEM',
        index: 2,
      },
      {
        name: '1e400 (Infinity)',
        request: { body: '[7,1e400]' },
        status: 400,
        code: 'INVALID_ITEM',
        index: 1,
      },
      {
        name: 'several bad elements (the first one is named)',
        request: { body: '[1,2,"x",4.5,null]' },
        status: 400,
        code: 'INVALID_ITEM',
        index: 2,
      },
      {
        name: 'a bad element at index 499 of 500',
        request: { body: JSON.stringify([...itemsUpTo(499), 0.5]) },
        status: 400,
        code: 'INVALID_ITEM',
        index: 499,
      },
      // Content type (415).
      {
        name: 'a missing Content-Type',
        request: { headers: {} },
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      },
      {
        name: 'Content-Type text/plain',
        request: { headers: { 'content-type': 'text/plain' } },
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      },
      {
        name: 'Content-Type application/jsonx (no prefix match)',
        request: { headers: { 'content-type': 'application/jsonx' } },
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      },
      {
        name: 'Content-Type application/x-www-form-urlencoded',
        request: { headers: { 'content-type': 'application/x-www-form-urlencoded' } },
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      },
    ])('$name -> $status $code', ({ request, limits, status, code, index }) => {
      // Prepare
      const bad = httpRequest(request);

      // Act
      const error = rejectionOf(bad, { ...DEFAULT_LIMITS, ...limits });

      // Assert
      expect({ status: error.status, code: error.code, index: error.index }).toEqual({ status, code, index });
      expect(error.message).not.toBe('');
    });
  });

  it.each([
    { body: '{"items":[1,2]}', message: 'Body must be a JSON array of integers, not an object' },
    { body: '"1,2,3"', message: 'Body must be a JSON array of integers, not a string' },
    { body: '42', message: 'Body must be a JSON array of integers, not 42' },
    { body: 'null', message: 'Body must be a JSON array of integers, not null' },
    { body: 'true', message: 'Body must be a JSON array of integers, not a boolean' },
    { body: '[1.5,2]', message: 'Item 0 must be a safe integer, not 1.5' },
    { body: '[1,"3"]', message: 'Item 1 must be a safe integer, not a string' },
    { body: '[1,2,null]', message: 'Item 2 must be a safe integer, not null' },
    { body: '[1,[4]]', message: 'Item 1 must be a safe integer, not an array' },
    { body: '[{"n":1}]', message: 'Item 0 must be a safe integer, not an object' },
    { body: '[false]', message: 'Item 0 must be a safe integer, not a boolean' },
  ])('says what it found instead: $body -> "$message"', ({ body, message }) => {
    // Act
    const error = rejectionOf(httpRequest({ body }));

    // Assert
    expect(error.message).toBe(message);
  });

  it.each([
    { name: '[1,2,3,4]', body: '[1,2,3,4]', items: [1, 2, 3, 4] },
    {
      name: 'negative, zero and MAX_SAFE_INTEGER',
      body: '[-5, 0, 9007199254740991]',
      items: [-5, 0, 2 ** 53 - 1],
    },
    { name: 'MIN_SAFE_INTEGER', body: '[-9007199254740991]', items: [-(2 ** 53 - 1)] },
    { name: 'exponent notation 1e3 as 1000', body: '[1e3]', items: [1000] },
    // JSON has one number type: 1.0 is the integer 1.
    { name: '1.0 as 1', body: '[1.0]', items: [1] },
    { name: 'whitespace and newlines around items', body: ' [ 1 ,\n 2 ]\n', items: [1, 2] },
    { name: 'exactly 500 items', body: JSON.stringify(itemsUpTo(500)), items: itemsUpTo(500) },
    { name: 'repeated items', body: '[1,1,2,2]', items: [1, 1, 2, 2] },
  ])('accepts $name', ({ body, items }) => {
    // Act
    const parsed = parseItemsRequest(httpRequest({ body }), DEFAULT_LIMITS);

    // Assert
    expect(parsed).toEqual({ items, idempotencyKey: undefined });
  });

  it('accepts a body of exactly the byte limit (the limit is inclusive)', () => {
    // Prepare: "[1" + padding + "]" is 64 KiB of valid JSON.
    const body = `[1${' '.repeat(64 * 1024 - 3)}]`;
    expect(Buffer.byteLength(body)).toBe(64 * 1024);

    // Act
    const parsed = parseItemsRequest(httpRequest({ body }), DEFAULT_LIMITS);

    // Assert
    expect(parsed.items).toEqual([1]);
  });

  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'application/json;charset=UTF-8',
    'Application/JSON',
    ' application/json ',
  ])('accepts Content-Type %j', (contentType) => {
    // Act
    const parsed = parseItemsRequest(
      httpRequest({ headers: { 'content-type': contentType } }),
      DEFAULT_LIMITS,
    );

    // Assert
    expect(parsed.items).toEqual([1, 2, 3, 4]);
  });

  describe('base64-encoded bodies', () => {
    it('decodes a valid base64 body', () => {
      // Act
      const parsed = parseItemsRequest(
        httpRequest({ body: base64('[1,2,3,4]'), isBase64Encoded: true }),
        DEFAULT_LIMITS,
      );

      // Assert
      expect(parsed.items).toEqual([1, 2, 3, 4]);
    });

    it('counts the decoded bytes against the limit, not the longer encoded text', () => {
      // Prepare: 9 decoded bytes travel as 12 base64 characters.
      const body = base64('[1,2,3,4]');
      expect(body.length).toBeGreaterThan(10);

      // Act
      const parsed = parseItemsRequest(httpRequest({ body, isBase64Encoded: true }), {
        ...DEFAULT_LIMITS,
        maxBodyBytes: 10,
      });

      // Assert
      expect(parsed.items).toEqual([1, 2, 3, 4]);
    });

    it('rejects a body that is too large once decoded with 413 PAYLOAD_TOO_LARGE', () => {
      // Prepare
      const request = httpRequest({ body: base64('[1,2,3,4,5]'), isBase64Encoded: true });

      // Act
      const error = rejectionOf(request, { ...DEFAULT_LIMITS, maxBodyBytes: 10 });

      // Assert
      expect([error.status, error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    });

    it('validates the decoded content like any other body', () => {
      // Act
      const error = rejectionOf(httpRequest({ body: base64('[1,"2"]'), isBase64Encoded: true }));

      // Assert
      expect([error.status, error.code, error.index]).toEqual([400, 'INVALID_ITEM', 1]);
    });
  });

  describe('Idempotency-Key', () => {
    it.each([
      { name: 'one character', key: 'a' },
      { name: 'every allowed character class', key: 'Az09_-' },
      { name: 'a UUID', key: '3f2b8c1e-9d4a-4b6f-8e21-7c5d9a0b1f42' },
      { name: '128 characters', key: 'k'.repeat(128) },
    ])('accepts $name and returns the key', ({ key }) => {
      // Act
      const parsed = parseItemsRequest(
        httpRequest({ headers: { ...JSON_HEADERS, 'idempotency-key': key } }),
        DEFAULT_LIMITS,
      );

      // Assert
      expect(parsed).toEqual({ items: [1, 2, 3, 4], idempotencyKey: key });
    });

    it.each([
      { name: 'an empty key', key: '' },
      { name: '129 characters', key: 'k'.repeat(129) },
      { name: 'spaces', key: 'my key' },
      { name: 'a trailing newline', key: 'key\n' },
      { name: 'a dot', key: 'order.42' },
      { name: 'unicode letters', key: 'clé-ключ' },
      { name: 'an emoji', key: 'key-🙂' },
    ])('rejects $name with 400 INVALID_IDEMPOTENCY_KEY', ({ key }) => {
      // Prepare
      const request = httpRequest({ headers: { ...JSON_HEADERS, 'idempotency-key': key } });

      // Act
      const error = rejectionOf(request);

      // Assert
      expect({ status: error.status, code: error.code, index: error.index }).toEqual({
        status: 400,
        code: 'INVALID_IDEMPOTENCY_KEY',
        index: undefined,
      });
      expect(error.message).toBe('Idempotency-Key must be 1 to 128 characters of A-Z, a-z, 0-9, "_" and "-"');
    });
  });
});
