import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { processBatch } from '../../lambdas/batch/process-batch';
import { ATTEMPT_PAUSE_MS } from '../../lambdas/shared/dead-letters';
import { CONFLICT_ATTEMPTS } from '../../lambdas/shared/s3-json';
import {
  ACCEPTED_AT,
  anyFailureRecord,
  batchDeps,
  batchRules,
  conditionalRequestConflict,
  deadLetteredIds,
  FIXED_MINUTE_PATH,
  FIXED_NOW,
  failureObjects,
  fakeBucket,
  fakeDeadLetters,
  interleavedGroups,
  malformedRecord,
  queueRecord,
  queueRecords,
  resultHolding,
  resultObjects,
  segmentsOfGroup,
  storedSegments,
} from './factories.batch';
import { fakeLedger } from './factories.ledger';

const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'eu-west-1' });

const RESULT_KEY = new RegExp(`^results/${FIXED_MINUTE_PATH}/[0-9a-f]{32}\\.json$`);

beforeEach(() => {
  s3Mock.reset();
});

/** The PUTs of results objects (failure records aside). */
const resultsPuts = () =>
  s3Mock
    .commandCalls(PutObjectCommand)
    .filter((call) => String(call.args[0].input.Key).startsWith('results/'));

/** One attempt per write: the tests of one attempt's segments and groups (attempts have their own). */
const ONE_ATTEMPT = { writeAttempts: 1 } as const;

describe('processBatch: storing segments', () => {
  it('stores the contract example [1,2,3,4,5] as [1] then [2,3,4,5] under the minute of the write', async () => {
    // Prepare
    const records = queueRecords([
      ['A', 1],
      ['A', 2],
      ['A', 3],
      ['A', 4],
      ['A', 5],
    ]);
    const bucket = fakeBucket(s3Mock);

    // Act
    const outcome = await processBatch(records, batchRules(), batchDeps(s3));

    // Assert
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(2);
    expect(storedSegments(bucket)).toEqual([[1], [2, 3, 4, 5]]);
    for (const { key } of resultObjects(bucket)) expect(key).toMatch(RESULT_KEY);
    expect(resultObjects(bucket)[1]?.body).toEqual({
      v: 1,
      minute: '2026-11-23T10:42Z',
      writtenAt: FIXED_NOW,
      items: [2, 3, 4, 5].map((item, position) => ({
        item,
        requestId: 'req-A',
        index: position + 1,
        messageId: `msg-A-${position + 1}`,
        groupId: 'A',
        acceptedAt: ACCEPTED_AT,
      })),
    });
    expect(outcome.failedMessageIds).toEqual([]);
    expect(outcome.failures).toEqual([]);
  });

  it('writes JSON objects to the configured bucket', async () => {
    // Prepare
    fakeBucket(s3Mock);

    // Act
    await processBatch(
      [queueRecord({ item: 3 })],
      batchRules(),
      batchDeps(s3, { bucketName: 'other-bucket' }),
    );

    // Assert
    const input = s3Mock.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(input?.Bucket).toBe('other-bucket');
    expect(input?.ContentType).toBe('application/json');
  });

  it('never makes an object larger than the batch size: 5 items with batch size 2 give 3 objects', async () => {
    // Prepare
    const records = queueRecords([
      ['A', 3],
      ['A', 4],
      ['A', 5],
      ['A', 6],
      ['A', 7],
    ]);
    const bucket = fakeBucket(s3Mock);

    // Act
    const outcome = await processBatch(records, batchRules({ batchSize: 2 }), batchDeps(s3));

    // Assert
    expect(storedSegments(bucket)).toEqual([[3, 4], [5, 6], [7]]);
    expect(outcome.segmentsWritten).toBe(3);
    expect(outcome.exclusionSplits).toBe(0);
  });

  it('packs records of different message groups into one object: five one-item requests cost one PUT', async () => {
    // Prepare
    const records = queueRecords([
      ['A', 3],
      ['B', 4],
      ['C', 5],
      ['D', 6],
      ['E', 7],
    ]);
    const bucket = fakeBucket(s3Mock);

    // Act
    const outcome = await processBatch(records, batchRules(), batchDeps(s3));

    // Assert
    expect(storedSegments(bucket)).toEqual([[3, 4, 5, 6, 7]]);
    expect(resultObjects(bucket)[0]?.body.items.map((entry) => entry.groupId)).toEqual([
      'A',
      'B',
      'C',
      'D',
      'E',
    ]);
    expect(outcome.segmentsWritten).toBe(1);
  });

  it('applies the exclusion rule to the object, whatever the groups: [A1, B2, A3, B4] give [1] and [2,3,4]', async () => {
    // Prepare
    const records = queueRecords([
      ['A', 1],
      ['B', 2],
      ['A', 3],
      ['B', 4],
    ]);
    const bucket = fakeBucket(s3Mock);

    // Act
    const outcome = await processBatch(records, batchRules(), batchDeps(s3));

    // Assert
    expect(storedSegments(bucket)).toEqual([[1], [2, 3, 4]]);
    expect(segmentsOfGroup(bucket, 'A')).toEqual([[1], [3]]);
    expect(segmentsOfGroup(bucket, 'B')).toEqual([[2, 4]]);
    expect(outcome.exclusionSplits).toBe(1);
  });

  it("does not start a group's next segment before the previous write has finished", async () => {
    // Prepare: each write yields before completing, so parallel writes would overlap.
    let inFlight = 0;
    let maxInFlight = 0;
    s3Mock.on(PutObjectCommand).callsFake(async () => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await Promise.resolve();
      inFlight -= 1;
      return {};
    });
    const records = queueRecords([
      ['A', 1],
      ['A', 2],
      ['A', 1],
      ['A', 2],
    ]);

    // Act
    await processBatch(records, batchRules(), batchDeps(s3));

    // Assert
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(4);
    expect(maxInFlight).toBe(1);
  });

  it('writes the same keys when the same records are redelivered in the same minute', async () => {
    // Prepare
    const records = queueRecords([
      ['A', 1],
      ['A', 2],
      ['A', 3],
      ['B', 4],
    ]);
    const first = fakeBucket(s3Mock);
    await processBatch(records, batchRules(), batchDeps(s3, { now: '2026-11-23T10:42:01.000Z' }));
    const firstKeys = first.stored.map(({ key }) => key);
    s3Mock.reset();
    const second = fakeBucket(s3Mock);

    // Act
    await processBatch(records, batchRules(), batchDeps(s3, { now: '2026-11-23T10:42:58.000Z' }));

    // Assert: [1] and [2,3,4]
    expect(firstKeys).toHaveLength(2);
    expect(second.stored.map(({ key }) => key).sort()).toEqual([...firstKeys].sort());
  });
});

