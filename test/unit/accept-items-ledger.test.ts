import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PublishBatchCommand, type PublishBatchCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeEnvelope } from '../../lambdas/domain/envelope';
import { EnqueueFailedError } from '../../lambdas/domain/errors';
import {
  IDEMPOTENCY_KEY_PREFIX,
  IdempotencyKeyReusedError,
  itemsHash,
  REQUEST_KEY_PREFIX,
  RequestInProgressError,
} from '../../lambdas/domain/ledger';
import { acceptItems, MAX_ATTEMPTS } from '../../lambdas/ingest/accept-items';
import { powertoolsIdempotency } from '../../lambdas/ingest/idempotency';
import { dynamoDbLedger } from '../../lambdas/ledger/dynamodb-ledger';
import { toApiRequest } from '../../lambdas/shared/http';
import {
  API_KEY_ID,
  FIXED_NOW,
  holdSends,
  ingestDeps,
  ingestSettings,
  itemsUpTo,
  lambdaContext,
  rejectionOf,
  v1Event,
} from './factories.ingest';
import { fakeIdempotencyTable, fakeLedger, LEDGER_TABLE } from './factories.ledger';

const snsMock = mockClient(SNSClient);
const sns = new SNSClient({ region: 'eu-west-1' });
const ddbMock = mockClient(DynamoDBClient);
const ddb = new DynamoDBClient({ region: 'eu-west-1' });

/** The dispatcher takes every entry unless `failing` says otherwise (then it reports it in Failed). */
const snsAnswer = (input: PublishBatchCommandInput, failing: (id: string) => boolean = () => false) => {
  const entries = input.PublishBatchRequestEntries ?? [];
  return {
    Successful: entries
      .filter((entry) => !failing(entry.Id ?? ''))
      .map((entry) => ({ Id: entry.Id, MessageId: `m-${entry.Id}`, SequenceNumber: '1' })),
    Failed: entries
      .filter((entry) => failing(entry.Id ?? ''))
      .map((entry) => ({ Id: entry.Id, Code: 'InternalError', SenderFault: false })),
  };
};

/** The deduplication ids sent, over every call so far (the dispatcher takes them all unless a test says otherwise). */
const sentDeduplicationIds = (): string[] =>
  snsMock
    .commandCalls(PublishBatchCommand)
    .flatMap((call) => call.args[0].input.PublishBatchRequestEntries ?? [])
    .map((entry) => entry.MessageDeduplicationId ?? '');

/** Ingest deps with the real Powertools utility on a fake idempotency table and the ledger in memory. */
function keyedDeps(ledger = fakeLedger(), clock = () => new Date(FIXED_NOW)) {
  const storeErrors: string[] = [];
  const idempotency = powertoolsIdempotency({
    client: ddb,
    tableName: LEDGER_TABLE,
    windowHours: 24,
    onStoreError: (message) => storeErrors.push(message),
  });
  idempotency.registerLambdaContext(lambdaContext());
  return { deps: ingestDeps(sns, { ledger, idempotency, clock }), ledger, storeErrors };
}

const keyed = (items: number[], idempotencyKey = 'order-42') => ({ items, idempotencyKey });

/** The ledger in memory, whose entry writes wait for `entry.release()`. */
function heldLedger() {
  const ledger = fakeLedger();
  const write = ledger.recordAccepted.bind(ledger);
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const entry = { requested: false, written: false, release };
  vi.spyOn(ledger, 'recordAccepted').mockImplementation(async (request) => {
    entry.requested = true;
    await released;
    const previous = await write(request);
    entry.written = true;
    return previous;
  });
  return { ledger, entry };
}

beforeEach(() => {
  snsMock.reset();
  ddbMock.reset();
  snsMock.on(PublishBatchCommand).callsFake((input: PublishBatchCommandInput) => snsAnswer(input));
  fakeIdempotencyTable(ddbMock);
});

