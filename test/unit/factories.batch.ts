import { PutObjectCommand, type PutObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import type { BatchDeps } from '../../lambdas/batch/process-batch';
import { s3ObjectStore } from '../../lambdas/batch/s3-object-store';
import type { BatchRules } from '../../lambdas/domain/environment';
import type { FailureRecord, ResultsObject } from '../../lambdas/domain/stored-objects';
import type { BatchLedger } from '../../lambdas/ledger/ledger-interfaces';
import type { DeadLetter, DeadLetters } from '../../lambdas/shared/dead-letters';
import type { FaultSettings } from '../../lambdas/shared/fault-injection';
import type { QueueRecord } from '../../lambdas/shared/queue-records';
import { fakeLedger, LEDGER_ENV } from './factories.ledger';

/** The fixed "now" of every batch test: 10:42 UTC, so keys land under results/2026/11/23/10/42/. */
export const FIXED_NOW = '2026-11-23T10:42:07.123Z';
export const FIXED_MINUTE_PATH = '2026/11/23/10/42';
export const ACCEPTED_AT = '2026-11-23T10:41:59.000Z';

export const requestIdOf = (group: string): string => `req-${group}`;
export const messageIdOf = (group: string, index: number): string => `msg-${group}-${index}`;

export interface QueueRecordSpec {
  readonly group?: string;
  readonly item: number;
  /** Position of the item in its request (and, by default, in its message group). */
  readonly index?: number;
  readonly receiveCount?: number;
}

/** A record with a valid v1 envelope; ids are derived from group and index so they are stable. */
export function queueRecord({
  group = 'A',
  item,
  index = 0,
  receiveCount = 1,
}: QueueRecordSpec): QueueRecord {
  const requestId = requestIdOf(group);
  return {
    messageId: messageIdOf(group, index),
    body: JSON.stringify({ v: 1, item, requestId, index, acceptedAt: ACCEPTED_AT }),
    groupId: group,
    deduplicationId: `${requestId}:${index}`,
    receiveCount,
  };
}

/**
 * Records in delivery order, e.g. `[['A', 1], ['A', 2], ['B', 3]]`; each record's index counts up
 * within its group, as the ingest Lambda numbers the items of one request.
 */
export function queueRecords(
  specs: readonly (readonly [group: string, item: number])[],
  receiveCount = 1,
): QueueRecord[] {
  const nextIndex = new Map<string, number>();
  return specs.map(([group, item]) => {
    const index = nextIndex.get(group) ?? 0;
    nextIndex.set(group, index + 1);
    return queueRecord({ group, item, index, receiveCount });
  });
}

/** Two message groups interleaved in delivery order: A's items 3 and 5, B's 4 and 6. */
export const interleavedGroups = (): QueueRecord[] =>
  queueRecords([
    ['A', 3],
    ['B', 4],
    ['A', 5],
    ['B', 6],
  ]);

/** A record whose body is not a valid envelope (the body is taken verbatim). */
export function malformedRecord(body: string, messageId = 'msg-bad', receiveCount = 1): QueueRecord {
  return { messageId, body, groupId: 'A', deduplicationId: `${messageId}-dedup`, receiveCount };
}

export const BUCKET_NAME = 'results-bucket';

/** A results object holding the given items of group A, as processBatch builds it at FIXED_NOW. */
export function resultsObject(items: readonly number[]): ResultsObject {
  return {
    v: 1,
    minute: '2026-11-23T10:42Z',
    writtenAt: FIXED_NOW,
    items: items.map((item, index) => ({
      item,
      requestId: requestIdOf('A'),
      index,
      messageId: messageIdOf('A', index),
      groupId: 'A',
      acceptedAt: ACCEPTED_AT,
    })),
  };
}

/** A failure record of a valid envelope (item 3 of group A) on its final receive, unless overridden. */
export function failureRecord(overrides: Partial<FailureRecord> = {}): FailureRecord {
  return {
    v: 1,
    minute: '2026-11-23T10:42Z',
    writtenAt: FIXED_NOW,
    reason: 'write_failed',
    error: 'Error: S3 rejected the write',
    messageId: messageIdOf('A', 0),
    groupId: 'A',
    receiveCount: 3,
    item: 3,
    requestId: requestIdOf('A'),
    index: 0,
    acceptedAt: ACCEPTED_AT,
    ...overrides,
  };
}

/** The contract's defaults: batches of 5, the pair (1, 2), 3 attempts at a write. */
export function batchRules(overrides: Partial<BatchRules> = {}): BatchRules {
  return { batchSize: 5, exclusionPairs: [[1, 2]], writeAttempts: 3, ...overrides };
}

/** The records the function moved to the dead-letter queue itself (acknowledged, not retried). */
export const deadLetteredIds = (outcome: { failures: readonly { messageId: string; retried: boolean }[] }) =>
  outcome.failures.filter(({ retried }) => !retried).map(({ messageId }) => messageId);

export const DEAD_LETTER_QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/items-dlq.fifo';

/** A dead-letter queue in memory: what was moved, in order; `refuse` names messages it will not take. */
export function fakeDeadLetters(
  refuse: readonly string[] | 'all' = [],
): DeadLetters & { readonly moved: DeadLetter[] } {
  const moved: DeadLetter[] = [];
  return {
    moved,
    async move(letters) {
      const errors = new Map<string, string>();
      for (const letter of letters) {
        if (refuse === 'all' || refuse.includes(letter.record.messageId))
          errors.set(letter.record.messageId, 'Error: SQS refused it');
        else moved.push(letter);
      }
      return {
        moved: moved.filter((letter) => letters.includes(letter)).map(({ record }) => record.messageId),
        errors,
      };
    },
  };
}

/** Every fault switch off unless overridden. */
export function faultSettings(overrides: Partial<FaultSettings> = {}): FaultSettings {
  return { faultRate: 0, faultItems: [], crashRate: 0, ...overrides };
}

/** The batch writer's settings as the stack passes them, with the defaults. */
export const BATCH_SETTINGS_ENV: Readonly<Record<string, string>> = {
  BUCKET_NAME,
  BATCH_SIZE: '5',
  EXCLUSION_PAIRS: '1:2',
  WRITE_ATTEMPTS: '3',
  DEAD_LETTER_QUEUE_URL,
};

/** The fault switches as the stack passes them when they are off. */
export const FAULTS_OFF_ENV: Readonly<Record<string, string>> = {
  FAULT_RATE: '0',
  FAULT_ITEMS: '',
  CRASH_RATE: '0',
};

/** Every variable the stack gives the batch function, with the default settings. */
export const BATCH_FUNCTION_ENV: Readonly<Record<string, string>> = {
  ...BATCH_SETTINGS_ENV,
  ...LEDGER_ENV,
  ...FAULTS_OFF_ENV,
};

/** BATCH_FUNCTION_ENV, plus a Region and quiet Powertools for tests. */
export function batchEnv(overrides: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    ...BATCH_FUNCTION_ENV,
    AWS_REGION: 'eu-west-1',
    // No log lines, no EMF metric blobs on stdout.
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_NAMESPACE: 'FifoBatchPipelineTest',
    POWERTOOLS_SERVICE_NAME: 'batch-writer',
    POWERTOOLS_METRICS_DISABLED: 'true',
    ...overrides,
  };
}