describe('processBatch: write-once results objects', () => {
  it('asks S3 to write each results object only if its key is free', async () => {
    // Prepare
    fakeBucket(s3Mock);

    // Act
    await processBatch([queueRecord({ item: 3 })], batchRules(), batchDeps(s3));

    // Assert
    expect(s3Mock.commandCalls(PutObjectCommand)[0]?.args[0].input.IfNoneMatch).toBe('*');
  });

  it('keeps the first object when a redelivery in the same minute writes the same segment, and reports no failure', async () => {
    // Prepare
    const records = queueRecords([
      ['A', 1],
      ['A', 2],
      ['B', 3],
    ]);
    const bucket = fakeBucket(s3Mock);
    await processBatch(records, batchRules(), batchDeps(s3, { now: '2026-11-23T10:42:01.000Z' }));
    const first = resultObjects(bucket).map(({ key, body }) => ({ key, writtenAt: body.writtenAt }));

    // Act
    const outcome = await processBatch(
      records,
      batchRules(),
      batchDeps(s3, { now: '2026-11-23T10:42:58.000Z' }),
    );

    // Assert: [1] and [2,3], each stored once, with the time of the first write
    expect(first).toHaveLength(2);
    expect(bucket.alreadyStoredKeys.sort()).toEqual(first.map(({ key }) => key).sort());
    expect(resultObjects(bucket).map(({ key, body }) => ({ key, writtenAt: body.writtenAt }))).toEqual(first);
    expect(outcome.failedMessageIds).toEqual([]);
    expect(outcome.itemsStored).toBe(3);
  });

  it('retries a write S3 answers with 409 ConditionalRequestConflict, backing off, and stores it', async () => {
    // Prepare: two conflicts, then the write goes through
    const bucket = fakeBucket(s3Mock);
    s3Mock
      .on(PutObjectCommand)
      .rejectsOnce(conditionalRequestConflict())
      .rejectsOnce(conditionalRequestConflict())
      .callsFake(async (input) => {
        bucket.stored.push({ key: String(input.Key), body: JSON.parse(String(input.Body)) });
        return {};
      });
    const sleeps: number[] = [];

    // Act
    const outcome = await processBatch([queueRecord({ item: 3 })], batchRules(), batchDeps(s3, { sleeps }));

    // Assert
    expect(outcome.failedMessageIds).toEqual([]);
    expect(storedSegments(bucket)).toEqual([[3]]);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(CONFLICT_ATTEMPTS);
    expect(sleeps).toEqual([50, 100]);
  });

  it('fails the segment when S3 keeps answering 409, after a bounded number of attempts', async () => {
    // Prepare
    s3Mock.on(PutObjectCommand).rejects(conditionalRequestConflict());

    // Act
    const outcome = await processBatch([queueRecord({ item: 3 })], batchRules(ONE_ATTEMPT), batchDeps(s3));

    // Assert
    expect(deadLetteredIds(outcome)).toEqual(['msg-A-0']);
    expect(outcome.failedMessageIds).toEqual([]);
    expect(outcome.failures[0]?.error).toContain('ConditionalRequestConflict');
    expect(resultsPuts()).toHaveLength(CONFLICT_ATTEMPTS);
  });

  it('still fails the segment on any other S3 error', async () => {
    // Prepare
    s3Mock.on(PutObjectCommand).rejects(Object.assign(new Error('Slow Down'), { name: 'SlowDown' }));

    // Act
    const outcome = await processBatch([queueRecord({ item: 3 })], batchRules(ONE_ATTEMPT), batchDeps(s3));

    // Assert: no retry of its own within the attempt (the SDK's retries cover throttling)
    expect(deadLetteredIds(outcome)).toEqual(['msg-A-0']);
    expect(outcome.failedMessageIds).toEqual([]);
    expect(outcome.failures[0]?.error).toContain('SlowDown');
    expect(resultsPuts()).toHaveLength(1);
  });
});