describe('acceptItems: the ledger entry', () => {
  it('writes the entry: the caller, the count, a hash of the items and the time of acceptance', async () => {
    // Prepare
    const ledger = fakeLedger();

    // Act
    const accepted = await acceptItems(
      { items: [1, 2, 3, 4], idempotencyKey: undefined },
      API_KEY_ID,
      ingestSettings(),
      ingestDeps(sns, { ledger }),
    );

    // Assert
    expect(accepted).toEqual({
      requestId: 'random-1',
      accepted: 4,
      enqueuedOutOfOrder: [],
      tracked: true,
      enqueuedNow: 4,
    });
    expect(ledger.entries.get('random-1')).toMatchObject({
      apiKeyId: API_KEY_ID,
      itemCount: 4,
      itemsHash: itemsHash([1, 2, 3, 4]),
      acceptedAt: FIXED_NOW,
    });
  });

  it('publishes without an Idempotency-Key while the entry is being written, and answers once it is', async () => {
    // Prepare
    const { ledger, entry } = heldLedger();
    let writtenWhenSending: boolean | undefined;
    snsMock.on(PublishBatchCommand).callsFake((input: PublishBatchCommandInput) => {
      writtenWhenSending ??= entry.written;
      return snsAnswer(input);
    });
    let answered = false;

    // Act
    const accepting = acceptItems(
      { items: itemsUpTo(12), idempotencyKey: undefined },
      API_KEY_ID,
      ingestSettings(),
      ingestDeps(sns, { ledger }),
    ).finally(() => {
      answered = true;
    });
    await vi.waitUntil(() => snsMock.commandCalls(PublishBatchCommand).length === 2);
    const answeredBeforeTheEntry = answered;
    entry.release();

    // Assert
    expect(writtenWhenSending).toBe(false);
    expect(answeredBeforeTheEntry).toBe(false);
    await expect(accepting).resolves.toMatchObject({ accepted: 12, tracked: true });
  });

  it('writes the entry with an Idempotency-Key before the first item is published', async () => {
    // Prepare: the entry says what an earlier attempt enqueued
    const { ledger, entry } = heldLedger();
    let writtenWhenSending: boolean | undefined;
    snsMock.on(PublishBatchCommand).callsFake((input: PublishBatchCommandInput) => {
      writtenWhenSending ??= entry.written;
      return snsAnswer(input);
    });

    // Act
    const accepting = acceptItems(keyed([1, 2]), API_KEY_ID, ingestSettings(), ingestDeps(sns, { ledger }));
    await vi.waitUntil(() => entry.requested);
    entry.release();
    const accepted = await accepting;

    // Assert
    expect(writtenWhenSending).toBe(true);
    expect(accepted).toMatchObject({ accepted: 2, tracked: true });
  });

  it('records what a 503 without an Idempotency-Key took only after the entry is written', async () => {
    // Prepare: the dispatcher takes the first chunk and keeps refusing the second
    snsMock
      .on(PublishBatchCommand)
      .callsFake((input: PublishBatchCommandInput) => snsAnswer(input, (id) => Number(id) >= 10));
    const { ledger, entry } = heldLedger();

    // Act
    const failing = rejectionOf(
      acceptItems(
        { items: itemsUpTo(12), idempotencyKey: undefined },
        API_KEY_ID,
        ingestSettings(),
        ingestDeps(sns, { ledger }),
      ),
    );
    await vi.waitUntil(() => snsMock.commandCalls(PublishBatchCommand).length === 1 + MAX_ATTEMPTS);
    entry.release();
    const error = await failing;

    // Assert
    expect(error).toMatchObject({ code: 'ENQUEUE_FAILED', enqueued: 10, total: 12 });
    expect(ledger.calls).toEqual(['accepted random-1 12', 'enqueued random-1 0,1,2,3,4,5,6,7,8,9']);
  });

  it('accepts and enqueues every item when the ledger is unreachable, says the status is not tracked and reports it', async () => {
    // Prepare
    const ledger = fakeLedger();
    ledger.unreachable = true;
    const deps = ingestDeps(sns, { ledger });

    // Act
    const accepted = await acceptItems(
      { items: itemsUpTo(23), idempotencyKey: undefined },
      API_KEY_ID,
      ingestSettings(),
      deps,
    );

    // Assert
    expect(accepted).toMatchObject({ accepted: 23, tracked: false });
    expect(sentDeduplicationIds()).toHaveLength(23);
    expect(deps.ledgerError).toHaveBeenCalledWith('Ledger entry not written', expect.any(Error));
  });

  it('uses no idempotency record without an Idempotency-Key', async () => {
    // Prepare
    const { deps } = keyedDeps();

    // Act
    await acceptItems({ items: [1, 2], idempotencyKey: undefined }, API_KEY_ID, ingestSettings(), deps);

    // Assert
    expect(ddbMock.commandCalls(PutItemCommand)).toHaveLength(0);
  });
});

