import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AnsweredWindow, readWindows } from '../../lambdas/analyses-api/read-windows';
import { recordItems } from '../../lambdas/analysis/record-items';
import { closeWindows } from '../../lambdas/closer/close-windows';
import type { Analysis } from '../../lambdas/domain/analyses';
import {
  computeWindow,
  isoOf,
  type PaneRow,
  paneOf,
  windowKey,
  windowStartsIn,
} from '../../lambdas/domain/windows';
import { dynamoDbWindows } from '../../lambdas/windows/dynamodb-windows';
import { fakeWindowObjects, itemRecord } from './factories.analyses';
import { fakeDeadLetters } from './factories.batch';
import {
  analysisArbitrary,
  fakeWindowsTable,
  itemValue,
  msAfterT0,
  SETTLE_MS,
  T0,
  type TableFault,
  WINDOW_TABLE,
} from './factories.windows';

/**
 * The analyses end to end in memory: deliveries to the consumer in any order, duplicated, with failed
 * writes, lost answers and crashes after the writes, closer runs in between (some failing), and reads
 * before and after each run; all on the real windows table code over the in-memory table.
 */

const ddbMock = mockClient(DynamoDBClient);
const ddb = new DynamoDBClient({ region: 'eu-west-1' });

/** The items of one request: one acceptance time, so one pane. */
interface RequestSpec {
  readonly acceptedAfterT0Ms: number;
  readonly values: readonly number[];
}

type PaneFault = 'none' | TableFault;

interface Invocation {
  readonly kind: 'invoke';
  readonly advanceMs: number;
  /** Which of the visible pending messages the invocation receives (bit i: the i-th), at most 10. */
  readonly take: number;
  /** Per request (by index, cycling): how its pane write fails in this invocation. */
  readonly paneFaults: readonly PaneFault[];
  /** Whether marking late items fails in this invocation. */
  readonly lateRefused: boolean;
  /** Whether the invocation crashes after its writes (SQS redelivers every record). */
  readonly crash: boolean;
  /** An acknowledged message SQS delivers again (at-least-once), by position (cycling); -1 for none. */
  readonly redeliver: number;
}

interface CloserRun {
  readonly kind: 'close';
  readonly advanceMs: number;
  readonly maxWindowsPerRun: number;
  readonly fault: 'none' | 'object' | 'advanceRefused' | 'advanceLost';
}

const requestSpec: fc.Arbitrary<RequestSpec> = fc.record({
  acceptedAfterT0Ms: fc.integer({ min: 0, max: 60_000 }),
  values: fc.array(itemValue, { minLength: 1, maxLength: 4 }),
});

const invocation: fc.Arbitrary<Invocation> = fc.record({
  kind: fc.constant('invoke' as const),
  advanceMs: fc.integer({ min: 0, max: 20_000 }),
  take: fc.integer({ min: 1, max: 2 ** 20 }),
  paneFaults: fc.array(fc.constantFrom<PaneFault>('none', 'none', 'refused', 'lost'), {
    minLength: 1,
    maxLength: 4,
  }),
  lateRefused: fc.boolean(),
  crash: fc.boolean(),
  redeliver: fc.integer({ min: -1, max: 20 }),
});

const closerRun: fc.Arbitrary<CloserRun> = fc.record({
  kind: fc.constant('close' as const),
  advanceMs: fc.integer({ min: 0, max: 30_000 }),
  maxWindowsPerRun: fc.integer({ min: 1, max: 30 }),
  fault: fc.constantFrom<CloserRun['fault']>('none', 'none', 'object', 'advanceRefused', 'advanceLost'),
});

interface Message {
  readonly messageId: string;
  readonly requestId: string;
  readonly index: number;
  readonly value: number;
  readonly acceptedAtMs: number;
  receiveCount: number;
}

const itemKey = ({ requestId, index }: { requestId: string; index: number }): string =>
  `${requestId}:${index}`;

