import {
  PublishBatchCommand,
  type PublishBatchCommandInput,
  type PublishBatchCommandOutput,
  type PublishBatchRequestEntry,
  SNSClient,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { decodeEnvelope } from '../../lambdas/domain/envelope';
import { EnqueueFailedError } from '../../lambdas/domain/errors';
import type { Ordering } from '../../lambdas/domain/settings';
import { acceptItems, MAX_ATTEMPTS } from '../../lambdas/ingest/accept-items';
import {
  API_KEY_ID,
  FIXED_NOW,
  ingestDeps,
  ingestSettings,
  itemsUpTo,
  rejectionOf,
  TOPIC_ARN,
} from './factories.ingest';

const snsMock = mockClient(SNSClient);
const sns = new SNSClient({ region: 'eu-west-1' });

type BatchOutput = Partial<PublishBatchCommandOutput>;

/** The dispatcher takes every entry whose id is not in `failing`, and reports the others as failed. */
function snsAnswer(input: PublishBatchCommandInput, failing: (id: string) => boolean = () => false) {
  const entries = input.PublishBatchRequestEntries ?? [];
  return {
    Successful: entries
      .filter((entry) => !failing(entry.Id ?? ''))
      .map((entry) => ({ Id: entry.Id, MessageId: `msg-${entry.Id}`, SequenceNumber: '1' })),
    Failed: entries
      .filter((entry) => failing(entry.Id ?? ''))
      .map((entry) => ({ Id: entry.Id, Code: 'InternalError', SenderFault: false })),
  } satisfies BatchOutput;
}

const acceptAll = (input: PublishBatchCommandInput) => snsAnswer(input);

/** The entries of every SendMessageBatch call, in call order. */
const sentBatches = (): PublishBatchRequestEntry[][] =>
  snsMock
    .commandCalls(PublishBatchCommand)
    .map((call) => call.args[0].input.PublishBatchRequestEntries ?? []);

const idsOf = (entries: readonly PublishBatchRequestEntry[]): (string | undefined)[] =>
  entries.map((entry) => entry.Id);

beforeEach(() => {
  snsMock.reset();
});

describe('acceptItems', () => {
  it.each<{ ordering: Ordering; group: (requestId: string) => string }>([
    { ordering: 'perRequest', group: (requestId) => requestId },
    { ordering: 'global', group: () => 'global' },
  ])(
    'sends 23 items as batches of 10, 10 and 3 in order (ordering $ordering)',
    async ({ ordering, group }) => {
      // Prepare
      snsMock.on(PublishBatchCommand).callsFake(acceptAll);
      const items = itemsUpTo(23).map((n) => n * 100);
      const deps = ingestDeps(sns);

      // Act
      const result = await acceptItems(
        { items, idempotencyKey: undefined },
        API_KEY_ID,
        ingestSettings({ ordering }),
        deps,
      );

      // Assert
      expect(result).toEqual({
        requestId: 'random-1',
        accepted: 23,
        enqueuedOutOfOrder: [],
        tracked: true,
        enqueuedNow: 23,
      });
      const batches = sentBatches();
      expect(batches.map((batch) => batch.length)).toEqual([10, 10, 3]);
      const calls = snsMock.commandCalls(PublishBatchCommand);
      expect(calls.every((call) => call.args[0].input.TopicArn === TOPIC_ARN)).toBe(true);
      const entries = batches.flat();
      expect(entries.map((entry) => entry.MessageGroupId)).toEqual(items.map(() => group('random-1')));
      expect(entries.map((entry) => entry.MessageDeduplicationId)).toEqual(
        items.map((_, index) => `random-1:${index}`),
      );
      expect(entries.map((entry) => decodeEnvelope(entry.Message ?? ''))).toEqual(
        items.map((item, index) => ({ v: 1, item, requestId: 'random-1', index, acceptedAt: FIXED_NOW })),
      );
      expect(deps.sleep).not.toHaveBeenCalled();
    },
  );

  it('retries an entry reported in Failed alone, with the same deduplication id, and accepts all 23', async () => {
    // Prepare: entry 3 of the first chunk fails once.
    snsMock
      .on(PublishBatchCommand)
      .callsFakeOnce((input: PublishBatchCommandInput) => snsAnswer(input, (id) => id === '3'))
      .callsFake(acceptAll);
    const deps = ingestDeps(sns);

    // Act
    const result = await acceptItems(
      { items: itemsUpTo(23), idempotencyKey: undefined },
      API_KEY_ID,
      ingestSettings(),
      deps,
    );

    // Assert: the dispatcher took 0-2 and 4-9 first, so index 3 went in after later items, and says so
    expect(result).toEqual({
      requestId: 'random-1',
      accepted: 23,
      enqueuedOutOfOrder: [3],
      tracked: true,
      enqueuedNow: 23,
    });
    const batches = sentBatches();
    expect(batches.map((batch) => batch.length)).toEqual([10, 1, 10, 3]);
    expect(batches[1]).toEqual([batches[0]?.[3]]);
    expect(batches[1]?.[0]?.MessageDeduplicationId).toBe('random-1:3');
    expect(deps.sleep.mock.calls).toEqual([[50]]);
  });

  it.each([
    { name: 'only the last entries fail once', rounds: [['8', '9']], outOfOrder: [] },
    { name: 'the first entry fails once', rounds: [['0']], outOfOrder: [0] },
    { name: 'two entries fail apart once', rounds: [['2', '6']], outOfOrder: [2, 6] },
    // 4 and 7 go in on the second attempt, 1 only on the third: the list is still in request order.
    { name: '1, 4 and 7 fail, then 1 again', rounds: [['1', '4', '7'], ['1']], outOfOrder: [1, 4, 7] },
  ])(
    'reports indexes enqueued after later ones, in request order, when $name',
    async ({ rounds, outOfOrder }) => {
      // Prepare: each round, the dispatcher refuses those entries and takes the others; then it takes everything.
      let snsAnswers = snsMock.on(PublishBatchCommand);
      for (const failing of rounds) {
        snsAnswers = snsAnswers.callsFakeOnce((input: PublishBatchCommandInput) =>
          snsAnswer(input, (id) => failing.includes(id)),
        );
      }
      snsAnswers.callsFake(acceptAll);

      // Act
      const result = await acceptItems(
        { items: itemsUpTo(10), idempotencyKey: undefined },
        API_KEY_ID,
        ingestSettings(),
        ingestDeps(sns),
      );

      // Assert
      expect(result.accepted).toBe(10);
      expect(result.enqueuedOutOfOrder).toEqual(outOfOrder);
      expect(sentBatches()).toHaveLength(1 + rounds.length);
    },
  );

  it('retries a thrown SDK error with the whole chunk, then carries on', async () => {
    // Prepare
    snsMock.on(PublishBatchCommand).rejectsOnce(new Error('ThrottlingException')).callsFake(acceptAll);
    const deps = ingestDeps(sns);

    // Act
    const result = await acceptItems(
      { items: itemsUpTo(23), idempotencyKey: undefined },
      API_KEY_ID,
      ingestSettings(),
      deps,
    );

    // Assert
    expect(result.accepted).toBe(23);
    const batches = sentBatches();
    expect(batches.map((batch) => batch.length)).toEqual([10, 10, 10, 3]);
    expect(batches[1]).toEqual(batches[0]);
    expect(deps.sleep).toHaveBeenCalledOnce();
  });

  it('gives up on a chunk that keeps failing after MAX_ATTEMPTS, reporting what went in before it', async () => {
    // Prepare: the second chunk (ids 10..19) is refused every time.
    snsMock
      .on(PublishBatchCommand)
      .callsFake((input: PublishBatchCommandInput) => snsAnswer(input, (id) => Number(id) >= 10));
    const deps = ingestDeps(sns);

    // Act
    const error = await rejectionOf(
      acceptItems({ items: itemsUpTo(23), idempotencyKey: undefined }, API_KEY_ID, ingestSettings(), deps),
    );

    // Assert
    expect(error).toBeInstanceOf(EnqueueFailedError);
    const failure = error as EnqueueFailedError;
    expect({ requestId: failure.requestId, enqueued: failure.enqueued, total: failure.total }).toEqual({
      requestId: 'random-1',
      enqueued: 10,
      total: 23,
    });
    expect(failure.code).toBe('ENQUEUE_FAILED');
    // The cause says what the dispatcher answered on the last attempt.
    expect(failure.cause).toBeInstanceOf(Error);
    expect((failure.cause as Error).message).toBe('The dispatcher rejected 10 entries: InternalError');
    // One send of the first chunk, MAX_ATTEMPTS of the second; the third is never sent.
    expect(idsOf(sentBatches().flat()).filter((id) => id === '20')).toEqual([]);
    expect(sentBatches()).toHaveLength(1 + MAX_ATTEMPTS);
    // Exponential backoff between attempts, through the injected sleep.
    expect(deps.sleep.mock.calls).toEqual([[50], [100], [200]]);
  });

  it('counts the entries of a failing chunk that did go in', async () => {
    // Prepare: only item index 12 is refused every time.
    snsMock
      .on(PublishBatchCommand)
      .callsFake((input: PublishBatchCommandInput) => snsAnswer(input, (id) => id === '12'));

    // Act
    const error = await rejectionOf(
      acceptItems(
        { items: itemsUpTo(23), idempotencyKey: undefined },
        API_KEY_ID,
        ingestSettings(),
        ingestDeps(sns),
      ),
    );

    // Assert
    expect(error).toBeInstanceOf(EnqueueFailedError);
    expect((error as EnqueueFailedError).enqueued).toBe(19);
    expect(sentBatches().slice(2).map(idsOf)).toEqual([['12'], ['12'], ['12']]);
  });

  it('reports the SDK error as the cause when every send throws', async () => {
    // Prepare
    const outage = new Error('ServiceUnavailable');
    snsMock.on(PublishBatchCommand).rejects(outage);

    // Act
    const error = await rejectionOf(
      acceptItems(
        { items: [1, 2, 3], idempotencyKey: undefined },
        API_KEY_ID,
        ingestSettings(),
        ingestDeps(sns),
      ),
    );

    // Assert
    expect(error).toBeInstanceOf(EnqueueFailedError);
    expect(error).toMatchObject({ requestId: 'random-1', enqueued: 0, total: 3 });
    expect((error as EnqueueFailedError).cause).toBe(outage);
    expect(sentBatches()).toHaveLength(MAX_ATTEMPTS);
  });

  it('gives a repeat with the same Idempotency-Key the same requestId and deduplication ids', async () => {
    // Prepare: each attempt has its own random ids and clock, as two Lambda invocations would.
    snsMock.on(PublishBatchCommand).callsFake(acceptAll);
    const request = { items: itemsUpTo(12), idempotencyKey: 'order-42' };
    const later = ingestDeps(sns, {
      clock: () => new Date('2026-11-23T10:44:00.000Z'),
      randomId: () => 'other',
    });

    // Act
    const first = await acceptItems(request, API_KEY_ID, ingestSettings(), ingestDeps(sns));
    const repeat = await acceptItems(request, API_KEY_ID, ingestSettings(), later);

    // Assert
    expect(repeat).toEqual(first);
    expect(first.requestId).not.toMatch(/^random-|^other$/);
    const dedupIds = sentBatches().map((batch) => batch.map((entry) => entry.MessageDeduplicationId));
    expect(dedupIds).toHaveLength(4);
    expect(dedupIds.slice(2)).toEqual(dedupIds.slice(0, 2));
  });

  it('gives the same Idempotency-Key from another caller a different requestId', async () => {
    // Prepare
    snsMock.on(PublishBatchCommand).callsFake(acceptAll);
    const request = { items: [1], idempotencyKey: 'order-42' };

    // Act
    const mine = await acceptItems(request, 'key-id-1', ingestSettings(), ingestDeps(sns));
    const theirs = await acceptItems(request, 'key-id-2', ingestSettings(), ingestDeps(sns));

    // Assert
    expect(theirs.requestId).not.toBe(mine.requestId);
  });
});
