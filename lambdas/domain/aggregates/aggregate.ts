/**
 * One aggregate of a window (count, sum, ...), computed over panes and merged into windows.
 *
 * - `init()` is the state of no items, and `merge(init(), s)` is `s`: an empty pane changes nothing.
 * - `merge` is associative and commutative, so panes can be merged in any grouping and order.
 * - States are plain JSON values (numbers, strings, null, objects of them): they are stored.
 * - `result` answers undefined when there is nothing to report (e.g. the min of an empty window).
 *
 * Results are numbers, or decimal strings for integers beyond Number.MAX_SAFE_INTEGER (a sum): both
 * travel as JSON and as DynamoDB numbers without losing a digit.
 *
 * Methods rather than function properties: method parameters are bivariant, so every aggregate fits
 * `Aggregate<unknown, AggregateResult>` and the registry can hold them side by side.
 */
export interface Aggregate<State, Result extends AggregateResult> {
  init(): State;
  add(state: State, value: number): State;
  merge(a: State, b: State): State;
  result(state: State): Result | undefined;
}

/** What an aggregate reports: a number, or an integer beyond the safe range as a decimal string. */
export type AggregateResult = number | string;
