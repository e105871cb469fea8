import { describe, expect, it } from 'vitest';
import {
  type BatchSettings,
  batchEnvironment,
  type IngestSettings,
  ingestEnvironment,
  type LedgerSettings,
  ledgerEnvironment,
  readBatchSettings,
  readIngestSettings,
  readLedgerSettings,
  readStatusSettings,
  type StatusSettings,
  statusEnvironment,
} from '../../lambdas/domain/environment';
import { BATCH_SETTINGS_ENV } from './factories.batch';
import { configErrorMessage, INGEST_FUNCTION_ENV, TOPIC_ARN } from './factories.ingest';
import { LEDGER_ENV, LEDGER_TABLE, STATUS_FUNCTION_ENV } from './factories.ledger';

describe('readBatchSettings', () => {
  it('reads the environment the stack sets with the default settings', () => {
    // Act
    const settings = readBatchSettings(BATCH_SETTINGS_ENV);

    // Assert
    expect(settings).toEqual({
      bucketName: 'results-bucket',
      batchSize: 5,
      exclusionPairs: [[1, 2]],
      maxReceiveCount: 3,
    });
  });

  it('reads every setting, trimming blanks around values', () => {
    // Act
    const settings = readBatchSettings({
      BUCKET_NAME: ' my-bucket ',
      BATCH_SIZE: '10',
      EXCLUSION_PAIRS: '1:2,3:4',
      MAX_RECEIVE_COUNT: '5',
    });

    // Assert
    expect(settings).toEqual({
      bucketName: 'my-bucket',
      batchSize: 10,
      exclusionPairs: [
        [1, 2],
        [3, 4],
      ],
      maxReceiveCount: 5,
    });
  });

  it('reads an empty EXCLUSION_PAIRS as no pairs, not as the default pair', () => {
    // Act
    const settings = readBatchSettings({ ...BATCH_SETTINGS_ENV, EXCLUSION_PAIRS: '' });

    // Assert
    expect(settings.exclusionPairs).toEqual([]);
  });

  it.each<{ name: string; settings: BatchSettings }>([
    {
      name: 'the defaults',
      settings: { bucketName: 'b', batchSize: 5, exclusionPairs: [[1, 2]], maxReceiveCount: 3 },
    },
    {
      name: 'a negative pair and the ends of the ranges',
      settings: { bucketName: 'b', batchSize: 1, exclusionPairs: [[-5, 40]], maxReceiveCount: 1000 },
    },
    {
      name: 'no pairs',
      settings: { bucketName: 'b', batchSize: 10, exclusionPairs: [], maxReceiveCount: 1 },
    },
    {
      name: 'two pairs',
      settings: {
        bucketName: 'b',
        batchSize: 5,
        exclusionPairs: [
          [1, 2],
          [3, 4],
        ],
        maxReceiveCount: 3,
      },
    },
  ])('reads back the environment batchEnvironment writes for $name', ({ settings }) => {
    // Act
    const read = readBatchSettings(batchEnvironment(settings));

    // Assert
    expect(read).toEqual(settings);
  });

  it.each([
    ...Object.keys(BATCH_SETTINGS_ENV).map((name) => ({
      name,
      env: { ...BATCH_SETTINGS_ENV, [name]: undefined },
    })),
    { name: 'BUCKET_NAME', env: { ...BATCH_SETTINGS_ENV, BUCKET_NAME: '   ' } },
    { name: 'BATCH_SIZE', env: { ...BATCH_SETTINGS_ENV, BATCH_SIZE: ' ' } },
    { name: 'BATCH_SIZE', env: { ...BATCH_SETTINGS_ENV, BATCH_SIZE: '0' } },
    { name: 'BATCH_SIZE', env: { ...BATCH_SETTINGS_ENV, BATCH_SIZE: '11' } },
    { name: 'BATCH_SIZE', env: { ...BATCH_SETTINGS_ENV, BATCH_SIZE: 'abc' } },
    { name: 'BATCH_SIZE', env: { ...BATCH_SETTINGS_ENV, BATCH_SIZE: '2.5' } },
    { name: 'EXCLUSION_PAIRS', env: { ...BATCH_SETTINGS_ENV, EXCLUSION_PAIRS: '1-2' } },
    { name: 'EXCLUSION_PAIRS', env: { ...BATCH_SETTINGS_ENV, EXCLUSION_PAIRS: '1:1' } },
    { name: 'EXCLUSION_PAIRS', env: { ...BATCH_SETTINGS_ENV, EXCLUSION_PAIRS: '1:2:3' } },
    { name: 'EXCLUSION_PAIRS', env: { ...BATCH_SETTINGS_ENV, EXCLUSION_PAIRS: '1:2,' } },
    // A half that is not a number must not slip through and switch the rule off.
    { name: 'EXCLUSION_PAIRS', env: { ...BATCH_SETTINGS_ENV, EXCLUSION_PAIRS: '1:x' } },
    { name: 'EXCLUSION_PAIRS', env: { ...BATCH_SETTINGS_ENV, EXCLUSION_PAIRS: 'x:2' } },
    { name: 'MAX_RECEIVE_COUNT', env: { ...BATCH_SETTINGS_ENV, MAX_RECEIVE_COUNT: '0' } },
  ])('rejects $name in $env with a ConfigError naming the variable', ({ name, env }) => {
    // Act
    const message = configErrorMessage(() => readBatchSettings(env));

    // Assert
    expect(message).toContain(name);
  });

  it('says which variable is missing', () => {
    // Act
    const message = configErrorMessage(() =>
      readBatchSettings({ ...BATCH_SETTINGS_ENV, BATCH_SIZE: undefined }),
    );

    // Assert
    expect(message).toBe('BATCH_SIZE must be set');
  });
});

