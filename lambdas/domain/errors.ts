import { HTTP_ERRORS, type HttpErrorCodeOf } from './http-errors';

/** An error as one line of a log or an outcome: `Name: message`. */
export const errorText = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/**
 * An error's message for a person at a terminal or a page, with its cause's when it has one (fetch
 * says only "fetch failed" and puts the reason, e.g. ECONNREFUSED, in its cause).
 */
export function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message;
}

/** Base of every error this project raises on purpose: each carries a stable machine-readable code. */
export abstract class PipelineError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * An error the HTTP API answers itself, as `{"error": {"code", "message", ...fields}}` with its status
 * (lambdas/shared/http.ts): every 4xx a function makes, and the 503s the contract names.
 */
export abstract class ApiError extends PipelineError {
  abstract readonly status: number;

  /** Fields of the answer beside `code` and `message`, e.g. the element `index` or the `requestId`. */
  get fields(): Readonly<Record<string, unknown>> {
    return {};
  }
}

/** The codes the ingest function rejects a request with: its own 4xx codes in HTTP_ERRORS (INVALID_RANGE is the analyses API's). */
export type ClientErrorCode = Exclude<
  HttpErrorCodeOf<{
    madeBy: 'function' | 'function and gateway';
    status: 400 | 413 | 415;
  }>,
  'INVALID_RANGE'
>;

/** The request is wrong (4xx): nothing was enqueued and retrying it unchanged cannot help. */
export class RequestRejectedError extends ApiError {
  readonly status: (typeof HTTP_ERRORS)[ClientErrorCode]['status'];

  constructor(
    readonly code: ClientErrorCode,
    message: string,
    readonly index?: number,
  ) {
    super(message);
    this.status = HTTP_ERRORS[code].status;
  }

  override get fields() {
    return this.index === undefined ? {} : { index: this.index };
  }
}

/**
 * The dispatcher kept failing after retries: `enqueued` items are in it (`enqueuedNow` of them from this
 * attempt, the others from an earlier one of the same Idempotency-Key), the rest are not.
 */
export class EnqueueFailedError extends ApiError {
  readonly code = 'ENQUEUE_FAILED';
  readonly status = HTTP_ERRORS.ENQUEUE_FAILED.status;

  constructor(
    readonly requestId: string,
    readonly enqueued: number,
    readonly total: number,
    readonly enqueuedNow: number,
    options?: ErrorOptions,
  ) {
    super(
      `Enqueued ${enqueued} of ${total} items before the dispatcher kept failing. ` +
        'Retry with the same Idempotency-Key to complete it without duplicates.',
      options,
    );
  }

  override get fields() {
    return { requestId: this.requestId, enqueued: this.enqueued };
  }
}

/** A setting is missing or out of range; the message names the setting and the value. */
export class ConfigError extends PipelineError {
  readonly code = 'INVALID_CONFIG';
}

/** An SQS record whose body is not a valid item envelope: never retried, recorded as a failure. */
export class MalformedEnvelopeError extends PipelineError {
  readonly code = 'MALFORMED_ENVELOPE';
}
