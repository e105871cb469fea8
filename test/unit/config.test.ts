import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, resolveConfig } from '../../cdk/lib/config';
import { SETTINGS } from '../../lambdas/domain/settings';
import { configErrorMessage } from './factories.ingest';

describe('resolveConfig', () => {
  it.each([
    { name: 'no context', raw: undefined },
    { name: 'an empty object', raw: {} },
    { name: 'an empty JSON string', raw: '{}' },
  ])('returns the contract defaults for $name', ({ raw }) => {
    // Act
    const config = resolveConfig(raw);

    // Assert
    expect(config).toMatchObject({
      batchSize: 5,
      exclusionPairs: [[1, 2]],
      // SQS's backstop at AWS's advised minimum for Lambda consumers; the function's own attempts apart.
      maxReceiveCount: 5,
      writeAttempts: 3,
      ordering: 'perRequest',
      maxItemsPerRequest: 500,
      maxBodyBytes: 64 * 1024,
      auth: 'apiKey',
      apiType: 'rest',
      apiKeyRequired: true,
      apiGatewayCloudWatchRole: true,
      faultRate: 0,
    });
    expect(config.visibilityTimeoutSeconds).toBe(6 * config.batchFunctionTimeoutSeconds);
    expect(config).toEqual(DEFAULT_CONFIG);
  });

  it.each([
    { auth: 'iam', apiType: 'http', apiKeyRequired: true },
    { auth: 'apiKey', apiType: 'http', apiKeyRequired: false },
    { auth: 'iam', apiType: 'rest', apiKeyRequired: true },
  ])('accepts auth $auth on apiType $apiType (apiKeyRequired $apiKeyRequired)', (raw) => {
    // Act
    const config = resolveConfig(raw);

    // Assert
    expect(config).toMatchObject(raw);
  });

  it('reads a JSON string context, as given by `cdk synth -c pipeline=...`', () => {
    // Act
    const config = resolveConfig('{"batchSize":3,"ordering":"global","exclusionPairs":[[1,2],[3,4]]}');

    // Assert
    expect(config).toMatchObject({
      batchSize: 3,
      ordering: 'global',
      exclusionPairs: [
        [1, 2],
        [3, 4],
      ],
    });
    expect(config.maxReceiveCount).toBe(5);
  });

  it('makes the visibility timeout follow a changed batch timeout (6x)', () => {
    // Act
    const config = resolveConfig({ batchFunctionTimeoutSeconds: 60 });

    // Assert
    expect(config.visibilityTimeoutSeconds).toBe(360);
  });

  it('keeps an explicit visibility timeout of at least 6x the batch timeout', () => {
    // Act
    const config = resolveConfig({ batchFunctionTimeoutSeconds: 60, visibilityTimeoutSeconds: 900 });

    // Assert
    expect(config.visibilityTimeoutSeconds).toBe(900);
  });

  it.each<{ name: string; raw: unknown; mentions: string[] }>([
    { name: 'batchSize 0', raw: { batchSize: 0 }, mentions: ['pipeline.batchSize', 'got 0'] },
    { name: 'batchSize 11', raw: { batchSize: 11 }, mentions: ['pipeline.batchSize', 'got 11'] },
    { name: 'batchSize 2.5', raw: { batchSize: 2.5 }, mentions: ['pipeline.batchSize', 'got 2.5'] },
    {
      name: 'batchSize "5" (a string)',
      raw: { batchSize: '5' },
      mentions: ['pipeline.batchSize', 'got "5"'],
    },
    { name: 'maxConcurrency 1', raw: { maxConcurrency: 1 }, mentions: ['pipeline.maxConcurrency', 'got 1)'] },
    {
      name: 'exclusionPairs [[1,1]]',
      raw: { exclusionPairs: [[1, 1]] },
      mentions: ['pipeline.exclusionPairs', 'got [[1,1]]'],
    },
    {
      name: 'exclusionPairs [[1]]',
      raw: { exclusionPairs: [[1]] },
      mentions: ['pipeline.exclusionPairs', 'got [[1]]'],
    },
    {
      name: 'ordering "random"',
      raw: { ordering: 'random' },
      mentions: ['pipeline.ordering', 'got "random"'],
    },
    { name: 'faultRate 1.5', raw: { faultRate: 1.5 }, mentions: ['pipeline.faultRate', 'got 1.5'] },
    {
      name: 'logRetentionDays 2',
      raw: { logRetentionDays: 2 },
      mentions: ['pipeline.logRetentionDays', 'got 2)'],
    },
    {
      name: 'maxReceiveCount 4, below AWS advice for Lambda consumers',
      raw: { maxReceiveCount: 4 },
      mentions: ['pipeline.maxReceiveCount', 'from 5', 'got 4'],
    },
    {
      name: 'writeAttempts 0',
      raw: { writeAttempts: 0 },
      mentions: ['pipeline.writeAttempts', 'got 0'],
    },
    {
      name: 'apiKeyRequired "yes"',
      raw: { apiKeyRequired: 'yes' },
      mentions: ['pipeline.apiKeyRequired', 'got "yes"'],
    },
    {
      name: 'auth "sigv4", not one of its words',
      raw: { auth: 'sigv4' },
      mentions: ['pipeline.auth', '"apiKey" or "iam"', 'got "sigv4"'],
    },
    {
      name: 'apiType "websocket"',
      raw: { apiType: 'websocket' },
      mentions: ['pipeline.apiType', '"rest" or "http"', 'got "websocket"'],
    },
    {
      name: 'an HTTP API with a required API key, which HTTP APIs do not have',
      raw: { apiType: 'http' },
      mentions: ['pipeline.apiType "http"', 'pipeline.auth', 'pipeline.apiKeyRequired'],
    },
    {
      name: 'a visibility timeout below 6x the batch timeout',
      raw: { batchFunctionTimeoutSeconds: 30, visibilityTimeoutSeconds: 179 },
      mentions: ['pipeline.visibilityTimeoutSeconds', '(180)', 'got 179'],
    },
    {
      name: 'a throttle burst below the rate',
      raw: { throttleRateLimit: 100, throttleBurstLimit: 50 },
      mentions: ['pipeline.throttleBurstLimit', 'got 50'],
    },
    {
      name: 'an unknown setting name (a typo of batchSize)',
      raw: { batchsize: 5 },
      mentions: ['batchsize', 'batchSize'],
    },
    // Names inherited from Object.prototype are not settings either.
    { name: 'the unknown setting "constructor"', raw: { constructor: 5 }, mentions: ['constructor'] },
    { name: 'the unknown setting "toString"', raw: JSON.parse('{"toString":5}'), mentions: ['toString'] },
    { name: 'a non-JSON string', raw: '{batchSize:5}', mentions: ['pipeline', 'got {batchSize:5}'] },
    { name: 'a JSON array', raw: '[5]', mentions: ['pipeline', 'got [5]'] },
  ])('rejects $name with a ConfigError naming the setting and the value', ({ raw, mentions }) => {
    // Act
    const message = configErrorMessage(() => resolveConfig(raw));

    // Assert
    for (const text of mentions) expect(message).toContain(text);
  });

  const integerSettings = Object.entries(SETTINGS).flatMap(([name, limit]) =>
    'min' in limit ? [{ name, min: limit.min, max: limit.max }] : [],
  );

  it.each(
    integerSettings.flatMap(({ name, min, max }) => [
      { name, min, max, value: min - 1 },
      { name, min, max, value: max + 1 },
    ]),
  )(
    'rejects $name $value, one past its range in SETTINGS, in the one message format',
    ({ name, min, max, value }) => {
      // Act
      const message = configErrorMessage(() => resolveConfig({ [name]: value }));

      // Assert
      expect(message).toBe(`pipeline.${name} must be an integer from ${min} to ${max} (got ${value})`);
    },
  );
});
