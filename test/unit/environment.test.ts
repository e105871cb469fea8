import { describe, expect, it } from 'vitest';
import { type Analysis, formatAnalysis } from '../../lambdas/domain/analyses';
import {
  analysesEnvironment,
  analysisEnvironment,
  type BatchSettings,
  batchEnvironment,
  type IngestSettings,
  ingestEnvironment,
  type LedgerSettings,
  ledgerEnvironment,
  readAnalyses,
  readAnalysis,
  readBatchSettings,
  readBucketName,
  readIngestSettings,
  readLedgerSettings,
  readStatusSettings,
  readWindowSettings,
  type StatusSettings,
  statusEnvironment,
  type WindowSettings,
  windowEnvironment,
} from '../../lambdas/domain/environment';
import { analysesVariable, fiveMinutes, WINDOW_ENV } from './factories.analyses';
import { BATCH_SETTINGS_ENV, DEAD_LETTER_QUEUE_URL } from './factories.batch';
import { configErrorMessage, INGEST_FUNCTION_ENV, TOPIC_ARN } from './factories.ingest';
import { LEDGER_ENV, LEDGER_TABLE, STATUS_FUNCTION_ENV } from './factories.ledger';
import { analysis, WINDOW_TABLE } from './factories.windows';

describe('readBatchSettings', () => {
  it('reads the environment the stack sets with the default settings', () => {
    // Act
    const settings = readBatchSettings(BATCH_SETTINGS_ENV);

    // Assert
    expect(settings).toEqual({
      bucketName: 'results-bucket',
      batchSize: 5,
      exclusionPairs: [[1, 2]],
      writeAttempts: 3,
      deadLetterQueueUrl: DEAD_LETTER_QUEUE_URL,
    });
  });

  it('reads every setting, trimming blanks around values', () => {
    // Act
    const settings = readBatchSettings({
      BUCKET_NAME: ' my-bucket ',
      BATCH_SIZE: '10',
      EXCLUSION_PAIRS: '1:2,3:4',
      WRITE_ATTEMPTS: '10',
      DEAD_LETTER_QUEUE_URL: ' https://sqs/dlq.fifo ',
    });

    // Assert
    expect(settings).toEqual({
      bucketName: 'my-bucket',
      batchSize: 10,
      exclusionPairs: [
        [1, 2],
        [3, 4],
      ],
      writeAttempts: 10,
      deadLetterQueueUrl: 'https://sqs/dlq.fifo',
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
      settings: {
        bucketName: 'b',
        batchSize: 5,
        exclusionPairs: [[1, 2]],
        writeAttempts: 3,
        deadLetterQueueUrl: 'q',
      },
    },
    {
      name: 'a negative pair and the ends of the ranges',
      settings: {
        bucketName: 'b',
        batchSize: 1,
        exclusionPairs: [[-5, 40]],
        writeAttempts: 10,
        deadLetterQueueUrl: 'q',
      },
    },
    {
      name: 'no pairs',
      settings: {
        bucketName: 'b',
        batchSize: 10,
        exclusionPairs: [],
        writeAttempts: 1,
        deadLetterQueueUrl: 'q',
      },
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
        writeAttempts: 3,
        deadLetterQueueUrl: 'q',
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
    { name: 'WRITE_ATTEMPTS', env: { ...BATCH_SETTINGS_ENV, WRITE_ATTEMPTS: '0' } },
    { name: 'WRITE_ATTEMPTS', env: { ...BATCH_SETTINGS_ENV, WRITE_ATTEMPTS: '11' } },
    { name: 'DEAD_LETTER_QUEUE_URL', env: { ...BATCH_SETTINGS_ENV, DEAD_LETTER_QUEUE_URL: ' ' } },
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

describe('readWindowSettings', () => {
  it('reads the environment the stack sets with the default settings', () => {
    // Act
    const settings = readWindowSettings(WINDOW_ENV);

    // Assert
    expect(settings).toStrictEqual({
      windowsTableName: WINDOW_TABLE,
      windowRetentionDays: 30,
      analysisFunctionTimeoutSeconds: 10,
    });
  });

  it.each<WindowSettings>([
    { windowsTableName: 't', windowRetentionDays: 1, analysisFunctionTimeoutSeconds: 1 },
    { windowsTableName: 't', windowRetentionDays: 3650, analysisFunctionTimeoutSeconds: 900 },
  ])(
    'reads back the environment windowEnvironment writes for $windowRetentionDays days, $analysisFunctionTimeoutSeconds s',
    (settings) => {
      // Act
      const environment = windowEnvironment(settings);

      // Assert
      expect(Object.keys(environment)).toEqual([
        'WINDOWS_TABLE_NAME',
        'WINDOW_RETENTION_DAYS',
        'ANALYSIS_FUNCTION_TIMEOUT_SECONDS',
      ]);
      expect(readWindowSettings(environment)).toStrictEqual(settings);
    },
  );

  it.each([
    { env: { ...WINDOW_ENV, WINDOWS_TABLE_NAME: undefined }, message: 'WINDOWS_TABLE_NAME must be set' },
    { env: { ...WINDOW_ENV, WINDOWS_TABLE_NAME: ' ' }, message: 'WINDOWS_TABLE_NAME must be set' },
    {
      env: { ...WINDOW_ENV, WINDOW_RETENTION_DAYS: undefined },
      message: 'WINDOW_RETENTION_DAYS must be set',
    },
    {
      env: { ...WINDOW_ENV, WINDOW_RETENTION_DAYS: '0' },
      message: 'WINDOW_RETENTION_DAYS must be an integer from 1 to 3650 (got 0)',
    },
    {
      env: { ...WINDOW_ENV, WINDOW_RETENTION_DAYS: '1.50' },
      message: 'WINDOW_RETENTION_DAYS must be an integer from 1 to 3650 (got 1.5)',
    },
    {
      env: { ...WINDOW_ENV, WINDOW_RETENTION_DAYS: '30 days' },
      message: 'WINDOW_RETENTION_DAYS must be an integer from 1 to 3650 (got "30 days")',
    },
    {
      env: { ...WINDOW_ENV, ANALYSIS_FUNCTION_TIMEOUT_SECONDS: '901' },
      message: 'ANALYSIS_FUNCTION_TIMEOUT_SECONDS must be an integer from 1 to 900 (got 901)',
    },
    {
      env: { ...WINDOW_ENV, ANALYSIS_FUNCTION_TIMEOUT_SECONDS: undefined },
      message: 'ANALYSIS_FUNCTION_TIMEOUT_SECONDS must be set',
    },
  ])('rejects $env with a ConfigError naming the variable', ({ env, message }) => {
    expect(configErrorMessage(() => readWindowSettings(env))).toBe(message);
  });
});

describe('readAnalysis', () => {
  it('reads back the environment analysisEnvironment writes', () => {
    // Prepare
    const written = fiveMinutes({ aggregates: ['max', 'count'], latenessSeconds: 3_600 });

    // Act
    const environment = analysisEnvironment(written);

    // Assert
    expect(environment).toStrictEqual({
      ANALYSIS:
        '{"name":"items-5m","windowSeconds":300,"advanceSeconds":300,"aggregates":["max","count"],"latenessSeconds":3600}',
    });
    expect(readAnalysis(environment)).toStrictEqual(written);
  });

  it.each([
    { env: {}, message: 'ANALYSIS must be set' },
    { env: { ANALYSIS: ' ' }, message: 'ANALYSIS must be set' },
    { env: { ANALYSIS: '{name' }, message: 'ANALYSIS must be an analysis as JSON (got {name)' },
    {
      env: { ANALYSIS: formatAnalysis(analysis({ advanceSeconds: 7 })) },
      message: 'ANALYSIS.advanceSeconds must divide ANALYSIS.windowSeconds (got 7 and 60)',
    },
  ])('rejects $env with a ConfigError naming the variable', ({ env, message }) => {
    expect(configErrorMessage(() => readAnalysis(env))).toBe(message);
  });
});

describe('readAnalyses', () => {
  it.each<{ name: string; analyses: Analysis[] }>([
    { name: 'none', analyses: [] },
    { name: 'one', analyses: [analysis()] },
    { name: 'two', analyses: [analysis(), fiveMinutes()] },
  ])('reads back the environment analysesEnvironment writes for $name', ({ analyses }) => {
    // Act
    const environment = analysesEnvironment(analyses);

    // Assert
    expect(environment).toStrictEqual({ ANALYSES: `[${analyses.map(formatAnalysis).join(',')}]` });
    expect(readAnalyses(environment)).toStrictEqual(analyses);
  });

  it.each([
    { env: {}, message: 'ANALYSES must be set' },
    { env: { ANALYSES: '' }, message: 'ANALYSES must be set' },
    { env: { ANALYSES: '[{' }, message: 'ANALYSES must be a list of analyses as JSON (got [{)' },
    { env: { ANALYSES: '{}' }, message: 'ANALYSES must be a list of analyses (got {})' },
    {
      env: { ANALYSES: analysesVariable([analysis(), analysis()]) },
      message: 'ANALYSES[1].name must differ from ANALYSES[0].name (got "items-60s" twice)',
    },
  ])('rejects $env with a ConfigError naming the variable', ({ env, message }) => {
    expect(configErrorMessage(() => readAnalyses(env))).toBe(message);
  });
});

describe('readBucketName', () => {
  it('reads the bucket, trimmed', () => {
    expect(readBucketName({ BUCKET_NAME: ' windows-bucket ' })).toBe('windows-bucket');
  });

  it.each([{}, { BUCKET_NAME: '  ' }])('rejects %o: the bucket must be set', (env) => {
    expect(configErrorMessage(() => readBucketName(env))).toBe('BUCKET_NAME must be set');
  });
});
