/** Base of every error this project raises on purpose: each carries a stable machine-readable code. */
export abstract class PipelineError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export type ClientErrorCode =
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'TOO_MANY_ITEMS'
  | 'MALFORMED_JSON'
  | 'NOT_AN_ARRAY'
  | 'EMPTY_ARRAY'
  | 'INVALID_ITEM'
  | 'INVALID_IDEMPOTENCY_KEY';

const clientErrorStatus: Record<ClientErrorCode, 400 | 413 | 415> = {
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_ITEMS: 413,
  MALFORMED_JSON: 400,
  NOT_AN_ARRAY: 400,
  EMPTY_ARRAY: 400,
  INVALID_ITEM: 400,
  INVALID_IDEMPOTENCY_KEY: 400,
};

/** The request is wrong (4xx): nothing was enqueued and retrying it unchanged cannot help. */
export class RequestRejectedError extends PipelineError {
  readonly status: 400 | 413 | 415;

  constructor(
    readonly code: ClientErrorCode,
    message: string,
    readonly index?: number,
  ) {
    super(message);
    this.status = clientErrorStatus[code];
  }
}

/** SQS kept failing after retries (503): `enqueued` items made it, the rest did not. */
export class EnqueueFailedError extends PipelineError {
  readonly code = 'ENQUEUE_FAILED';

  constructor(
    readonly requestId: string,
    readonly enqueued: number,
    readonly total: number,
    options?: ErrorOptions,
  ) {
    super(`Enqueued ${enqueued} of ${total} items before the queue kept failing`, options);
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

/** A crash raised on purpose by CRASH_RATE after a batch's writes: SQS redelivers the whole batch. */
export class InjectedCrashError extends PipelineError {
  readonly code = 'INJECTED_CRASH';
}

/** A storage fault raised on purpose by FAULT_RATE or FAULT_ITEMS (demos and chaos runs). */
export class InjectedFaultError extends PipelineError {
  readonly code = 'INJECTED_FAULT';
}
