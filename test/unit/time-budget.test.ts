import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  callBudgetMs,
  LedgerTimeoutError,
  MAX_CALL_MS,
  withinBudget,
  withTimeBudget,
} from '../../lambdas/ledger/time-budget';
import { rejectionOf } from './factories.ingest';

/** A call that never settles, as to a DynamoDB that accepts the connection and never answers. */
const never = (): Promise<never> => new Promise(() => undefined);

afterEach(() => {
  vi.useRealTimers();
});

describe('ledger time budget', () => {
  it.each([
    { remainingMs: 30_000, budget: MAX_CALL_MS },
    { remainingMs: 2_000, budget: 500 },
    { remainingMs: 400, budget: 100 },
  ])('gives a call $budget ms with $remainingMs ms of the invocation left', ({ remainingMs, budget }) => {
    expect(callBudgetMs(remainingMs)).toBe(budget);
  });

  it('fails a call that takes longer than its budget, and says how long it waited', async () => {
    // Act
    const error = await rejectionOf(withinBudget(never(), 20));

    // Assert
    expect(error).toBeInstanceOf(LedgerTimeoutError);
    expect(error).toMatchObject({ code: 'LEDGER_TIMEOUT', message: 'No answer within 20 ms' });
  });

  it.each([
    { name: 'an answer', call: () => Promise.resolve('answer'), settles: 'answer' },
    { name: 'an error', call: () => Promise.reject(new Error('throttled')), settles: 'throttled' },
  ])('passes on $name that comes in time', async ({ call, settles }) => {
    // Act
    const outcome = await withinBudget(call(), 1_000).catch((error: Error) => error.message);

    // Assert
    expect(outcome).toBe(settles);
  });

  it('leaves no timer behind once the call has settled', async () => {
    // Prepare
    vi.useFakeTimers();

    // Act
    await withinBudget(Promise.resolve('answer'), 1_000);

    // Assert
    expect(vi.getTimerCount()).toBe(0);
  });

  it('holds every method of a ledger to the budget it gives at the time of the call', async () => {
    // Prepare
    const budgets = [30, 5_000];
    const ledger = withTimeBudget(
      { read: (id: string) => (id === 'slow' ? never() : Promise.resolve(`entry ${id}`)) },
      () => budgets.shift() ?? 0,
    );

    // Act
    const slow = await rejectionOf(ledger.read('slow'));
    const fast = await ledger.read('req-A');

    // Assert
    expect(slow).toBeInstanceOf(LedgerTimeoutError);
    expect(fast).toBe('entry req-A');
    expect(budgets).toEqual([]);
  });
});
