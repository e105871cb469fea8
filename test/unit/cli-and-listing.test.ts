import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { integerOption, numberOption, UsageError } from '../../cdk/ops/cli-options';
import { formatByMinute, minuteOption, ofRequest } from '../../cdk/ops/results-listing';
import { storedFailure, storedResults } from './factories.stored';

describe('numeric options', () => {
  it.each([
    { value: undefined, expected: 4566 },
    { value: '4600', expected: 4600 },
    { value: '1024', expected: 1024 },
  ])('integerOption reads $value as $expected', ({ value, expected }) => {
    expect(integerOption(value, 'port', 4566, 1024, 65_535)).toBe(expected);
  });

  it.each([
    { value: '4566.5', message: '--port must be a whole number from 1024 to 65535 (got 4566.5)' },
    { value: '80', message: '--port must be a number from 1024 to 65535 (got 80)' },
    { value: 'soon', message: '--port must be a number from 1024 to 65535 (got soon)' },
    { value: '-1', message: '--port must be a number from 1024 to 65535 (got -1)' },
  ])('integerOption rejects $value as a usage error naming the option', ({ value, message }) => {
    // Act
    const read = () => integerOption(value, 'port', 4566, 1024, 65_535);

    // Assert
    expect(read).toThrow(UsageError);
    expect(read).toThrow(message);
  });

  it('numberOption keeps fractions', () => {
    expect(numberOption('0.5', 'rate', 1, 0, 1)).toBe(0.5);
  });
});

describe('the tools reject what they do not take, naming it, with exit 2', () => {
  it.each([
    { command: 'cdk/commands/results.ts', args: ['stray'], message: "Unexpected argument 'stray'" },
    {
      command: 'cdk/commands/drain.ts',
      args: ['--timeout=0'],
      message: '--timeout must be a number from 1 to',
    },
    { command: 'test/harness/load.ts', args: ['--items', '2.5'], message: '--items must be a whole number' },
    { command: 'cdk/commands/verify.ts', args: ['--nope'], message: "Unknown option '--nope'" },
  ])('$command $args', ({ command, args, message }) => {
    // Act: nothing reaches a deployment, the arguments are refused first
    const { status, stderr } = spawnSync('npx', ['tsx', command, ...args], { encoding: 'utf8' });

    // Assert
    expect(status).toBe(2);
    expect(stderr).toContain(message);
  });
});

describe('formatByMinute', () => {
  it('lists objects under their UTC minute, oldest first, with their items, groups and a count', () => {
    // Prepare
    const objects = [
      storedResults('results/2026/11/23/10/43/b.json', [{ item: 2, requestId: 'r2', index: 0 }]),
      storedResults('results/2026/11/23/10/42/a.json', [
        { item: 1, requestId: 'r1', index: 0 },
        { item: 3, requestId: 'r3', index: 0 },
      ]),
      storedFailure('failed/2026/11/23/10/43/m-1.json', {
        item: 13,
        reason: 'write_failed',
        receiveCount: 3,
      }),
    ];

    // Act
    const lines = formatByMinute(objects);

    // Assert
    expect(lines).toEqual([
      '2026-11-23 10:42 UTC',
      '  results  a  [1,3]  groups r1, r3',
      '2026-11-23 10:43 UTC',
      '  results  b  [2]  group r2',
      '  failed   m-1  item 13  write_failed (receive 3)',
      '2 results objects (3 items), 1 failure records',
    ]);
  });
});

describe('results filters', () => {
  it.each([
    { value: '2026-11-23T10:42', minute: '2026-11-23T10:42:00.000Z' },
    { value: '2026-11-23T10:42Z', minute: '2026-11-23T10:42:00.000Z' },
  ])('--minute $value reads the minute starting at $minute', ({ value, minute }) => {
    expect(minuteOption(value).toISOString()).toBe(minute);
  });

  it.each(['2026-11-23 10:42', '2026-11-23T10', '2026-13-40T10:42', 'now'])(
    '--minute %s is a usage error',
    (value) => {
      expect(() => minuteOption(value)).toThrow(UsageError);
      expect(() => minuteOption(value)).toThrow(
        `--minute must be a UTC minute like 2026-11-23T10:42 (got ${value})`,
      );
    },
  );

  it("--request keeps the objects holding the request's items and its failure records", () => {
    // Prepare
    const mine = storedResults('results/2026/11/23/10/42/a.json', [
      { item: 1, requestId: 'other', index: 0 },
      { item: 2, requestId: 'r-1', index: 0 },
    ]);
    const failure = storedFailure('failed/2026/11/23/10/43/m.json', { item: 13, requestId: 'r-1' });
    const others = [
      storedResults('results/2026/11/23/10/42/b.json', [{ item: 3, requestId: 'other', index: 1 }]),
      storedFailure('failed/2026/11/23/10/43/n.json', { item: 4, requestId: 'other' }),
      storedFailure('failed/2026/11/23/10/43/o.json', { reason: 'malformed', body: 'not json' }),
    ];

    // Act
    const kept = ofRequest([mine, ...others, failure], 'r-1');

    // Assert
    expect(kept.map(({ key }) => key)).toEqual([mine.key, failure.key]);
  });
});