describe('readIngestSettings', () => {
  it('reads the environment the stack sets with the default settings', () => {
    // Act
    const settings = readIngestSettings(INGEST_FUNCTION_ENV);

    // Assert
    expect(settings).toEqual({
      topicArn: TOPIC_ARN,
      ordering: 'perRequest',
      maxItemsPerRequest: 500,
      maxBodyBytes: 64 * 1024,
      idempotencyWindowHours: 24,
    });
  });

  it.each<IngestSettings>([
    {
      topicArn: TOPIC_ARN,
      ordering: 'global',
      maxItemsPerRequest: 20,
      maxBodyBytes: 1024,
      idempotencyWindowHours: 1,
    },
    {
      topicArn: TOPIC_ARN,
      ordering: 'perRequest',
      maxItemsPerRequest: 1,
      maxBodyBytes: 1024 * 1024,
      idempotencyWindowHours: 720,
    },
  ])(
    'reads back the environment ingestEnvironment writes for $ordering, $maxItemsPerRequest items',
    (settings) => {
      // Act
      const read = readIngestSettings(ingestEnvironment(settings));

      // Assert
      expect(read).toEqual(settings);
    },
  );

  it.each<{ name: string; env: Record<string, string | undefined>; mentions: string[] }>([
    ...Object.keys(INGEST_FUNCTION_ENV)
      .filter((name) => !(name in LEDGER_ENV))
      .map((name) => ({
        name: `a missing ${name}`,
        env: { ...INGEST_FUNCTION_ENV, [name]: undefined },
        mentions: [`${name} must be set`],
      })),
    { name: 'a blank TOPIC_ARN', env: { ...INGEST_FUNCTION_ENV, TOPIC_ARN: '  ' }, mentions: ['TOPIC_ARN'] },
    {
      name: 'MAX_ITEMS_PER_REQUEST "abc"',
      env: { ...INGEST_FUNCTION_ENV, MAX_ITEMS_PER_REQUEST: 'abc' },
      mentions: ['MAX_ITEMS_PER_REQUEST', 'abc'],
    },
    {
      name: 'MAX_ITEMS_PER_REQUEST "501"',
      env: { ...INGEST_FUNCTION_ENV, MAX_ITEMS_PER_REQUEST: '501' },
      mentions: ['MAX_ITEMS_PER_REQUEST must be an integer from 1 to 500 (got 501)'],
    },
    {
      name: 'MAX_ITEMS_PER_REQUEST "x20" (digits after other text are not a number)',
      env: { ...INGEST_FUNCTION_ENV, MAX_ITEMS_PER_REQUEST: 'x20' },
      mentions: ['MAX_ITEMS_PER_REQUEST must be an integer from 1 to 500 (got "x20")'],
    },
    {
      name: 'MAX_BODY_BYTES "64KiB"',
      env: { ...INGEST_FUNCTION_ENV, MAX_BODY_BYTES: '64KiB' },
      mentions: ['MAX_BODY_BYTES', '64KiB'],
    },
    {
      name: 'ORDERING "random"',
      env: { ...INGEST_FUNCTION_ENV, ORDERING: 'random' },
      mentions: ['ORDERING', 'random'],
    },
    {
      name: 'IDEMPOTENCY_WINDOW_HOURS "721"',
      env: { ...INGEST_FUNCTION_ENV, IDEMPOTENCY_WINDOW_HOURS: '721' },
      mentions: ['IDEMPOTENCY_WINDOW_HOURS must be an integer from 1 to 720 (got 721)'],
    },
  ])('rejects $name with a ConfigError naming the variable and the value', ({ env, mentions }) => {
    // Act
    const message = configErrorMessage(() => readIngestSettings(env));

    // Assert
    for (const text of mentions) expect(message).toContain(text);
  });
});

