import type { FailureReason } from '../domain/stored-objects';
import type { QueueRecord } from '../shared/queue-records';

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
 * The dead-letter queue as the batch writer uses it: it moves records there itself after its last
 * attempt, instead of waiting for SQS to count receives (a throttled receive never reaches it).
 */
export interface DeadLetters {
  /** Sends each group's records in order; a group stops at its first refusal, so nothing overtakes it. */
  move(letters: readonly DeadLetter[]): Promise<DeadLetterOutcome>;
}

/** Message attribute on a dead-lettered message whose failure record is written: the reconciler leaves it. */
export const DEAD_LETTERED_BY = { name: 'deadLetteredBy', value: 'batch-writer' } as const;