/** The windows from scratch: each item once, on time for a window when first written before its end plus L. */
function expectedWindows(
  analysis: Analysis,
  messages: readonly Message[],
  firstArrival: ReadonlyMap<string, number>,
  starts: readonly number[],
): AnsweredWindow[] {
  const rows = new Map<string, PaneRow & { items: Map<number, { value: number; arrivedAtMs: number }> }>();
  for (const message of messages) {
    const arrivedAtMs = firstArrival.get(itemKey(message));
    if (arrivedAtMs === undefined) throw new Error(`item ${itemKey(message)} was never written`);
    const paneStart = paneOf(message.acceptedAtMs, analysis.advanceSeconds);
    const key = `${paneStart}#${message.requestId}`;
    const row = rows.get(key) ?? {
      analysis: analysis.name,
      paneStart,
      requestId: message.requestId,
      items: new Map(),
    };
    row.items.set(message.index, { value: message.value, arrivedAtMs });
    rows.set(key, row);
  }
  return starts.map((start) => {
    const onTimeBeforeMs = (start + analysis.windowSeconds + analysis.latenessSeconds) * 1_000;
    const late = [...rows.values()]
      .filter((row) => row.paneStart >= start && row.paneStart < start + analysis.windowSeconds)
      .flatMap((row) => [...row.items.values()])
      .filter((item) => item.arrivedAtMs >= onTimeBeforeMs).length;
    return { ...computeWindow(start, analysis, [...rows.values()], late), final: true };
  });
}