export interface ScriptedRandom {
  (): number;
  /** How many values were drawn so far. */
  readonly calls: () => number;
}

/** Returns the given values in turn; drawing more than scripted is a test error, never a silent value. */
export function scriptedRandom(values: readonly number[]): ScriptedRandom {
  let next = 0;
  const random = (): number => {
    const value = values[next];
    if (value === undefined) throw new Error(`scripted random exhausted after ${values.length} values`);
    next += 1;
    return value;
  };
  return Object.assign(random, { calls: () => next });
}

export interface DepsOptions {
  readonly now?: string;
  readonly bucketName?: string;
  /** Receives every pause the code asks for; pauses take no time in tests. */
  readonly sleeps?: number[];
  /** @default a fresh, empty ledger in memory */
  readonly ledger?: BatchLedger;
  /** @default a dead-letter queue in memory that takes everything */
  readonly deadLetters?: DeadLetters;
  /** Receives every pause between attempts; they take no time in tests. */
  readonly pauses?: number[];
}

/** A fixed clock, the S3 store on the given (mocked) client, and the ledger. */
export function batchDeps(
  s3: S3Client,
  {
    now = FIXED_NOW,
    bucketName = BUCKET_NAME,
    sleeps = [],
    ledger = fakeLedger(),
    deadLetters = fakeDeadLetters(),
    pauses = [],
  }: DepsOptions = {},
): BatchDeps {
  const sleep = async (ms: number): Promise<void> => {
    sleeps.push(ms);
  };
  const pause = async (ms: number): Promise<void> => {
    pauses.push(ms);
  };
  // A fresh Date per call, so code under test cannot mutate the clock for later calls.
  return {
    store: s3ObjectStore(s3, bucketName, sleep),
    clock: () => new Date(now),
    ledger,
    deadLetters,
    pause,
  };
}