describe('acceptItems: Idempotency-Key outcomes within the window', () => {
  it('answers a repeat with the same items with the original answer and enqueues nothing new', async () => {
    // Prepare
    const { deps } = keyedDeps();
    const first = await acceptItems(keyed([1, 2, 3, 4]), API_KEY_ID, ingestSettings(), deps);
    const sends = snsMock.commandCalls(PublishBatchCommand).length;

    // Act: an hour later, long after the dispatcher's 5-minute deduplication window
    const repeat = await acceptItems(
      keyed([1, 2, 3, 4]),
      API_KEY_ID,
      ingestSettings(),
      keyedDeps(fakeLedgerOf(deps), () => new Date(Date.parse(FIXED_NOW) + 3_600_000)).deps,
    );

    // Assert
    expect(repeat).toEqual({ ...first, enqueuedNow: 0 });
    expect(snsMock.commandCalls(PublishBatchCommand)).toHaveLength(sends);
  });

  it('answers a duplicate while the first is still in flight with REQUEST_IN_PROGRESS', async () => {
    // Prepare: the dispatcher holds the first request's send until released
    const queue = holdSends(snsMock, (input) => snsAnswer(input));
    const { deps } = keyedDeps();
    const first = acceptItems(keyed([1, 2]), API_KEY_ID, ingestSettings(), deps);
    await vi.waitUntil(() => snsMock.commandCalls(PublishBatchCommand).length === 1);

    // Act
    const error = await rejectionOf(
      acceptItems(keyed([1, 2]), API_KEY_ID, ingestSettings(), keyedDeps().deps),
    );
    queue.release();

    // Assert
    expect(error).toBeInstanceOf(RequestInProgressError);
    await expect(first).resolves.toMatchObject({ accepted: 2 });
    expect(snsMock.commandCalls(PublishBatchCommand)).toHaveLength(1);
  });

  it('refuses the same key with other items as IDEMPOTENCY_KEY_REUSED and enqueues nothing', async () => {
    // Prepare
    const { deps } = keyedDeps();
    await acceptItems(keyed([1, 2, 3, 4]), API_KEY_ID, ingestSettings(), deps);
    const sends = snsMock.commandCalls(PublishBatchCommand).length;

    // Act
    const error = await rejectionOf(acceptItems(keyed([1, 2, 3, 5]), API_KEY_ID, ingestSettings(), deps));

    // Assert
    expect(error).toBeInstanceOf(IdempotencyKeyReusedError);
    expect(snsMock.commandCalls(PublishBatchCommand)).toHaveLength(sends);
  });

  it('scopes keys to the caller: the same key of another API key is another request', async () => {
    // Prepare
    const { deps } = keyedDeps();
    const mine = await acceptItems(keyed([1, 2]), API_KEY_ID, ingestSettings(), deps);

    // Act
    const theirs = await acceptItems(keyed([7]), 'key-id-2', ingestSettings(), deps);

    // Assert
    expect(theirs.requestId).not.toBe(mine.requestId);
    expect(theirs.accepted).toBe(1);
  });
});

