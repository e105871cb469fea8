/**
 * Every error code the HTTP API (`POST /items`, `GET /requests/{requestId}`, `GET /analyses...`) can answer, with its HTTP
 * status and when it happens: the functions' own, and those API Gateway makes before a function runs, which the gateway responses
 * of cdk/lib/constructs/ingest-api.ts put in the same shape, `{"error": {"code", "message"}}`.
 * docs/CONTRACT.md's error table lists exactly these (a unit test holds it to this table).
 */

export interface HttpError {
  readonly status: number;
  /** `function`: the ingest or status function; `gateway`: API Gateway, before a function runs; or both. */
  readonly madeBy: 'function' | 'gateway' | 'function and gateway';
  readonly when: string;
}

export const HTTP_ERRORS = {
  MALFORMED_JSON: { status: 400, madeBy: 'function', when: 'the body is not valid JSON' },
  NOT_AN_ARRAY: { status: 400, madeBy: 'function', when: 'the body is JSON but not an array' },
  EMPTY_ARRAY: { status: 400, madeBy: 'function', when: 'the body is an empty array' },
  INVALID_ITEM: {
    status: 400,
    madeBy: 'function',
    when: 'element `index` is not a safe integer (the answer carries `index`)',
  },
  INVALID_RANGE: {
    status: 400,
    madeBy: 'function',
    when: '`GET /analyses/{name}/windows`: `from` or `to` is not an ISO 8601 time, `from` is not before `to`, or the range holds more than 1,000 windows',
  },
  INVALID_IDEMPOTENCY_KEY: {
    status: 400,
    madeBy: 'function',
    when: 'the Idempotency-Key header is not 1-128 of `[A-Za-z0-9_-]`',
  },
  INVALID_API_KEY: {
    status: 403,
    madeBy: 'gateway',
    when: 'no `x-api-key`, or a key that is not in the usage plan',
  },
  MISSING_AUTHENTICATION_TOKEN: {
    status: 403,
    madeBy: 'gateway',
    when: 'a path or method the API does not have, e.g. `GET /items`',
  },
  REQUEST_NOT_FOUND: {
    status: 404,
    madeBy: 'function',
    when: 'GET /requests/{requestId}: no such request, or the request of another caller',
  },
  ANALYSIS_NOT_FOUND: {
    status: 404,
    madeBy: 'function',
    when: '`GET /analyses/{name}/windows`: no analysis of that name is registered',
  },
  REQUEST_IN_PROGRESS: {
    status: 409,
    madeBy: 'function',
    when: 'a repeat of an Idempotency-Key while its first request is still being accepted (the answer carries `requestId`)',
  },
  TOO_MANY_ITEMS: { status: 413, madeBy: 'function', when: 'more than `maxItemsPerRequest` items' },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    madeBy: 'function and gateway',
    when: "a body over `maxBodyBytes`, or over API Gateway's own 10 MB",
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    madeBy: 'function',
    when: 'the content type is not `application/json`',
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    madeBy: 'function',
    when: 'an Idempotency-Key repeated with other items, or after `idempotencyWindowHours` (the answer carries `requestId`)',
  },
  THROTTLED: { status: 429, madeBy: 'gateway', when: "over the usage plan's or the stage's throttle" },
  QUOTA_EXCEEDED: { status: 429, madeBy: 'gateway', when: "over the API key's daily quota" },
  ENQUEUE_FAILED: {
    status: 503,
    madeBy: 'function',
    when: 'the dispatcher (SNS FIFO) kept failing after retries (the answer carries `requestId` and `enqueued`); repeat with the same Idempotency-Key',
  },
  LEDGER_UNAVAILABLE: {
    status: 503,
    madeBy: 'function',
    when: 'GET /requests/{requestId}: the request ledger could not be read; retry',
  },
  WINDOWS_UNAVAILABLE: {
    status: 503,
    madeBy: 'function',
    when: '`GET /analyses/{name}/windows`: the windows table could not be read; retry',
  },
} as const satisfies Record<string, HttpError>;

export type HttpErrorCode = keyof typeof HTTP_ERRORS;

/** The codes of HTTP_ERRORS whose entry matches `Shape`. */
export type HttpErrorCodeOf<Shape> = {
  [Code in HttpErrorCode]: (typeof HTTP_ERRORS)[Code] extends Shape ? Code : never;
}[HttpErrorCode];