describe('analyses properties', () => {
  it('counts every item exactly once in each of its windows, whatever the deliveries, and reads a window the same before and after it is closed', async () => {
    await fc.assert(
      fc.asyncProperty(
        analysisArbitrary,
        fc.array(requestSpec, { minLength: 1, maxLength: 4 }),
        fc.array(fc.oneof({ weight: 3, arbitrary: invocation }, { weight: 1, arbitrary: closerRun }), {
          maxLength: 12,
        }),
        async (analysis, requests, steps) => {
          ddbMock.reset();
          const table = fakeWindowsTable(ddbMock, { pageSize: 3 });
          const objects = fakeWindowObjects();
          const windows = dynamoDbWindows(ddb, {
            tableName: WINDOW_TABLE,
            analysis,
            retention: { settleMs: SETTLE_MS, retentionDays: 7 },
          });
          let sent = 0;
          const messages: Message[] = requests.flatMap(({ acceptedAfterT0Ms, values }, request) =>
            values.map((value, index) => ({
              messageId: `m${sent++}`,
              requestId: `req-${request}`,
              index,
              value,
              acceptedAtMs: msAfterT0(0) + acceptedAfterT0Ms,
              receiveCount: 0,
            })),
          );
          let pending = [...messages];
          const acknowledged: Message[] = [];
          const firstArrival = new Map<string, number>();
          let clock = msAfterT0(0);
          // Every window holding an item starts after T0 - W; the reads cover those and some after.
          const firstStart = T0 - analysis.windowSeconds;
          const fromMs = firstStart * 1_000;
          const toMs = (T0 + 60 + 2 * analysis.windowSeconds) * 1_000;
          const read = async (nowMs: number) =>
            (
              await readWindows(
                [analysis],
                {
                  name: analysis.name,
                  from: isoOf(fromMs / 1_000),
                  to: isoOf(toMs / 1_000),
                  now: new Date(nowMs),
                },
                () => windows,
                SETTLE_MS,
              )
            ).windows;
          const close = (maxWindowsPerRun: number) =>
            closeWindows(
              analysis,
              // The first close starts at T0 - W, whenever it runs.
              {
                settleMs: SETTLE_MS,
                maxWindowsPerRun,
                firstLookbackSeconds: Math.ceil(clock / 1_000) - firstStart,
              },
              { windows, objects, clock: () => new Date(clock) },
            );

          const invoke = async (step: Omit<Invocation, 'kind' | 'advanceMs'>) => {
            const visible = pending.filter((message) => message.acceptedAtMs <= clock);
            const taken = visible.filter((_, position) => (step.take >> (position % 20)) & 1).slice(0, 10);
            if (taken.length === 0) return;
            const faultOf = (requestId: string): PaneFault =>
              step.paneFaults[Number(requestId.slice(4)) % step.paneFaults.length] ?? 'none';
            table.failWhen = ({ operation, pk, sk = '' }) => {
              if (operation !== 'UpdateItem') return undefined;
              if (pk.startsWith('pane#')) {
                const fault = faultOf(sk);
                return fault === 'none' ? undefined : fault;
              }
              return step.lateRefused ? 'refused' : undefined;
            };
            for (const message of taken) message.receiveCount += 1;
            const records = taken.map((message) =>
              itemRecord({ ...message, item: message.value, acceptedAtMs: message.acceptedAtMs }),
            );
            // One attempt, and a dead-letter queue that refuses: every failure goes back to the model's queue.
            const outcome = await recordItems(records, analysis, 1, {
              windows,
              clock: () => new Date(clock),
              deadLetters: fakeDeadLetters('all'),
              pause: async () => {},
            });
            table.failWhen = undefined;
            // A pane write that reached the table keeps the first arrival of each of its items.
            for (const message of taken) {
              if (faultOf(message.requestId) !== 'refused' && !firstArrival.has(itemKey(message)))
                firstArrival.set(itemKey(message), clock);
            }
            if (step.crash) return;
            const failed = new Set(outcome.failedMessageIds);
            acknowledged.push(...taken.filter((message) => !failed.has(message.messageId)));
            pending = pending.filter((message) => !taken.includes(message) || failed.has(message.messageId));
            const again = step.redeliver < 0 ? undefined : acknowledged[step.redeliver % acknowledged.length];
            if (again !== undefined) pending.push({ ...again, messageId: `m${sent++}` });
          };

          for (const step of steps) {
            clock += step.advanceMs;
            if (step.kind === 'invoke') {
              await invoke(step);
              continue;
            }
            // A closer run changes no answer: closed windows read from their rows what their panes gave.
            const before = await read(clock);
            if (step.fault === 'object') objects.failWhen = () => true;
            if (step.fault === 'advanceRefused' || step.fault === 'advanceLost') {
              const fault = step.fault === 'advanceRefused' ? 'refused' : 'lost';
              table.failWhen = ({ pk }) => (pk.startsWith('closer#') ? fault : undefined);
            }
            await close(step.maxWindowsPerRun).catch(() => undefined);
            objects.failWhen = undefined;
            table.failWhen = undefined;
            expect(await read(clock)).toEqual(before);
          }

          // Every message is eventually received without faults and acknowledged.
          clock = Math.max(clock, ...messages.map((message) => message.acceptedAtMs));
          while (pending.length > 0) {
            clock += 100;
            await invoke({
              take: 2 ** 20 - 1,
              paneFaults: ['none'],
              lateRefused: false,
              crash: false,
              redeliver: -1,
            });
          }
          // Every window of the reads is final.
          clock = Math.max(
            clock,
            toMs + (analysis.windowSeconds + analysis.latenessSeconds) * 1_000 + SETTLE_MS,
          );
          const starts = windowStartsIn(fromMs, toMs, analysis.advanceSeconds);
          const expected = expectedWindows(analysis, messages, firstArrival, starts);
          const beforeClosing = await read(clock);
          for (let run = 0; run < 100 && (await close(1_000)).behind; run += 1);
          const afterClosing = await read(clock);

          expect(beforeClosing).toEqual(expected);
          expect(afterClosing).toEqual(expected);
          expect(await windows.closedUntil()).toBeGreaterThanOrEqual(starts.at(-1) ?? 0);
          // One object per window with items, holding its values; `late` as counted when it closed.
          const withItems = expected.filter((window) => window.count > 0);
          expect([...objects.objects.keys()].sort()).toEqual(
            withItems.map((window) => windowKey(analysis.name, Date.parse(window.start))).sort(),
          );
          for (const { final: _, late, ...values } of withItems) {
            const body = objects.objects.get(
              windowKey(analysis.name, Date.parse(values.start)),
            ) as AnsweredWindow;
            expect(body).toMatchObject({ ...values, final: true });
            expect(body.late).toBeLessThanOrEqual(late);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