describe('readStatusSettings', () => {
  it('reads the environment the stack sets', () => {
    // Act
    const settings = readStatusSettings(STATUS_FUNCTION_ENV);

    // Assert
    expect(settings).toEqual({ ledgerTableName: LEDGER_TABLE, staleAfterSeconds: 720 });
  });

  it.each<StatusSettings>([
    { ledgerTableName: 't', staleAfterSeconds: 12 },
    { ledgerTableName: 't', staleAfterSeconds: 1001 * 43_200 },
  ])('reads back the environment statusEnvironment writes for $staleAfterSeconds s', (settings) => {
    // Act
    const read = readStatusSettings(statusEnvironment(settings));

    // Assert
    expect(read).toEqual(settings);
  });

  it.each([
    {
      env: { ...STATUS_FUNCTION_ENV, LEDGER_TABLE_NAME: undefined },
      message: 'LEDGER_TABLE_NAME must be set',
    },
    {
      env: { ...STATUS_FUNCTION_ENV, STALE_AFTER_SECONDS: '11' },
      message: 'STALE_AFTER_SECONDS must be an integer from 12 to 43243200 (got 11)',
    },
  ])('rejects $env with a ConfigError naming the variable', ({ env, message }) => {
    expect(configErrorMessage(() => readStatusSettings(env))).toBe(message);
  });
});

describe('readLedgerSettings', () => {
  it('reads the environment the stack sets with the default settings', () => {
    expect(readLedgerSettings(LEDGER_ENV)).toEqual({
      ledgerTableName: LEDGER_TABLE,
      ledgerRetentionDays: 30,
    });
  });

  it.each<LedgerSettings>([
    { ledgerTableName: 't', ledgerRetentionDays: 1 },
    { ledgerTableName: 't', ledgerRetentionDays: 3650 },
  ])('reads back the environment ledgerEnvironment writes for $ledgerRetentionDays days', (settings) => {
    expect(readLedgerSettings(ledgerEnvironment(settings))).toEqual(settings);
  });

  it.each([
    { env: { ...LEDGER_ENV, LEDGER_TABLE_NAME: ' ' }, message: 'LEDGER_TABLE_NAME must be set' },
    {
      env: { ...LEDGER_ENV, LEDGER_RETENTION_DAYS: '0' },
      message: 'LEDGER_RETENTION_DAYS must be an integer from 1 to 3650 (got 0)',
    },
  ])('rejects $env with a ConfigError naming the variable', ({ env, message }) => {
    expect(configErrorMessage(() => readLedgerSettings(env))).toBe(message);
  });
});
