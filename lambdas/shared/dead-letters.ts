import type { FailureReason } from '../domain/stored-objects';
import type { QueueRecord } from './queue-records';

/** A record the function gives up on after its last attempt, with why. */
export interface DeadLetter {
  readonly record: QueueRecord;
  readonly reason: FailureReason;
  readonly attempts: number;
  /** Whether its failure record was written; one that was not is left for the reconciler to write. */
  readonly recorded: boolean;
}

/** What came of moving records to the dead-letter queue: the ones moved, and an error per record not moved. */
export interface DeadLetterOutcome {
  readonly moved: readonly string[];
  readonly errors: ReadonlyMap<string, string>;
}

/**
 * A dead-letter queue as its consumer uses it (the batch writer, each analysis): the consumer moves
 * records there itself after its last attempt, instead of waiting for SQS to count receives (a
 * throttled receive never reaches it, and a failing backlog would wait out visibility timeouts).
 */
export interface DeadLetters {
  /** Sends each group's records in order; a group stops at its first refusal, so nothing overtakes it. */
  move(letters: readonly DeadLetter[]): Promise<DeadLetterOutcome>;
}

/**
 * The pause before attempt n + 1 is n x this: short, since the SDK already backs off within each
 * attempt and a local function has 2 s in all.
 */
export const ATTEMPT_PAUSE_MS = 100;

/** Message attribute on a dead-lettered message whose failure record is written: the reconciler leaves it. */
export const DEAD_LETTERED_BY = { name: 'deadLetteredBy', value: 'batch-writer' } as const;
