import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lambdas/domain/errors';
import {
  type ExclusionPair,
  formatExclusionPairs,
  formatIntegers,
  readBatchSettings,
} from '../../lambdas/domain/settings';

const BASE_ENV = { BUCKET_NAME: 'results-bucket' };

/** Runs readBatchSettings and returns what it threw, so a test can inspect type and message. */
function configErrorFrom(env: Record<string, string | undefined>): unknown {
  try {
    readBatchSettings(env);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('readBatchSettings', () => {
  it('falls back to the contract defaults when only the bucket is set', () => {
    // Act
    const settings = readBatchSettings(BASE_ENV);

    // Assert
    expect(settings).toEqual({
      bucketName: 'results-bucket',
      batchSize: 5,
      exclusionPairs: [[1, 2]],
      maxReceiveCount: 3,
      faultRate: 0,
      faultItems: [],
      crashRate: 0,
    });
  });

  it('treats blank optional values as unset', () => {
    // Act
    const settings = readBatchSettings({
      ...BASE_ENV,
      BATCH_SIZE: ' ',
      EXCLUSION_PAIRS: '',
      FAULT_RATE: '  ',
    });

    // Assert
    expect(settings.batchSize).toBe(5);
    expect(settings.exclusionPairs).toEqual([[1, 2]]);
    expect(settings.faultRate).toBe(0);
  });

  it('reads every setting from the environment', () => {
    // Act
    const settings = readBatchSettings({
      BUCKET_NAME: ' my-bucket ',
      BATCH_SIZE: '10',
      EXCLUSION_PAIRS: '1:2,3:4',
      MAX_RECEIVE_COUNT: '5',
      FAULT_RATE: '0.25',
      FAULT_ITEMS: '7,-3',
      CRASH_RATE: '0.1',
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
      faultRate: 0.25,
      faultItems: [7, -3],
      crashRate: 0.1,
    });
  });

  it('reads back the pairs and items the CDK app formats', () => {
    // Prepare
    const pairs: ExclusionPair[] = [
      [1, 2],
      [-5, 40],
    ];

    // Act
    const settings = readBatchSettings({
      ...BASE_ENV,
      EXCLUSION_PAIRS: formatExclusionPairs(pairs),
      FAULT_ITEMS: formatIntegers([3, 9]),
    });

    // Assert
    expect(settings.exclusionPairs).toEqual(pairs);
    expect(settings.faultItems).toEqual([3, 9]);
  });

  it.each([
    { name: 'BUCKET_NAME', env: {} },
    { name: 'BUCKET_NAME', env: { BUCKET_NAME: '   ' } },
    { name: 'BATCH_SIZE', env: { ...BASE_ENV, BATCH_SIZE: '0' } },
    { name: 'BATCH_SIZE', env: { ...BASE_ENV, BATCH_SIZE: '11' } },
    { name: 'BATCH_SIZE', env: { ...BASE_ENV, BATCH_SIZE: 'abc' } },
    { name: 'BATCH_SIZE', env: { ...BASE_ENV, BATCH_SIZE: '2.5' } },
    { name: 'EXCLUSION_PAIRS', env: { ...BASE_ENV, EXCLUSION_PAIRS: '1-2' } },
    { name: 'EXCLUSION_PAIRS', env: { ...BASE_ENV, EXCLUSION_PAIRS: '1:1' } },
    { name: 'EXCLUSION_PAIRS', env: { ...BASE_ENV, EXCLUSION_PAIRS: '1:2:3' } },
    { name: 'EXCLUSION_PAIRS', env: { ...BASE_ENV, EXCLUSION_PAIRS: '1:2,' } },
    { name: 'FAULT_RATE', env: { ...BASE_ENV, FAULT_RATE: '2' } },
    { name: 'FAULT_RATE', env: { ...BASE_ENV, FAULT_RATE: '-0.1' } },
    { name: 'FAULT_RATE', env: { ...BASE_ENV, FAULT_RATE: 'often' } },
    { name: 'FAULT_ITEMS', env: { ...BASE_ENV, FAULT_ITEMS: 'x' } },
    { name: 'FAULT_ITEMS', env: { ...BASE_ENV, FAULT_ITEMS: '1,,2' } },
    { name: 'MAX_RECEIVE_COUNT', env: { ...BASE_ENV, MAX_RECEIVE_COUNT: '0' } },
  ])('rejects $name in $env with a ConfigError naming the variable', ({ name, env }) => {
    // Act
    const error = configErrorFrom(env);

    // Assert
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('INVALID_CONFIG');
    expect((error as ConfigError).message).toContain(name);
  });
});
