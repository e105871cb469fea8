import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { recordItems } from '../../lambdas/analysis/record-items';
import { closeWindows } from '../../lambdas/closer/close-windows';
import { ANALYSIS_BATCH_SIZE, type Analysis, DEFAULT_ANALYSES } from '../../lambdas/domain/analyses';
import { deduplicationId, encodeEnvelope } from '../../lambdas/domain/envelope';
import { SETTINGS } from '../../lambdas/domain/settings';
import {
  CLOSER_INTERVAL_MINUTES,
  type FinalWindowBody,
  finalAtMs,
  paneOf,
  settleMsFor,
} from '../../lambdas/domain/windows';
import type { DeadLetters } from '../../lambdas/shared/dead-letters';
import type { QueueRecord } from '../../lambdas/shared/queue-records';
import { dynamoDbWindows } from '../../lambdas/windows/dynamodb-windows';
import { makeRequests } from '../harness/load-run';
import type { AnalysisWork } from './analysis-cost';
import { pricedTable, type TableMeter } from './priced-table';

/** The metered table never refuses a write here, so nothing is ever dead-lettered. */
const noDeadLetters: DeadLetters = {
  move: async () => {
    throw new Error('nothing fails in the metered run, so nothing is dead-lettered');
  },
};
/**
 * An analysis's DynamoDB units, measured on its real code: a stream of uniform items at a steady rate
 * goes through the consumer's recordItems (batches of ANALYSIS_BATCH_SIZE records, in publish order, as
 * the mapping drains the queue) and the closer's closeWindows (every CLOSER_INTERVAL_MINUTES of the
 * stream's clock), both on the DynamoDB adapter the functions use, its client answered by a priced table
 * in memory (priced-table.ts). Every call is counted and priced; the final windows are checked to hold
 * every item W/A times, so the run went through the whole design.
 */

export interface AnalysisUnits extends AnalysisWork {
  readonly analysis: string;
  readonly itemsPerRequest: number;
  readonly itemsPerSecond: number;
  readonly items: number;
  readonly invocations: number;
  /** The consumer's DynamoDB calls per item, by command. */
  readonly consumerCallsPerItem: Record<string, number>;
  /** The largest row written (a pane row): how far rows are from the 1 KB of one write unit. */
  readonly largestRowBytes: number;
  readonly closerRuns: number;
  readonly windowsWritten: number;
  /** Windows written by the runs that closed only windows the stream had filled: the per-window figures' base. */
  readonly steadyWindows: number;
  /** The closer's DynamoDB calls per window in those runs, by command. */
  readonly closerCallsPerWindow: Record<string, number>;
}

/** A stream this long gives a few closer runs of full windows between its partial first and last ones. */
const STREAM_SECONDS = 360;
/** From acceptance to the consumer's receipt: well within the lateness, so nothing is late. */
const DELIVERY_DELAY_MS = 200;
/** The stream's start, on a window boundary of any advance (a whole hour). */
const STREAM_START_MS = Date.parse('2026-11-23T10:00:00.000Z');
const TABLE_NAME = 'FifoBatchPipeline-WindowsTable';
const MS_PER_SECOND = 1000;

interface Delivered {
  readonly acceptedAtMs: number;
  readonly record: QueueRecord;
}

