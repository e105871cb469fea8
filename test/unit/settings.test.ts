import { describe, expect, it } from 'vitest';
import { checkInteger, checkNumber } from '../../lambdas/domain/checks';
import { checkExclusionPairs, checkOrdering, SETTINGS } from '../../lambdas/domain/settings';
import { configErrorMessage } from './factories.ingest';

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:pipeline-alarms';

describe('checkInteger and checkNumber', () => {
  it.each([
    { name: 'NaN', value: Number.NaN },
    { name: 'Infinity', value: Number.POSITIVE_INFINITY },
    { name: '-Infinity', value: Number.NEGATIVE_INFINITY },
    { name: 'a numeric string', value: '0.5' },
    { name: 'null', value: null },
  ])('checkNumber rejects $name, even with the widest range', ({ value }) => {
    // Act
    const message = configErrorMessage(() => checkNumber('faultRate', value, -Infinity, Infinity));

    // Assert
    expect(message).toMatch(/^faultRate must be a number from -Infinity to Infinity \(got .+\)$/);
  });

  it.each([
    { name: 'a float', value: 2.5 },
    { name: 'a numeric string', value: '5' },
    { name: 'NaN', value: Number.NaN },
  ])('checkInteger rejects $name, even with the widest range', ({ value }) => {
    // Act
    const message = configErrorMessage(() => checkInteger('batchSize', value, -Infinity, Infinity));

    // Assert
    expect(message).toMatch(/^batchSize must be an integer from -Infinity to Infinity \(got .+\)$/);
  });

  it.each([
    { check: checkNumber, value: 0.25 },
    { check: checkInteger, value: -3 },
  ])('$check.name returns $value when it is in range', ({ check, value }) => {
    // Act / Assert
    expect(check('setting', value, -5, 5)).toBe(value);
  });

  it('quotes a string value as it was set, so the message shows exactly what to fix', () => {
    // Act
    const message = configErrorMessage(() => checkOrdering('ORDERING', 'per"Request'));

    // Assert
    expect(message).toBe('ORDERING must be "perRequest" or "global" (got "per"Request")');
  });
});

describe('checkExclusionPairs', () => {
  it.each([
    { name: 'the default pair', value: [[1, 2]] },
    {
      name: 'several pairs with negative items',
      value: [
        [1, 2],
        [-3, 40],
      ],
    },
    { name: 'no pairs', value: [] },
  ])('accepts $name', ({ value }) => {
    // Act / Assert
    expect(checkExclusionPairs('exclusionPairs', value)).toEqual(value);
  });

  it.each([
    // Either half not a number, e.g. EXCLUSION_PAIRS=1:x, would switch the rule off unnoticed.
    { name: 'a pair whose second half is not a number', value: [[1, 'x']] },
    { name: 'a pair whose first half is not a number', value: [['x', 2]] },
    { name: 'a pair of a float and an integer', value: [[1.5, 2]] },
    { name: 'a pair of one item', value: [[1, 1]] },
    { name: 'a triple', value: [[1, 2, 3]] },
    { name: 'a single item', value: [[1]] },
    { name: 'a flat pair', value: [1, 2] },
    { name: 'a string', value: '1:2' },
  ])('rejects $name, naming the setting', ({ value }) => {
    // Act
    const message = configErrorMessage(() => checkExclusionPairs('exclusionPairs', value));

    // Assert
    expect(message).toBe(
      `exclusionPairs must be a list of pairs of two different safe integers, e.g. [[1,2]] (got ${JSON.stringify(value)})`,
    );
  });
});

describe('SETTINGS.logRetentionDays', () => {
  it('lists the retention periods CloudWatch Logs accepts when given another', () => {
    // Act
    const message = configErrorMessage(() => SETTINGS.logRetentionDays.check('logRetentionDays', 2));

    // Assert
    expect(message).toBe(
      'logRetentionDays must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, ' +
        '1827, 2192, 2557, 2922, 3288, 3653 (got 2)',
    );
  });
});

describe('SETTINGS.alarmTopicArn', () => {
  it.each([
    { name: 'no topic', value: '' },
    { name: 'a topic ARN', value: TOPIC_ARN },
    { name: 'a topic in China', value: 'arn:aws-cn:sns:cn-north-1:123456789012:alarms' },
    { name: 'a topic in GovCloud', value: 'arn:aws-us-gov:sns:us-gov-west-1:123456789012:alarms_2' },
  ])('accepts $name', ({ value }) => {
    // Act / Assert
    expect(SETTINGS.alarmTopicArn.check('alarmTopicArn', value)).toBe(value);
  });

  it.each([
    { name: 'a number', value: 5 },
    { name: 'the ARN in a list', value: [TOPIC_ARN] },
    { name: 'a topic name', value: 'pipeline-alarms' },
    { name: 'a queue ARN', value: 'arn:aws:sqs:eu-west-1:123456789012:pipeline-alarms' },
    { name: 'text before the ARN', value: `see ${TOPIC_ARN}` },
    { name: 'text after the ARN', value: `${TOPIC_ARN}/subscription` },
    { name: 'an 11-digit account', value: 'arn:aws:sns:eu-west-1:12345678901:pipeline-alarms' },
    { name: 'no Region', value: 'arn:aws:sns::123456789012:pipeline-alarms' },
    { name: 'a Region in upper case', value: 'arn:aws:sns:EU-WEST-1:123456789012:pipeline-alarms' },
    { name: 'no topic name', value: 'arn:aws:sns:eu-west-1:123456789012:' },
    { name: 'a topic name with a space', value: 'arn:aws:sns:eu-west-1:123456789012:my alarms' },
    { name: 'an unknown partition', value: 'arn:aws1:sns:eu-west-1:123456789012:pipeline-alarms' },
  ])('rejects $name, naming the setting', ({ value }) => {
    // Act
    const message = configErrorMessage(() => SETTINGS.alarmTopicArn.check('alarmTopicArn', value));

    // Assert
    expect(message).toMatch(/^alarmTopicArn must be an SNS topic ARN or "" \(got .+\)$/);
  });
});