describe('acceptItems: a repeat after a 503', () => {
  /**
   * the dispatcher takes the first chunk (0-9) and keeps failing entries 10-19 while `down`; `taken` lists the
   * deduplication ids it took, in order, as a queue without a deduplication window would keep them.
   */
  function flakyQueue() {
    const state = { down: true, taken: [] as string[] };
    const failing = (id: string) => state.down && Number(id) >= 10 && Number(id) < 20;
    snsMock.on(PublishBatchCommand).callsFake((input: PublishBatchCommandInput) => {
      const answer = snsAnswer(input, failing);
      const takenIds = new Set(answer.Successful.map((entry) => entry.Id));
      for (const entry of input.PublishBatchRequestEntries ?? []) {
        if (takenIds.has(entry.Id)) state.taken.push(entry.MessageDeduplicationId ?? '');
      }
      return answer;
    });
    return state;
  }

  it('enqueues only what the dispatcher did not take, after any time within the window: no duplicates', async () => {
    // Prepare
    const queue = flakyQueue();
    const { deps, ledger } = keyedDeps();
    const failure = await rejectionOf(acceptItems(keyed(itemsUpTo(23)), API_KEY_ID, ingestSettings(), deps));
    queue.down = false;
    const anHourLater = () => new Date(Date.parse(FIXED_NOW) + 3_600_000);

    // Act
    const repeat = await acceptItems(
      keyed(itemsUpTo(23)),
      API_KEY_ID,
      ingestSettings(),
      keyedDeps(ledger, anHourLater).deps,
    );

    // Assert: every item taken exactly once, in index order
    expect(failure).toBeInstanceOf(EnqueueFailedError);
    expect(failure).toMatchObject({ enqueued: 10, total: 23 });
    expect(repeat).toMatchObject({ requestId: (failure as EnqueueFailedError).requestId, accepted: 23 });
    expect(queue.taken).toEqual(itemsUpTo(23).map((n) => `${repeat.requestId}:${n - 1}`));
  });

  it('keeps the first acceptance time in the envelopes of the items the repeat sends', async () => {
    // Prepare
    const queue = flakyQueue();
    const { deps, ledger } = keyedDeps();
    await rejectionOf(acceptItems(keyed(itemsUpTo(12)), API_KEY_ID, ingestSettings(), deps));
    queue.down = false;
    snsMock.resetHistory();

    // Act
    await acceptItems(
      keyed(itemsUpTo(12)),
      API_KEY_ID,
      ingestSettings(),
      keyedDeps(ledger, () => new Date('2026-11-23T11:00:00.000Z')).deps,
    );

    // Assert
    const envelopes = snsMock
      .commandCalls(PublishBatchCommand)
      .flatMap((call) => call.args[0].input.PublishBatchRequestEntries ?? [])
      .map((entry) => decodeEnvelope(entry.Message ?? ''));
    expect(envelopes.map(({ index, acceptedAt }) => [index, acceptedAt])).toEqual([
      [10, FIXED_NOW],
      [11, FIXED_NOW],
    ]);
  });

  it('refuses other items under the key of a request a 503 left unfinished', async () => {
    // Prepare
    flakyQueue();
    const { deps } = keyedDeps();
    await rejectionOf(acceptItems(keyed(itemsUpTo(12)), API_KEY_ID, ingestSettings(), deps));

    // Act
    const error = await rejectionOf(acceptItems(keyed([5]), API_KEY_ID, ingestSettings(), deps));

    // Assert
    expect(error).toBeInstanceOf(IdempotencyKeyReusedError);
  });

  it('counts the earlier attempt in a second 503, and enqueues nothing twice', async () => {
    // Prepare
    const queue = flakyQueue();
    const { deps } = keyedDeps();
    await rejectionOf(acceptItems(keyed(itemsUpTo(23)), API_KEY_ID, ingestSettings(), deps));

    // Act: the dispatcher is still down for 10-19
    const second = await rejectionOf(acceptItems(keyed(itemsUpTo(23)), API_KEY_ID, ingestSettings(), deps));

    // Assert
    expect(second).toMatchObject({ enqueued: 10, enqueuedNow: 0, total: 23 });
    expect(new Set(queue.taken).size).toBe(queue.taken.length);
  });

  it('still answers 503 when the enqueued items cannot be recorded, and reports it', async () => {
    // Prepare
    flakyQueue();
    const ledger = fakeLedger();
    vi.spyOn(ledger, 'recordEnqueued').mockRejectedValue(new Error('throttled'));
    const { deps } = keyedDeps(ledger);

    // Act
    const error = await rejectionOf(acceptItems(keyed(itemsUpTo(12)), API_KEY_ID, ingestSettings(), deps));

    // Assert
    expect(error).toBeInstanceOf(EnqueueFailedError);
    expect(deps.ledgerError).toHaveBeenCalledWith('Enqueued items not recorded', expect.any(Error));
  });

  it('does not try to record the enqueued items of a request the ledger could not take', async () => {
    // Prepare
    flakyQueue();
    const ledger = fakeLedger();
    ledger.unreachable = true;
    const deps = ingestDeps(sns, { ledger });

    // Act
    const error = await rejectionOf(
      acceptItems({ items: itemsUpTo(12), idempotencyKey: undefined }, API_KEY_ID, ingestSettings(), deps),
    );

    // Assert
    expect(error).toBeInstanceOf(EnqueueFailedError);
    expect(deps.ledgerError.mock.calls.map(([message]) => message)).toEqual(['Ledger entry not written']);
  });
});

