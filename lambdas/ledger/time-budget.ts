import { PipelineError } from '../domain/errors';

/**
 * A time budget for ledger calls. The SDK bounds a call that DynamoDB never answers (ledger-client.ts:
 * two attempts of a second), but the batch function may have as little as a second in all: a ledger
 * that hangs must cost it a share of its remaining time, never the timeout that would send its records
 * back to the queue. A call over budget fails here and the caller goes on without it; DynamoDB may
 * still apply the write later (every write is an idempotent upsert).
 */

/** A ledger call took longer than its budget. */
export class LedgerTimeoutError extends PipelineError {
  readonly code = 'LEDGER_TIMEOUT';
}

/** The most one ledger call may take, and the share of the invocation's remaining time it may use. */
export const MAX_CALL_MS = 1_000;
const REMAINING_TIME_SHARE = 0.25;

/** The budget of the next ledger call of an invocation with `remainingMs` left. */
export const callBudgetMs = (remainingMs: number): number =>
  Math.min(MAX_CALL_MS, remainingMs * REMAINING_TIME_SHARE);

/** `call`, or a LedgerTimeoutError once `budgetMs` have passed, whichever comes first. */
export async function withinBudget<T>(call: Promise<T>, budgetMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LedgerTimeoutError(`No answer within ${budgetMs} ms`)), budgetMs);
  });
  try {
    return await Promise.race([call, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

type AsyncMethods<L> = { [Name in keyof L]: (...args: never[]) => Promise<unknown> };

/** The ledger with every call held to the budget `budgetMs()` gives at the time of the call. */
export function withTimeBudget<L extends AsyncMethods<L>>(ledger: L, budgetMs: () => number): L {
  const calls = Object.entries(ledger as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>);
  return Object.fromEntries(
    calls.map(([name, call]) => [name, (...args: unknown[]) => withinBudget(call(...args), budgetMs())]),
  ) as unknown as L;
}