/** The stream's messages in publish order: one request every 1/(rate / itemsPerRequest) s, its items together. */
function streamRecords(itemsPerRequest: number, itemsPerSecond: number): Delivered[] {
  const items = itemsPerSecond * STREAM_SECONDS;
  const requests = makeRequests({
    items,
    requests: Math.ceil(items / itemsPerRequest),
    mix: 'uniform',
    seed: 3,
  });
  const msPerRequest = (STREAM_SECONDS * MS_PER_SECOND) / requests.length;
  return requests.flatMap((values, position) => {
    // UUID-shaped, as ingest's request ids are: the pane rows' sort keys and the late ids are their length.
    const requestId = `${position.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
    const acceptedAtMs = STREAM_START_MS + Math.floor(position * msPerRequest);
    const acceptedAt = new Date(acceptedAtMs).toISOString();
    return values.map((item, index) => ({
      acceptedAtMs,
      record: {
        messageId: deduplicationId(requestId, index),
        body: encodeEnvelope({ v: 1, item, requestId, index, acceptedAt }),
        groupId: requestId,
        deduplicationId: deduplicationId(requestId, index),
        receiveCount: 1,
      },
    }));
  });
}

const added = (a: TableMeter, b: TableMeter): TableMeter => ({
  calls: Object.fromEntries(
    [...new Set([...Object.keys(a.calls), ...Object.keys(b.calls)])].map((name) => [
      name,
      (a.calls[name] ?? 0) + (b.calls[name] ?? 0),
    ]),
  ),
  writeUnits: a.writeUnits + b.writeUnits,
  readUnits: a.readUnits + b.readUnits,
});
const NOTHING: TableMeter = { calls: {}, writeUnits: 0, readUnits: 0 };
const per = (calls: Record<string, number>, count: number): Record<string, number> =>
  Object.fromEntries(Object.entries(calls).map(([name, n]) => [name, count === 0 ? 0 : n / count]));

interface CloserRun {
  readonly firstStart: number;
  readonly closed: number;
  readonly written: number;
  readonly objects: number;
  readonly meter: TableMeter;
}

/** Measures one analysis (the default one unless given) at `itemsPerRequest` items per POST and `itemsPerSecond`. */
export async function measureAnalysisUnits(
  itemsPerRequest: number,
  itemsPerSecond: number,
  analysis: Analysis = DEFAULT_ANALYSES[0] as Analysis,
): Promise<AnalysisUnits> {
  const table = pricedTable(['pk', 'sk']);
  try {
    const settleMs = settleMsFor(SETTINGS.analysisFunctionTimeoutSeconds.default);
    const windows = dynamoDbWindows(new DynamoDBClient({ region: 'us-east-1' }), {
      tableName: TABLE_NAME,
      analysis,
      retention: { settleMs, retentionDays: SETTINGS.windowRetentionDays.default },
    });
    const closerMs = CLOSER_INTERVAL_MINUTES * 60 * MS_PER_SECOND;
    const bodies: FinalWindowBody[] = [];
    const closerSettings = {
      settleMs,
      maxWindowsPerRun: Number.POSITIVE_INFINITY,
      // The first run, one interval in, closes from a window's width before the stream: every window with items.
      firstLookbackSeconds: closerMs / MS_PER_SECOND + analysis.windowSeconds,
    };
    const runs: CloserRun[] = [];
    let consumer = NOTHING;
    const close = async (nowMs: number): Promise<void> => {
      consumer = added(consumer, table.take());
      const objectsBefore = bodies.length;
      const outcome = await closeWindows(analysis, closerSettings, {
        windows,
        objects: {
          putFinal: async (_key, body) => {
            bodies.push(body as FinalWindowBody);
          },
        },
        clock: () => new Date(nowMs),
      });
      runs.push({
        firstStart: (outcome.closedUntil ?? 0) - outcome.closed * analysis.advanceSeconds,
        closed: outcome.closed,
        written: outcome.written,
        objects: bodies.length - objectsBefore,
        meter: table.take(),
      });
    };

    const records = streamRecords(itemsPerRequest, itemsPerSecond);
    table.take();
    let nextCloseMs = STREAM_START_MS + closerMs;
    let invocations = 0;
    for (let start = 0; start < records.length; start += ANALYSIS_BATCH_SIZE) {
      const batch = records.slice(start, start + ANALYSIS_BATCH_SIZE);
      const receivedAtMs = (batch.at(-1)?.acceptedAtMs ?? STREAM_START_MS) + DELIVERY_DELAY_MS;
      for (; nextCloseMs <= receivedAtMs; nextCloseMs += closerMs) await close(nextCloseMs);
      const outcome = await recordItems(
        batch.map(({ record }) => record),
        analysis,
        1,
        {
          windows,
          clock: () => new Date(receivedAtMs),
          deadLetters: noDeadLetters,
          pause: async () => {},
        },
      );
      if (outcome.itemsCounted !== batch.length || outcome.itemsLate > 0) {
        throw new Error(
          `A batch counted ${outcome.itemsCounted} of ${batch.length} items, ${outcome.itemsLate} late`,
        );
      }
      invocations += 1;
    }
    // Until the window that starts with the last item's pane is final.
    const lastPane = paneOf(records.at(-1)?.acceptedAtMs ?? STREAM_START_MS, analysis.advanceSeconds);
    for (; nextCloseMs <= finalAtMs(lastPane, analysis, settleMs) + closerMs; nextCloseMs += closerMs) {
      await close(nextCloseMs);
    }

    const items = records.length;
    const counted = bodies.reduce((sum, body) => sum + body.count, 0);
    const windowsPerItem = analysis.windowSeconds / analysis.advanceSeconds;
    if (counted !== items * windowsPerItem) {
      throw new Error(`The final windows hold ${counted} items, not ${items} x ${windowsPerItem}`);
    }
    const streamEnd = STREAM_START_MS / MS_PER_SECOND + STREAM_SECONDS;
    // Runs whose windows all lie within the stream: full panes, as in a stream that goes on.
    const steady = runs.filter(
      (run) =>
        run.closed > 0 &&
        run.written === run.closed &&
        run.firstStart >= STREAM_START_MS / MS_PER_SECOND &&
        run.firstStart +
          run.closed * analysis.advanceSeconds -
          analysis.advanceSeconds +
          analysis.windowSeconds <=
          streamEnd,
    );
    const steadyMeter = steady.reduce((sum, run) => added(sum, run.meter), NOTHING);
    const steadyWindows = steady.reduce((sum, run) => sum + run.written, 0);
    if (steadyWindows === 0) throw new Error('No closer run closed only full windows: lengthen the stream');
    return {
      analysis: analysis.name,
      itemsPerRequest,
      itemsPerSecond,
      items,
      invocations,
      invocationsPerItem: invocations / items,
      consumerCallsPerItem: per(consumer.calls, items),
      consumerWriteUnitsPerItem: consumer.writeUnits / items,
      consumerReadUnitsPerItem: consumer.readUnits / items,
      largestRowBytes: table.largestItemBytes(),
      closerRuns: runs.length,
      windowsWritten: bodies.length,
      steadyWindows,
      closerCallsPerWindow: per(steadyMeter.calls, steadyWindows),
      closerWriteUnitsPerWindow: steadyMeter.writeUnits / steadyWindows,
      closerReadUnitsPerWindow: steadyMeter.readUnits / steadyWindows,
      objectsPerWindow: steady.reduce((sum, run) => sum + run.objects, 0) / steadyWindows,
    };
  } finally {
    table.restore();
  }
}
