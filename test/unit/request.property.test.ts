import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RequestRejectedError } from '../../lambdas/domain/errors';
import { parseItemsRequest } from '../../lambdas/domain/request';
import { DEFAULT_LIMITS, httpRequest } from './factories.ingest';

const safeInteger = fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
const validItems = fc.array(safeInteger, { minLength: 1, maxLength: 500 });

/** What the API accepts: 1 to 500 safe integers (after a JSON round trip, as the server sees it). */
const isValidItems = (value: unknown): boolean =>
  Array.isArray(value) &&
  value.length >= 1 &&
  value.length <= DEFAULT_LIMITS.maxItemsPerRequest &&
  value.every((item) => Number.isSafeInteger(item));

/** Parses and reports the outcome; any error other than a RequestRejectedError escapes and fails the property. */
function outcomeOf(body: string, isBase64Encoded = false): { items: number[] } | RequestRejectedError {
  try {
    return parseItemsRequest(httpRequest({ body, isBase64Encoded }), DEFAULT_LIMITS);
  } catch (error) {
    if (error instanceof RequestRejectedError) return error;
    throw error;
  }
}

/** Anything that is a JSON value but not a safe integer. */
const notASafeInteger = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Number.isSafeInteger(n)),
  fc.integer({ min: 1, max: 2 ** 20 }).map((n) => Number.MAX_SAFE_INTEGER + n * 2),
  fc.string(),
  fc.constant(null),
  fc.boolean(),
  fc.array(safeInteger, { maxLength: 3 }),
  fc.dictionary(fc.string(), safeInteger, { maxKeys: 3 }),
);

/** Unicode text, cut-off JSON, and JSON-like character soup that sometimes parses. */
const anyBody = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.json().chain((json) => fc.nat(json.length).map((end) => json.slice(0, end))),
  fc.string({
    unit: fc.constantFrom('[', ']', ',', '1', '9', '-', '.', 'e', '"', ' ', '{', '}', 'n'),
    maxLength: 40,
  }),
);

describe('parseItemsRequest (properties)', () => {
  it('accepts any array of 1..500 safe integers and returns it unchanged', () => {
    fc.assert(
      fc.property(validItems, fc.constantFrom(undefined, 2), (items, indent) => {
        // Act
        const parsed = parseItemsRequest(
          httpRequest({ body: JSON.stringify(items, null, indent) }),
          DEFAULT_LIMITS,
        );

        // Assert
        expect(parsed.items).toEqual(items);
      }),
    );
  });

  it('rejects any other JSON value with a 4xx RequestRejectedError', () => {
    fc.assert(
      fc.property(
        fc.jsonValue().filter((value) => !isValidItems(JSON.parse(JSON.stringify(value)))),
        (value) => {
          // Act
          const outcome = outcomeOf(JSON.stringify(value));

          // Assert
          expect(outcome).toBeInstanceOf(RequestRejectedError);
          expect((outcome as RequestRejectedError).status).toBeGreaterThanOrEqual(400);
          expect((outcome as RequestRejectedError).status).toBeLessThan(500);
        },
      ),
    );
  });

  it('names the first element that is not a safe integer', () => {
    fc.assert(
      fc.property(
        fc.array(safeInteger, { maxLength: 200 }),
        notASafeInteger,
        fc.array(fc.jsonValue(), { maxLength: 200 }),
        (before, bad, after) => {
          // Act
          const outcome = outcomeOf(JSON.stringify([...before, bad, ...after]));

          // Assert
          expect(outcome).toBeInstanceOf(RequestRejectedError);
          const { status, code, index } = outcome as RequestRejectedError;
          expect({ status, code, index }).toEqual({
            status: 400,
            code: 'INVALID_ITEM',
            index: before.length,
          });
        },
      ),
    );
  });

  it('never throws anything but a RequestRejectedError for an arbitrary string body', () => {
    fc.assert(
      fc.property(anyBody, fc.boolean(), (body, isBase64Encoded) => {
        // Act
        const outcome = outcomeOf(body, isBase64Encoded);

        // Assert: either accepted as safe integers, or rejected with a 4xx.
        if (outcome instanceof RequestRejectedError) {
          expect([400, 413, 415]).toContain(outcome.status);
        } else {
          expect(isValidItems(outcome.items)).toBe(true);
        }
      }),
    );
  });
});