export function sqsRecord(record: QueueRecord): SQSRecord {
  return {
    messageId: record.messageId,
    receiptHandle: `receipt-${record.messageId}`,
    body: record.body,
    attributes: {
      ApproximateReceiveCount: String(record.receiveCount),
      SentTimestamp: '1795430527123',
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1795430527200',
      SequenceNumber: '18890000000000000000',
      MessageGroupId: record.groupId,
      MessageDeduplicationId: record.deduplicationId,
    },
    messageAttributes: {},
    md5OfBody: 'd41d8cd98f00b204e9800998ecf8427e',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:items.fifo',
    awsRegion: 'eu-west-1',
  };
}

export const sqsEvent = (records: readonly QueueRecord[]): SQSEvent => ({ Records: records.map(sqsRecord) });

export interface WrittenObject {
  readonly key: string;
  readonly body: unknown;
}

/** What the mocked S3 holds: the objects it accepted, and the keys it rejected, in call order. */
export interface FakeBucket {
  readonly stored: WrittenObject[];
  readonly rejectedKeys: string[];
  /** Write-once PUTs (`If-None-Match: *`) that found their key taken, answered 412 as S3 does. */
  readonly alreadyStoredKeys: string[];
}

/** The error the SDK throws for S3's 412 answer to a conditional write. */
export const preconditionFailed = (): Error =>
  Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), {
    name: 'PreconditionFailed',
    $metadata: { httpStatusCode: 412 },
  });

/** The error the SDK throws for S3's 409 answer when a concurrent write to the key was in progress. */
export const conditionalRequestConflict = (): Error =>
  Object.assign(new Error('A conflicting operation occurred'), {
    name: 'ConditionalRequestConflict',
    $metadata: { httpStatusCode: 409 },
  });

/**
 * Routes PutObject on the mock into a fake bucket; `fails` picks the writes S3 rejects (an outage),
 * so tests can tell attempted writes from stored ones.
 */
export function fakeBucket(
  s3Mock: AwsClientStub<S3Client>,
  fails: (input: PutObjectCommandInput) => boolean = () => false,
): FakeBucket {
  const bucket: FakeBucket = { stored: [], rejectedKeys: [], alreadyStoredKeys: [] };
  s3Mock.on(PutObjectCommand).callsFake(async (input: PutObjectCommandInput) => {
    const key = String(input.Key);
    if (fails(input)) {
      bucket.rejectedKeys.push(key);
      throw new Error(`S3 rejected ${key}`);
    }
    if (input.IfNoneMatch === '*' && bucket.stored.some((written) => written.key === key)) {
      bucket.alreadyStoredKeys.push(key);
      throw preconditionFailed();
    }
    bucket.stored.push({ key, body: JSON.parse(String(input.Body)) });
    return {};
  });
  return bucket;
}

export const resultObjects = (bucket: FakeBucket): { key: string; body: ResultsObject }[] =>
  bucket.stored
    .filter((written) => written.key.startsWith('results/'))
    .map(({ key, body }) => ({ key, body: body as ResultsObject }));

export const failureObjects = (bucket: FakeBucket): { key: string; body: FailureRecord }[] =>
  bucket.stored
    .filter((written) => written.key.startsWith('failed/'))
    .map(({ key, body }) => ({ key, body: body as FailureRecord }));

/** Item numbers of each stored results object, in write order: the easiest shape to compare. */
export const storedSegments = (bucket: FakeBucket): number[][] =>
  resultObjects(bucket).map(({ body }) => body.items.map((entry) => entry.item));

/** One group's items in each stored object that holds any (objects may hold several groups). */
export const segmentsOfGroup = (bucket: FakeBucket, group: string): number[][] =>
  resultObjects(bucket)
    .map(({ body }) => body.items.filter((entry) => entry.groupId === group).map((entry) => entry.item))
    .filter((items) => items.length > 0);

/** Matches the write of a results object that holds the given message. */
export const resultHolding =
  (messageId: string) =>
  (input: PutObjectCommandInput): boolean =>
    String(input.Key).startsWith('results/') && String(input.Body).includes(`"messageId":"${messageId}"`);

/** Matches the write of any failure record. */
export const anyFailureRecord = (input: PutObjectCommandInput): boolean =>
  String(input.Key).startsWith('failed/');
