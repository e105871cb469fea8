import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { withStorageFaults } from '../../lambdas/batch/fault-injection';
import { type BatchDeps, processBatch } from '../../lambdas/batch/process-batch';
import {
  crashAfterWrites,
  type FaultSettings,
  faultEnvironment,
  InjectedCrashError,
  InjectedFaultError,
  readFaultSettings,
} from '../../lambdas/shared/fault-injection';
import {
  batchDeps,
  batchRules,
  deadLetteredIds,
  FAULTS_OFF_ENV,
  FIXED_MINUTE_PATH,
  failureObjects,
  fakeBucket,
  faultSettings,
  queueRecord,
  queueRecords,
  resultsObject,
  type ScriptedRandom,
  scriptedRandom,
  segmentsOfGroup,
  storedSegments,
} from './factories.batch';
import { configErrorMessage, rejectionOf, thrownBy } from './factories.ingest';

const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'eu-west-1' });

/** The batch writer's deps with the S3 store wrapped as the handler wraps it. */
function faultyDeps(faults: Partial<FaultSettings>, random: ScriptedRandom = scriptedRandom([])): BatchDeps {
  const deps = batchDeps(s3);
  return { ...deps, store: withStorageFaults(deps.store, faultSettings(faults), random) };
}

/** Calls to the real (mocked) S3 client: faulted writes never get there. */
/** Results writes that reached S3 (failure records of given-up items are never faulted and reach it). */
const writesSentToS3 = () =>
  s3Mock
    .commandCalls(PutObjectCommand)
    .filter((call) => String(call.args[0].input.Key).startsWith('results/'));

beforeEach(() => {
  s3Mock.reset();
});

describe('withStorageFaults: FAULT_ITEMS', () => {
  it('fails exactly the segments that contain a FAULT_ITEMS item, without sending them to S3', async () => {
    // Prepare: cut into [1] and [2,7,3,4,7]; that packed write fails before S3, so each group's
    // part is written on its own: A's [2,7] and C's [7] fail, B's [3,4] is stored.
    const records = queueRecords([
      ['A', 1],
      ['A', 2],
      ['A', 7],
      ['B', 3],
      ['B', 4],
      ['C', 7],
    ]);
    const bucket = fakeBucket(s3Mock);

    // Act
    const outcome = await processBatch(
      records,
      batchRules({ writeAttempts: 1 }),
      faultyDeps({ faultItems: [7] }),
    );

    // Assert
    expect(deadLetteredIds(outcome)).toEqual(['msg-A-1', 'msg-A-2', 'msg-C-0']);
    expect(outcome.failures.every(({ error }) => error.includes('FAULT_ITEMS'))).toBe(true);
    expect(segmentsOfGroup(bucket, 'A')).toEqual([[1]]);
    expect(segmentsOfGroup(bucket, 'B')).toEqual([[3, 4]]);
    expect(writesSentToS3()).toHaveLength(2);
  });

  it('never faults failure records: an item that always fails is still recorded when given up', async () => {
    // Prepare
    const bucket = fakeBucket(s3Mock);

    // Act
    const outcome = await processBatch(
      [queueRecord({ item: 7, receiveCount: 3 })],
      batchRules({ writeAttempts: 1 }),
      faultyDeps({ faultItems: [7] }),
    );

    // Assert
    expect(deadLetteredIds(outcome)).toEqual(['msg-A-0']);
    expect(outcome.failureRecordsWritten).toBe(1);
    expect(failureObjects(bucket).map(({ key }) => key)).toEqual([
      `failed/${FIXED_MINUTE_PATH}/msg-A-0.json`,
    ]);
  });
});