describe('acceptItems: outside the window and without the store', () => {
  it('refuses a key again after its window, while the ledger still keeps its request', async () => {
    // Prepare
    const { deps, ledger } = keyedDeps();
    await acceptItems(keyed([1, 2]), API_KEY_ID, ingestSettings(), deps);
    ddbMock.reset();
    fakeIdempotencyTable(ddbMock);
    const twoDaysLater = () => new Date(Date.parse(FIXED_NOW) + 48 * 3_600_000);

    // Act
    const error = await rejectionOf(
      acceptItems(keyed([1, 2]), API_KEY_ID, ingestSettings(), keyedDeps(ledger, twoDaysLater).deps),
    );

    // Assert
    expect(error).toBeInstanceOf(IdempotencyKeyReusedError);
  });

  it('accepts a keyed request when the idempotency store is unreachable, with the dispatcher deduplication only', async () => {
    // Prepare
    ddbMock.reset();
    ddbMock.onAnyCommand().rejects(new Error('connect ECONNREFUSED'));
    const ledger = fakeLedger();
    ledger.unreachable = true;
    const { deps, storeErrors } = keyedDeps(ledger);

    // Act
    const accepted = await acceptItems(keyed([1, 2, 3]), API_KEY_ID, ingestSettings(), deps);

    // Assert
    expect(accepted).toMatchObject({ accepted: 3, tracked: false });
    expect(sentDeduplicationIds()).toEqual([0, 1, 2].map((index) => `${accepted.requestId}:${index}`));
    expect(storeErrors).toEqual(['Idempotency record not written']);
  });
});

describe('acceptItems: a caller scoped by its IAM principal', () => {
  it("keeps an assumed role's Idempotency-Key across its sessions, within the ingest role's leading keys", async () => {
    // Prepare: the real ledger and idempotency records on a mocked DynamoDB
    const ledger = dynamoDbLedger(ddb, {
      tableName: LEDGER_TABLE,
      retentionDays: 30,
      clock: () => new Date(FIXED_NOW),
    });
    const { deps } = keyedDeps();
    const withLedger = { ...deps, ledger };
    const scopeOf = (session: string) =>
      toApiRequest(
        v1Event({ apiKeyId: null, userArn: `arn:aws:sts::123456789012:assumed-role/producer/${session}` }),
      ).callerScope;

    // Act: the producer's credentials were refreshed between the request and its retry
    const first = await acceptItems(keyed([1, 2]), scopeOf('session-1'), ingestSettings(), withLedger);
    const retry = await acceptItems(keyed([1, 2]), scopeOf('session-2'), ingestSettings(), withLedger);

    // Assert
    expect(retry).toEqual({ ...first, enqueuedNow: 0 });
    expect(first.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const keys = ddbMock.calls().map((call) => {
      const input = call.args[0].input as { Key?: { pk?: { S?: string } }; Item?: { pk?: { S?: string } } };
      return input.Key?.pk?.S ?? input.Item?.pk?.S ?? '';
    });
    expect(keys).toContain(`${REQUEST_KEY_PREFIX}${first.requestId}`);
    expect(
      keys.every((key) => key.startsWith(REQUEST_KEY_PREFIX) || key.startsWith(`${IDEMPOTENCY_KEY_PREFIX}#`)),
    ).toBe(true);
  });
});

/** The fake ledger a set of deps writes to, so a later call (another invocation) sees the same entries. */
function fakeLedgerOf(deps: ReturnType<typeof ingestDeps>): ReturnType<typeof fakeLedger> {
  return deps.ledger as ReturnType<typeof fakeLedger>;
}
