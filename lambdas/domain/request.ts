import { RequestRejectedError } from './errors';

/** An HTTP request reduced to what the ingest rules need; header names are lower case. */
export interface HttpRequest {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | null;
  readonly isBase64Encoded: boolean;
}

export interface RequestLimits {
  readonly maxItemsPerRequest: number;
  readonly maxBodyBytes: number;
}

export interface ItemsRequest {
  readonly items: number[];
  readonly idempotencyKey: string | undefined;
}

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{1,128}$/;

function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  // Stryker disable next-line OptionalChaining: split returns at least one element, so ?. is for the index type only
  return value.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

const describe = (value: unknown): string => {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
};

/**
 * Validates a POST /items request. Checks run cheapest first, and every rejection names the
 * rule it broke (and the element index when one element is at fault).
 */
export function parseItemsRequest(request: HttpRequest, limits: RequestLimits): ItemsRequest {
  if (!isJsonContentType(request.headers['content-type'])) {
    throw new RequestRejectedError('UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
  }
  const idempotencyKey = request.headers['idempotency-key'];
  // Stryker disable next-line ConditionalExpression: RegExp#test(undefined) tests "undefined", a valid key, so `!== undefined` only narrows the type
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new RequestRejectedError(
      'INVALID_IDEMPOTENCY_KEY',
      'Idempotency-Key must be 1 to 128 characters of A-Z, a-z, 0-9, "_" and "-"',
    );
  }
  const body = request.body ?? '';
  const bytes = request.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body);
  if (bytes.length > limits.maxBodyBytes) {
    throw new RequestRejectedError(
      'PAYLOAD_TOO_LARGE',
      `Body is ${bytes.length} bytes; at most ${limits.maxBodyBytes} are accepted`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new RequestRejectedError('MALFORMED_JSON', 'Body is not valid JSON');
  }
  if (!Array.isArray(parsed)) {
    throw new RequestRejectedError(
      'NOT_AN_ARRAY',
      `Body must be a JSON array of integers, not ${describe(parsed)}`,
    );
  }
  if (parsed.length === 0) {
    throw new RequestRejectedError('EMPTY_ARRAY', 'Body must hold at least one item');
  }
  if (parsed.length > limits.maxItemsPerRequest) {
    throw new RequestRejectedError(
      'TOO_MANY_ITEMS',
      `Body holds ${parsed.length} items; at most ${limits.maxItemsPerRequest} are accepted per request`,
    );
  }
  const badIndex = parsed.findIndex((item) => !Number.isSafeInteger(item));
  if (badIndex !== -1) {
    throw new RequestRejectedError(
      'INVALID_ITEM',
      `Item ${badIndex} must be a safe integer, not ${describe(parsed[badIndex])}`,
      badIndex,
    );
  }
  return { items: parsed as number[], idempotencyKey };
}
