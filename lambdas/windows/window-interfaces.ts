import type { ItemRef } from '../domain/ledger';
import type { PaneRow, Window } from '../domain/windows';
import type { PaneWrite, WindowRow } from './window-inputs';

/**
 * The windows table of one analysis as each function uses it (DynamoDB in production,
 * dynamodb-windows.ts), so counting, closing and reading stay testable without AWS.
 */

export interface ConsumerWindows {
  /** Writes one request's items of one pane; returns the row as it now is, every index's first arrival. */
  writePane(write: PaneWrite): Promise<PaneRow>;
  /** Records items as late for one window (counted, not added). */
  addLate(windowStart: number, items: readonly ItemRef[]): Promise<void>;
}

export interface ReaderWindows {
  /** Every window starting before this (epoch s) is closed; undefined before the first close. */
  closedUntil(): Promise<number | undefined>;
  /** Every request's row of one pane. */
  paneRows(paneStart: number): Promise<PaneRow[]>;
  /** The window rows (late items, and the closed windows' values) with starts in [fromMs, toMs). */
  windowRows(fromMs: number, toMs: number): Promise<WindowRow[]>;
}

export interface CloserWindows extends ReaderWindows {
  /** Writes a final window's values once; a second write changes nothing. */
  writeFinal(window: Window, closedAt: Date): Promise<void>;
  /** Every window starting before `closedUntil` is closed; never moves back. */
  advance(closedUntil: number): Promise<void>;
}