describe('withStorageFaults: the injected error', () => {
  it.each([
    { name: 'FAULT_ITEMS [7]', faults: { faultItems: [7] }, message: 'FAULT_ITEMS: item 7 always fails' },
    {
      name: 'FAULT_RATE 0.5',
      faults: { faultRate: 0.5 },
      message: 'FAULT_RATE 0.5: simulated storage failure',
    },
  ])(
    'rejects a faulted write under $name with InjectedFaultError, code INJECTED_FAULT',
    async ({ faults, message }) => {
      // Prepare: a draw of 0.1 fails under FAULT_RATE 0.5.
      const { store } = batchDeps(s3);
      const faulty = withStorageFaults(store, faultSettings(faults), scriptedRandom([0.1]));

      // Act
      const error = await rejectionOf(
        faulty.putResults(`results/${FIXED_MINUTE_PATH}/x.json`, resultsObject([3, 7])),
      );

      // Assert
      expect(error).toBeInstanceOf(InjectedFaultError);
      expect(error).toMatchObject({ code: 'INJECTED_FAULT', message });
      expect(writesSentToS3()).toHaveLength(0);
    },
  );
});

describe('withStorageFaults: FAULT_RATE', () => {
  it('fails every segment with FAULT_RATE 1', async () => {
    // Prepare
    const records = queueRecords([
      ['A', 1],
      ['A', 2],
      ['B', 3],
    ]);
    fakeBucket(s3Mock);
    const random = scriptedRandom([0.999, 0.999]);

    // Act
    const outcome = await processBatch(
      records,
      batchRules({ writeAttempts: 1 }),
      faultyDeps({ faultRate: 1 }, random),
    );

    // Assert: A's second segment is blocked by the first, so only two draws happen.
    expect(deadLetteredIds(outcome)).toEqual(['msg-A-0', 'msg-A-1', 'msg-B-0']);
    expect(outcome.failures.map(({ reason }) => reason)).toEqual([
      'write_failed',
      'earlier_item_failed',
      'write_failed',
    ]);
    expect(outcome.failures[0]?.error).toContain('FAULT_RATE');
    expect(writesSentToS3()).toHaveLength(0);
    expect(random.calls()).toBe(2);
  });

  it('with FAULT_RATE 0.5 and draws [0.2, 0.2, 0.9] fails the packed object, then A alone, and stores B', async () => {
    // Prepare: one object [3,4] draws first; its groups' parts then draw in delivery order.
    const records = queueRecords([
      ['A', 3],
      ['B', 4],
    ]);
    const bucket = fakeBucket(s3Mock);
    const random = scriptedRandom([0.2, 0.2, 0.9]);

    // Act
    const outcome = await processBatch(
      records,
      batchRules({ writeAttempts: 1 }),
      faultyDeps({ faultRate: 0.5 }, random),
    );

    // Assert
    expect(deadLetteredIds(outcome)).toEqual(['msg-A-0']);
    expect(storedSegments(bucket)).toEqual([[4]]);
    expect(random.calls()).toBe(3);
  });

  it('with FAULT_RATE 0.5 and draws [0.9, 0.2] stores the first segment of a group and fails the second', async () => {
    // Prepare: batch size 1 makes two segments of one group, drawn strictly one after the other.
    const records = queueRecords([
      ['A', 3],
      ['A', 4],
    ]);
    const bucket = fakeBucket(s3Mock);

    // Act
    const outcome = await processBatch(
      records,
      batchRules({ writeAttempts: 1, batchSize: 1 }),
      faultyDeps({ faultRate: 0.5 }, scriptedRandom([0.9, 0.2])),
    );

    // Assert
    expect(storedSegments(bucket)).toEqual([[3]]);
    expect(deadLetteredIds(outcome)).toEqual(['msg-A-1']);
  });

  it.each([
    { draw: 0.4999, fails: true },
    { draw: 0.5, fails: false },
  ])('with FAULT_RATE 0.5 a draw of $draw fails: $fails', async ({ draw, fails }) => {
    // Prepare
    fakeBucket(s3Mock);

    // Act
    const outcome = await processBatch(
      [queueRecord({ item: 3 })],
      batchRules({ writeAttempts: 1 }),
      faultyDeps({ faultRate: 0.5 }, scriptedRandom([draw])),
    );

    // Assert
    expect(deadLetteredIds(outcome)).toEqual(fails ? ['msg-A-0'] : []);
  });

  it('returns the store itself, drawing nothing, when FAULT_RATE and FAULT_ITEMS are off', () => {
    // Prepare
    const { store } = batchDeps(s3);
    const random = scriptedRandom([]);

    // Act
    const wrapped = withStorageFaults(store, faultSettings({ crashRate: 0.5 }), random);

    // Assert
    expect(wrapped).toBe(store);
    expect(random.calls()).toBe(0);
  });
});

