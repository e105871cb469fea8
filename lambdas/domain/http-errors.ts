/**
 * Every error code `POST /items` can answer, with its HTTP status and when it happens: the ingest
 * function's own, and those API Gateway makes before the function runs, which the gateway responses
 * of cdk/lib/constructs/ingest-api.ts put in the same shape, `{"error": {"code", "message"}}`.
 * docs/CONTRACT.md's error table lists exactly these (a unit test holds it to this table).
 */

export interface HttpError {
  readonly status: number;
  /** `function`: the ingest function; `gateway`: API Gateway, before the function runs; or both. */
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
  THROTTLED: { status: 429, madeBy: 'gateway', when: "over the usage plan's or the stage's throttle" },
  QUOTA_EXCEEDED: { status: 429, madeBy: 'gateway', when: "over the API key's daily quota" },
  ENQUEUE_FAILED: {
    status: 503,
    madeBy: 'function',
    when: 'SQS kept failing after retries (the answer carries `requestId` and `enqueued`); repeat with the same Idempotency-Key',
  },
} as const satisfies Record<string, HttpError>;

export type HttpErrorCode = keyof typeof HTTP_ERRORS;

/** The codes of HTTP_ERRORS whose entry matches `Shape`. */
export type HttpErrorCodeOf<Shape> = {
  [Code in HttpErrorCode]: (typeof HTTP_ERRORS)[Code] extends Shape ? Code : never;
}[HttpErrorCode];
