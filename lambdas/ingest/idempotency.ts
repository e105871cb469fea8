import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyInconsistentStateError,
  IdempotencyPersistenceLayerError,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { IDEMPOTENCY_KEY_PREFIX, IdempotencyKeyReusedError, RequestInProgressError } from '../domain/ledger';

/**
 * Idempotency-Key handling with Powertools' idempotency utility: a record per key in the ledger table
 * (`idempotency#<hash>`), written INPROGRESS before the request runs (a concurrent duplicate finds it:
 * 409), COMPLETED with the answer after (a repeat within the window gets the same answer and runs
 * nothing), with a hash of the items (a repeat with other items: 422), and deleted when the request
 * fails (a repeat after a 503 runs again).
 *
 * By hand, because the utility cannot: a repeat after a 503 must not enqueue again what SQS took
 * (the utility deletes its record on failure and keeps nothing of the attempt: the ledger entry
 * records the enqueued indexes, accept-items.ts), and an unreachable table must not stop ingest (the
 * utility fails the call; `once` below then runs the request unguarded, with SQS's 5-minute
 * deduplication only, as before the ledger).
 */

/** What identifies a keyed request and what a repeat must match. */
export interface KeyedRequest {
  /** Derived from the caller's API key id and the Idempotency-Key (envelope.ts): the record's key. */
  readonly requestId: string;
  /** Hashed for the payload check: a repeat with other items is refused. */
  readonly items: readonly number[];
}

export interface Idempotency {
  /** Runs `run` once per request id and window; repeats get its stored answer. */
  once<T>(request: KeyedRequest, run: () => Promise<T>): Promise<T>;
}

export interface PowertoolsIdempotencyOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** How long a completed request's answer is kept for repeats. */
  readonly windowHours: number;
  /** The idempotency store failed and the request went on without it: log and count it. */
  readonly onStoreError: (message: string, error: unknown) => void;
}

/** Attributes the utility writes; the key and the TTL attribute are the ledger table's own. */
const PERSISTENCE = { keyAttr: 'pk', expiryAttr: 'expiresAt' } as const;

type Outcome<T> = { state: 'not run' } | { state: 'done'; result: T } | { state: 'failed'; error: unknown };

type Guarded = (request: KeyedRequest, run: () => Promise<unknown>) => Promise<unknown>;

export function powertoolsIdempotency(options: PowertoolsIdempotencyOptions): Idempotency & {
  /** The in-progress record expires with the invocation, so a crash blocks the key no longer than that. */
  registerLambdaContext(context: Context): void;
} {
  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'requestId',
    payloadValidationJmesPath: 'items',
    expiresAfterSeconds: options.windowHours * 3600,
  });
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: options.tableName,
    ...PERSISTENCE,
    awsSdkV3Client: options.client,
  });
  const guarded: Guarded = makeIdempotent(
    async (_request: KeyedRequest, run: () => Promise<unknown>) => run(),
    {
      persistenceStore,
      config,
      // Record keys `idempotency#<hash>`, whatever the function is named.
      keyPrefix: IDEMPOTENCY_KEY_PREFIX,
    },
  );

  return {
    registerLambdaContext: (context) => config.registerLambdaContext(context),

    async once<T>(request: KeyedRequest, run: () => Promise<T>): Promise<T> {
      // What happened to `run`, so a store error can be told apart from the request's own outcome.
      let outcome = { state: 'not run' } as Outcome<T>;
      const tracked = async (): Promise<T> => {
        try {
          const result = await run();
          outcome = { state: 'done', result };
          return result;
        } catch (error) {
          outcome = { state: 'failed', error };
          throw error;
        }
      };
      try {
        return (await guarded(request, tracked)) as T;
      } catch (error) {
        // The request's own failure comes first, even when its record could not be deleted after it
        // (that INPROGRESS record expires with this invocation).
        if (outcome.state === 'failed') throw outcome.error;
        if (
          error instanceof IdempotencyAlreadyInProgressError ||
          error instanceof IdempotencyInconsistentStateError
        )
          throw new RequestInProgressError(request.requestId);
        if (error instanceof IdempotencyValidationError) {
          throw new IdempotencyKeyReusedError(
            request.requestId,
            `Idempotency-Key was used for request ${request.requestId} with other items; send a new key`,
          );
        }
        if (!(error instanceof IdempotencyPersistenceLayerError)) throw error;
        options.onStoreError('Idempotency record not written', error);
        return outcome.state === 'done' ? outcome.result : run();
      }
    },
  };
}