describe('crashAfterWrites', () => {
  it('throws an InjectedCrashError naming the rate when CRASH_RATE 0.5 draws 0.4', () => {
    // Act
    const error = thrownBy(() =>
      crashAfterWrites(faultSettings({ crashRate: 0.5 }), scriptedRandom([0.4]), 2),
    );

    // Assert
    expect(error).toBeInstanceOf(InjectedCrashError);
    expect((error as InjectedCrashError).code).toBe('INJECTED_CRASH');
    expect((error as InjectedCrashError).message).toBe('CRASH_RATE 0.5: simulated crash after 2 records');
  });

  it('returns when CRASH_RATE 0.5 draws 0.5', () => {
    // Prepare
    const random = scriptedRandom([0.5]);

    // Act
    crashAfterWrites(faultSettings({ crashRate: 0.5 }), random, 2);

    // Assert
    expect(random.calls()).toBe(1);
  });

  it('draws nothing with CRASH_RATE 0', () => {
    // Prepare
    const random = scriptedRandom([]);

    // Act
    crashAfterWrites(faultSettings({ faultRate: 1 }), random, 5);

    // Assert
    expect(random.calls()).toBe(0);
  });
});

describe('readFaultSettings', () => {
  it.each([
    { name: 'every switch off', faults: faultSettings() },
    {
      name: 'every switch on',
      faults: faultSettings({ faultRate: 0.25, faultItems: [7, -3], crashRate: 0.1 }),
    },
  ])('reads back the environment the stack writes with $name', ({ faults }) => {
    // Act
    const read = readFaultSettings(faultEnvironment(faults));

    // Assert
    expect(read).toEqual(faults);
  });

  it('reads an empty FAULT_ITEMS as no items', () => {
    // Act
    const faults = readFaultSettings(FAULTS_OFF_ENV);

    // Assert
    expect(faults).toEqual({ faultRate: 0, faultItems: [], crashRate: 0 });
  });

  it.each([
    { name: 'FAULT_RATE', env: { ...FAULTS_OFF_ENV, FAULT_RATE: undefined } },
    { name: 'FAULT_ITEMS', env: { ...FAULTS_OFF_ENV, FAULT_ITEMS: undefined } },
    { name: 'CRASH_RATE', env: { ...FAULTS_OFF_ENV, CRASH_RATE: undefined } },
    { name: 'FAULT_RATE', env: { ...FAULTS_OFF_ENV, FAULT_RATE: '2' } },
    { name: 'FAULT_RATE', env: { ...FAULTS_OFF_ENV, FAULT_RATE: '-0.1' } },
    { name: 'FAULT_RATE', env: { ...FAULTS_OFF_ENV, FAULT_RATE: 'often' } },
    { name: 'FAULT_ITEMS', env: { ...FAULTS_OFF_ENV, FAULT_ITEMS: 'x' } },
    { name: 'FAULT_ITEMS', env: { ...FAULTS_OFF_ENV, FAULT_ITEMS: '1,,2' } },
    { name: 'CRASH_RATE', env: { ...FAULTS_OFF_ENV, CRASH_RATE: '1.5' } },
  ])('rejects $name in $env with a ConfigError naming the variable', ({ name, env }) => {
    // Act
    const message = configErrorMessage(() => readFaultSettings(env));

    // Assert
    expect(message).toContain(name);
  });
});