describe('processBatch: failed writes', () => {
  it('reports only A2 and A4 when the object holding A2 fails, while group B is stored in order', async () => {
    // Prepare: cut into [1] and [2,3,4,5]; that packed write fails, so A's [2,4] and B's [3,5] are
    // written on their own, and only A's part fails again.
    const records = queueRecords([
      ['A', 1],
      ['A', 2],
      ['B', 3],
      ['A', 4],
      ['B', 5],
    ]);
    const [a1, a2, , a4] = records;
    const bucket = fakeBucket(s3Mock, resultHolding(a2?.messageId ?? ''));

    // Act
    const outcome = await processBatch(records, batchRules(ONE_ATTEMPT), batchDeps(s3));

    // Assert
    expect(deadLetteredIds(outcome)).toEqual([a2?.messageId, a4?.messageId]);
    expect(outcome.failedMessageIds).toEqual([]);
    expect(outcome.failures.map(({ reason }) => reason)).toEqual(['write_failed', 'write_failed']);
    expect(segmentsOfGroup(bucket, 'A')).toEqual([[1]]);
    expect(segmentsOfGroup(bucket, 'B')).toEqual([[3, 5]]);
    expect(resultObjects(bucket).flatMap(({ body }) => body.items.map((entry) => entry.messageId))).toContain(
      a1?.messageId,
    );
    expect(outcome.itemsStored).toBe(3);
    expect(outcome.segmentsWritten).toBe(2);
  });

  it("blocks a failed group's records in later objects while other groups' records are still written", async () => {
    // Prepare: batch size 2 gives [3,4] and [5,6]; A's part of the first fails on its own too.
    const records = interleavedGroups();
    const bucket = fakeBucket(s3Mock, resultHolding('msg-A-0'));

    // Act
    const outcome = await processBatch(records, batchRules({ ...ONE_ATTEMPT, batchSize: 2 }), batchDeps(s3));

    // Assert
    expect(outcome.failures.map(({ messageId, reason }) => ({ messageId, reason }))).toEqual([
      { messageId: 'msg-A-0', reason: 'write_failed' },
      { messageId: 'msg-A-1', reason: 'earlier_item_failed' },
    ]);
    expect(storedSegments(bucket)).toEqual([[4], [6]]);
    expect(bucket.rejectedKeys).toHaveLength(2);
  });

  it('fails every later record of the group without writing it when the first segment fails', async () => {
    // Prepare: A is cut into [1], [2,3], [1]; the first write fails, so nothing of A may overtake it.
    const records = queueRecords([
      ['A', 1],
      ['A', 2],
      ['B', 7],
      ['A', 3],
      ['A', 1],
    ]);
    const bucket = fakeBucket(s3Mock, resultHolding('msg-A-0'));

    // Act
    const outcome = await processBatch(records, batchRules(ONE_ATTEMPT), batchDeps(s3));

    // Assert
    expect(
      outcome.failures.map(({ messageId, reason, retried }) => ({ messageId, reason, retried })),
    ).toEqual([
      { messageId: 'msg-A-0', reason: 'write_failed', retried: false },
      { messageId: 'msg-A-1', reason: 'earlier_item_failed', retried: false },
      { messageId: 'msg-A-2', reason: 'earlier_item_failed', retried: false },
      { messageId: 'msg-A-3', reason: 'earlier_item_failed', retried: false },
    ]);
    expect(deadLetteredIds(outcome)).toEqual(['msg-A-0', 'msg-A-1', 'msg-A-2', 'msg-A-3']);
    expect(outcome.failedMessageIds).toEqual([]);
    // Only the failed attempt of A and B's object reached S3.
    expect(bucket.rejectedKeys).toHaveLength(1);
    expect(storedSegments(bucket)).toEqual([[7]]);
  });

  it('keeps the segments before a failed one and blocks the ones after it', async () => {
    // Prepare: [1,2,1,2] gives four singletons; the second one fails.
    const records = queueRecords([
      ['A', 1],
      ['A', 2],
      ['A', 1],
      ['A', 2],
    ]);
    const bucket = fakeBucket(s3Mock, resultHolding('msg-A-1'));

    // Act
    const outcome = await processBatch(records, batchRules(ONE_ATTEMPT), batchDeps(s3));

    // Assert
    expect(storedSegments(bucket)).toEqual([[1]]);
    expect(outcome.failures.map(({ reason }) => reason)).toEqual([
      'write_failed',
      'earlier_item_failed',
      'earlier_item_failed',
    ]);
    expect(deadLetteredIds(outcome)).toEqual(['msg-A-1', 'msg-A-2', 'msg-A-3']);
    expect(outcome.failedMessageIds).toEqual([]);
    expect(outcome.itemsStored).toBe(1);
    expect(outcome.segmentsWritten).toBe(1);
    expect(outcome.exclusionSplits).toBe(3);
  });

  it('names the S3 error in the failure and the blocking error in the blocked records', async () => {
    // Prepare
    const records = queueRecords([
      ['A', 1],
      ['A', 2],
    ]);
    fakeBucket(s3Mock, resultHolding('msg-A-0'));

    // Act
    const outcome = await processBatch(records, batchRules(ONE_ATTEMPT), batchDeps(s3));

    // Assert
    expect(outcome.failures[0]?.error).toContain('S3 rejected results/');
    expect(outcome.failures[1]?.error).toMatch(/^Blocked by .*S3 rejected results\//);
  });
});

describe('processBatch: malformed records', () => {
  it.each([
    { name: 'a body that is not JSON', body: 'not json' },
    {
      name: 'an unknown envelope version',
      body: '{"v":2,"item":3,"requestId":"r","index":0,"acceptedAt":"2026-11-23T10:41:59Z"}',
    },
    { name: 'a JSON array', body: '[1,2]' },
    {
      name: 'an item that is not an integer',
      body: '{"v":1,"item":"3","requestId":"r","index":0,"acceptedAt":"2026-11-23T10:41:59Z"}',
    },
  ])('records $name as malformed under failed/ and acknowledges it', async ({ body }) => {
    // Prepare
    const bucket = fakeBucket(s3Mock);

    // Act
    const outcome = await processBatch([malformedRecord(body, 'msg-bad', 2)], batchRules(), batchDeps(s3));

    // Assert
    expect(outcome.failedMessageIds).toEqual([]);
    expect(outcome.failures).toEqual([
      expect.objectContaining({
        messageId: 'msg-bad',
        reason: 'malformed',
        retried: false,
        next: 'recorded under failed/, not retried',
      }),
    ]);
    expect(outcome.failureRecordsWritten).toBe(1);
    expect(failureObjects(bucket)).toEqual([
      {
        key: `failed/${FIXED_MINUTE_PATH}/msg-bad.json`,
        body: expect.objectContaining({
          v: 1,
          reason: 'malformed',
          messageId: 'msg-bad',
          receiveCount: 2,
          body,
        }),
      },
    ]);
    expect(resultObjects(bucket)).toEqual([]);
  });

  it('does not let a malformed record hold back the valid records around it', async () => {
    // Prepare
    const records = [
      queueRecord({ item: 3, index: 0 }),
      malformedRecord('garbage'),
      queueRecord({ item: 4, index: 1 }),
    ];
    const bucket = fakeBucket(s3Mock);

    // Act
    const outcome = await processBatch(records, batchRules(), batchDeps(s3));

    // Assert
    expect(storedSegments(bucket)).toEqual([[3, 4]]);
    expect(failureObjects(bucket).map(({ body }) => body.reason)).toEqual(['malformed']);
    expect(outcome.failedMessageIds).toEqual([]);
  });

  it('retries a malformed record when its failure record cannot be written, so nothing is dropped', async () => {
    // Prepare
    const bucket = fakeBucket(s3Mock, anyFailureRecord);

    // Act
    const outcome = await processBatch([malformedRecord('not json')], batchRules(), batchDeps(s3));

    // Assert
    expect(outcome.failedMessageIds).toEqual(['msg-bad']);
    expect(outcome.failures).toEqual([
      expect.objectContaining({ messageId: 'msg-bad', reason: 'malformed', retried: true }),
    ]);
    expect(outcome.failureRecordsWritten).toBe(0);
    expect(bucket.rejectedKeys).toEqual([`failed/${FIXED_MINUTE_PATH}/msg-bad.json`]);
  });

  it('fails the invocation on an error other than a malformed envelope, so SQS retries the batch', async () => {
    // Prepare: a bug in the decoder, not a bad message, must not be recorded as the message's fault.
    vi.resetModules();
    vi.doMock('../../lambdas/domain/envelope', async (importOriginal) => ({
      ...(await importOriginal<typeof import('../../lambdas/domain/envelope')>()),
      decodeEnvelope: () => {
        throw new TypeError('decoder bug');
      },
    }));
    const { processBatch: withBrokenDecoder } = await import('../../lambdas/batch/process-batch');
    const bucket = fakeBucket(s3Mock);

    try {
      // Act
      const run = withBrokenDecoder([queueRecord({ item: 3 })], batchRules(), batchDeps(s3));

      // Assert
      await expect(run).rejects.toThrow(new TypeError('decoder bug'));
      expect(bucket.stored).toEqual([]);
    } finally {
      vi.doUnmock('../../lambdas/domain/envelope');
      vi.resetModules();
    }
  });
});

describe('processBatch: failures of every kind', () => {
  it('reports failures in delivery order, malformed records among the others', async () => {
    // Prepare: the object [3,4] fails, and so does each group's part; the malformed records are
    // recorded (acknowledged) and sit between them in delivery order.
    const records = [
      queueRecord({ group: 'A', item: 3 }),
      malformedRecord('not json', 'msg-bad-1'),
      queueRecord({ group: 'B', item: 4 }),
      malformedRecord('[]', 'msg-bad-2'),
    ];
    fakeBucket(s3Mock, (input) => String(input.Key).startsWith('results/'));

    // Act
    const outcome = await processBatch(records, batchRules(), batchDeps(s3));

    // Assert
    expect(outcome.failures.map(({ messageId, reason }) => [messageId, reason])).toEqual([
      ['msg-A-0', 'write_failed'],
      ['msg-bad-1', 'malformed'],
      ['msg-B-0', 'write_failed'],
      ['msg-bad-2', 'malformed'],
    ]);
    // Recorded and acknowledged, every one: the writes dead-lettered, the malformed ones recorded.
    expect(outcome.failedMessageIds).toEqual([]);
  });
});

describe("processBatch: the function's own attempts, then the dead-letter queue", () => {
  it('stores a write that fails twice on its third attempt, pausing 100 then 200 ms, with nothing failed', async () => {
    // Prepare
    let refusals = 2;
    const bucket = fakeBucket(s3Mock, () => refusals-- > 0);
    const pauses: number[] = [];
    const deadLetters = fakeDeadLetters();

    // Act
    const outcome = await processBatch(
      [queueRecord({ item: 3 })],
      batchRules(),
      batchDeps(s3, { pauses, deadLetters }),
    );

    // Assert
    expect(storedSegments(bucket)).toEqual([[3]]);
    expect(outcome).toMatchObject({ attempts: 3, failures: [], failedMessageIds: [], itemsStored: 1 });
    expect(pauses).toEqual([ATTEMPT_PAUSE_MS, 2 * ATTEMPT_PAUSE_MS]);
    expect(deadLetters.moved).toEqual([]);
  });

  it.each([1, 3, 5])(
    'after %i failed attempts records the item, marks it failed and dead-letters it itself, whatever its receive count',
    async (writeAttempts) => {
      // Prepare: a first receive, far from SQS's maxReceiveCount.
      const bucket = fakeBucket(s3Mock, resultHolding('msg-A-0'));
      const ledger = fakeLedger();
      const deadLetters = fakeDeadLetters();

      // Act
      const outcome = await processBatch(
        [queueRecord({ item: 3, receiveCount: 1 })],
        batchRules({ writeAttempts }),
        batchDeps(s3, { ledger, deadLetters }),
      );

      // Assert: acknowledged, since the function moved it; its record and the ledger say failed.
      expect(outcome.failedMessageIds).toEqual([]);
      expect(bucket.rejectedKeys).toHaveLength(writeAttempts);
      expect(failureObjects(bucket).map(({ body }) => body)).toEqual([
        expect.objectContaining({
          reason: 'write_failed',
          item: 3,
          receiveCount: 1,
          attempts: writeAttempts,
        }),
      ]);
      expect(
        deadLetters.moved.map(({ record, reason, attempts }) => [record.messageId, reason, attempts]),
      ).toEqual([['msg-A-0', 'write_failed', writeAttempts]]);
      expect(ledger.entries.get('req-A')?.failed ?? []).toEqual([0]);
      expect(outcome.failures[0]?.next).toBe(
        `dead-lettered after ${writeAttempts} attempts (failure record under failed/)`,
      );
    },
  );

  it("dead-letters a failed group's tail behind it, in order, while other groups are stored", async () => {
    // Prepare: the first segment fails, so the second record is blocked on every attempt too.
    const records = queueRecords([
      ['A', 1],
      ['A', 2],
      ['B', 7],
    ]);
    const bucket = fakeBucket(s3Mock, resultHolding('msg-A-0'));
    const deadLetters = fakeDeadLetters();

    // Act
    const outcome = await processBatch(records, batchRules(), batchDeps(s3, { deadLetters }));

    // Assert
    expect(storedSegments(bucket)).toEqual([[7]]);
    expect(deadLetters.moved.map(({ record, reason }) => [record.messageId, reason])).toEqual([
      ['msg-A-0', 'write_failed'],
      ['msg-A-1', 'earlier_item_failed'],
    ]);
    const byKey = [...failureObjects(bucket)].sort((a, b) => a.key.localeCompare(b.key));
    expect(byKey).toEqual([
      {
        key: `failed/${FIXED_MINUTE_PATH}/msg-A-0.json`,
        body: expect.objectContaining({
          reason: 'write_failed',
          item: 1,
          attempts: 3,
          messageId: 'msg-A-0',
          requestId: 'req-A',
          index: 0,
          acceptedAt: ACCEPTED_AT,
          minute: '2026-11-23T10:42Z',
        }),
      },
      {
        key: `failed/${FIXED_MINUTE_PATH}/msg-A-1.json`,
        body: expect.objectContaining({ reason: 'earlier_item_failed', item: 2, attempts: 3 }),
      },
    ]);
    expect(outcome.failedMessageIds).toEqual([]);
  });

  it('leaves to SQS what the dead-letter queue refuses: reported for redelivery, not marked failed', async () => {
    // Prepare
    fakeBucket(s3Mock, resultHolding('msg-A-0'));
    const ledger = fakeLedger();
    const deadLetters = fakeDeadLetters(['msg-A-0']);

    // Act
    const outcome = await processBatch(
      [queueRecord({ item: 3 })],
      batchRules(),
      batchDeps(s3, { ledger, deadLetters }),
    );

    // Assert
    expect(outcome.failedMessageIds).toEqual(['msg-A-0']);
    expect(outcome.failures[0]?.next).toContain('retried after the visibility timeout');
    expect(ledger.entries.get('req-A')?.failed ?? []).toEqual([]);
  });

  it('still dead-letters the item when its failure record cannot be written, naming the record', async () => {
    // Prepare
    const bucket = fakeBucket(s3Mock, (input) => anyFailureRecord(input) || resultHolding('msg-A-0')(input));
    const deadLetters = fakeDeadLetters();

    // Act
    const outcome = await processBatch(
      [queueRecord({ item: 3 })],
      batchRules(),
      batchDeps(s3, { deadLetters }),
    );

    // Assert: moved without the recorded mark, so the reconciler writes its record.
    expect(deadLetters.moved.map(({ recorded }) => recorded)).toEqual([false]);
    expect(outcome.failedMessageIds).toEqual([]);
    expect(outcome.failureRecordsWritten).toBe(0);
    expect(outcome.failureRecordErrors).toEqual([expect.stringContaining('msg-A-0')]);
    expect(resultObjects(bucket)).toEqual([]);
  });
});

describe('processBatch: outcome counters', () => {
  it.each([
    { name: 'an empty batch', items: [], stored: 0, segments: 0, splits: 0 },
    { name: 'the contract example', items: [1, 2, 3, 4, 5], stored: 5, segments: 2, splits: 1 },
    { name: 'alternating 1 and 2', items: [1, 2, 1, 2], stored: 4, segments: 4, splits: 3 },
    {
      name: 'seven plain items cut by size',
      items: [3, 4, 5, 6, 7, 8, 9],
      stored: 7,
      segments: 2,
      splits: 0,
    },
  ])(
    'counts the stored items, segments and exclusion splits of $name',
    async ({ items, stored, segments, splits }) => {
      // Prepare
      fakeBucket(s3Mock);
      const records = queueRecords(items.map((item) => ['A', item] as const));

      // Act
      const outcome = await processBatch(records, batchRules(), batchDeps(s3));

      // Assert
      expect(outcome.itemsStored).toBe(stored);
      expect(outcome.segmentsWritten).toBe(segments);
      expect(outcome.exclusionSplits).toBe(splits);
      expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(segments);
    },
  );

  it('accounts for every record exactly once and keeps the invariants, whatever fails', async () => {
    // Random batches of up to 10 records in up to 3 groups; random objects fail.
    const recordSpec = fc.tuple(fc.constantFrom('A', 'B', 'C'), fc.integer({ min: 0, max: 4 }));
    await fc.assert(
      fc.asyncProperty(
        fc.array(recordSpec, { maxLength: 10 }),
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
        async (specs, batchSize, failPlan) => {
          s3Mock.reset();
          let call = 0;
          const bucket = fakeBucket(s3Mock, () => failPlan[call++] ?? false);
          const records = queueRecords(specs);

          const outcome = await processBatch(records, batchRules({ batchSize }), batchDeps(s3));

          const objects = resultObjects(bucket);
          const storedIds = objects.flatMap(({ body }) => body.items.map((entry) => entry.messageId));
          // No loss, no duplicates: stored and dead-lettered records partition the batch.
          expect([...storedIds, ...deadLetteredIds(outcome)].sort()).toEqual(
            records.map(({ messageId }) => messageId).sort(),
          );
          expect(outcome.itemsStored).toBe(storedIds.length);
          expect(outcome.segmentsWritten).toBe(objects.length);
          for (const { body } of objects) {
            const items = body.items.map((entry) => entry.item);
            expect(items.includes(1) && items.includes(2)).toBe(false);
            expect(items.length).toBeLessThanOrEqual(batchSize);
          }
          // Order: the stored records of a group are a prefix of it, in index order; only the rest failed.
          for (const group of ['A', 'B', 'C']) {
            const stored = objects
              .flatMap(({ body }) => body.items.filter((entry) => entry.groupId === group))
              .map((entry) => entry.index);
            expect(stored).toEqual(stored.map((_, position) => position));
          }
        },
      ),
    );
  });
});
