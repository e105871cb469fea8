import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  FAILED_PREFIX,
  failureKey,
  hourPrefix,
  minuteLabel,
  minutePath,
  minutePrefix,
  parseStoredKey,
  RESULTS_PREFIX,
  resultKey,
} from '../../lambdas/domain/keys';

const at = (iso: string): Date => new Date(iso);
const DEDUP_IDS = ['req-A:0', 'req-A:1', 'req-A:2'];
const KEYS_MODULE = new URL('../../lambdas/domain/keys.ts', import.meta.url).href;

/**
 * Runs minutePath and minuteLabel in a child process whose TZ is `timeZone`: a test cannot change
 * the zone of its own process (setting TZ in a worker thread, vitest --pool threads, changes nothing).
 */
function inTimeZone(timeZone: string, iso: string): { localDate: number; path: string; label: string } {
  const script = `
    const { minutePath, minuteLabel } = await import(${JSON.stringify(KEYS_MODULE)});
    const at = new Date(${JSON.stringify(iso)});
    console.log(JSON.stringify({ localDate: at.getDate(), path: minutePath(at), label: minuteLabel(at) }));`;
  const output = execFileSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '--eval', script],
    {
      env: { ...process.env, TZ: timeZone },
      encoding: 'utf8',
    },
  );
  return JSON.parse(output);
}

describe('minutePath and minuteLabel', () => {
  it.each([
    { iso: '2026-01-02T03:04:59.999Z', path: '2026/01/02/03/04', label: '2026-01-02T03:04Z' },
    { iso: '2026-11-23T10:42:07.123Z', path: '2026/11/23/10/42', label: '2026-11-23T10:42Z' },
    { iso: '2026-12-31T23:59:59.999Z', path: '2026/12/31/23/59', label: '2026-12-31T23:59Z' },
    { iso: '2027-01-01T00:00:00.000Z', path: '2027/01/01/00/00', label: '2027-01-01T00:00Z' },
  ])('gives the zero-padded UTC minute of $iso', ({ iso, path, label }) => {
    // Act / Assert
    expect(minutePath(at(iso))).toBe(path);
    expect(minuteLabel(at(iso))).toBe(label);
  });

  it('ignores the local time zone, even where the local date is already the next day', () => {
    // Act: UTC+14, so 23:59 UTC on Dec 31 is Jan 1 locally.
    const { localDate, path, label } = inTimeZone('Pacific/Kiritimati', '2026-12-31T23:59:30.000Z');

    // Assert
    expect(localDate).toBe(1); // the zone took effect: local time really differs
    expect(path).toBe('2026/12/31/23/59');
    expect(label).toBe('2026-12-31T23:59Z');
  });
});

describe('resultKey', () => {
  it('is results/YYYY/MM/DD/HH/mm/<32 hex>.json under the UTC minute of the write', () => {
    // Act
    const key = resultKey(at('2026-11-23T10:42:07.123Z'), DEDUP_IDS);

    // Assert
    expect(key).toMatch(/^results\/2026\/11\/23\/10\/42\/[0-9a-f]{32}\.json$/);
  });

  it('is the same for the same deduplication ids within the same minute, so a rewrite overwrites', () => {
    // Act
    const first = resultKey(at('2026-11-23T10:42:00.000Z'), DEDUP_IDS);
    const again = resultKey(at('2026-11-23T10:42:59.999Z'), [...DEDUP_IDS]);

    // Assert
    expect(again).toBe(first);
  });

  it.each([
    { name: 'a different id', ids: ['req-A:0', 'req-A:1', 'req-B:2'] },
    { name: 'the same ids in another order', ids: ['req-A:1', 'req-A:0', 'req-A:2'] },
    { name: 'one id fewer', ids: ['req-A:0', 'req-A:1'] },
    { name: 'ids that read the same run together', ids: ['req-A:0req-A:1', 'req-A:2'] },
  ])('differs for $name', ({ ids }) => {
    // Prepare
    const minute = at('2026-11-23T10:42:07.123Z');

    // Act / Assert
    expect(resultKey(minute, ids)).not.toBe(resultKey(minute, DEDUP_IDS));
  });

  it('moves to the next minute prefix when written a minute later, keeping the id', () => {
    // Act
    const now = resultKey(at('2026-11-23T10:42:59.999Z'), DEDUP_IDS);
    const later = resultKey(at('2026-11-23T10:43:00.000Z'), DEDUP_IDS);

    // Assert
    expect(later.startsWith('results/2026/11/23/10/43/')).toBe(true);
    expect(later).not.toBe(now);
    expect(later.split('/').at(-1)).toBe(now.split('/').at(-1));
  });
});

describe('failureKey', () => {
  it('is failed/YYYY/MM/DD/HH/mm/<messageId>.json, so a redelivered message keeps one record per minute', () => {
    // Act
    const key = failureKey(at('2026-01-02T03:04:59.999Z'), '059f36b4-87a3-44ab-83d2-661975830a7d');

    // Assert
    expect(key).toBe('failed/2026/01/02/03/04/059f36b4-87a3-44ab-83d2-661975830a7d.json');
  });
});

describe('RESULTS_PREFIX and FAILED_PREFIX', () => {
  it.each([
    {
      prefix: RESULTS_PREFIX,
      expected: 'results/',
      key: resultKey(at('2026-11-23T10:42:07.123Z'), DEDUP_IDS),
    },
    { prefix: FAILED_PREFIX, expected: 'failed/', key: failureKey(at('2026-11-23T10:42:07.123Z'), 'm') },
  ])('$expected is the prefix of its keys, which the tools list by', ({ prefix, expected, key }) => {
    // Act / Assert
    expect(prefix).toBe(expected);
    expect(key.startsWith(prefix)).toBe(true);
  });
});

describe('reading keys back', () => {
  it.each([
    {
      key: 'results/2026/11/23/10/42/abc.json',
      parsed: { kind: 'results', minute: '2026-11-23T10:42Z', id: 'abc' },
    },
    {
      key: 'failed/2026/01/02/03/04/m-1.json',
      parsed: { kind: 'failed', minute: '2026-01-02T03:04Z', id: 'm-1' },
    },
    { key: 'other/2026/11/23/10/42/abc.json', parsed: undefined },
    { key: 'results/2026/11/23/abc.json', parsed: undefined },
    { key: 'results/2026/11/23/10/42/abc.txt', parsed: undefined },
    { key: 'results/2026/11/23/10/42/sub/abc.json', parsed: undefined },
  ])('parseStoredKey reads $key', ({ key, parsed }) => {
    expect(parseStoredKey(key)).toEqual(parsed);
  });

  it('reads back what resultKey and failureKey write', () => {
    // Prepare
    const writtenAt = at('2026-11-23T10:42:07.123Z');

    // Act
    const results = parseStoredKey(resultKey(writtenAt, DEDUP_IDS));
    const failure = parseStoredKey(failureKey(writtenAt, 'msg-1'));

    // Assert
    expect(results).toMatchObject({ kind: 'results', minute: minuteLabel(writtenAt) });
    expect(results?.id).toMatch(/^[0-9a-f]{32}$/);
    expect(failure).toEqual({ kind: 'failed', minute: '2026-11-23T10:42Z', id: 'msg-1' });
  });

  it.each([
    { kind: 'results', minute: 'results/2026/11/23/10/42/', hour: 'results/2026/11/23/10/' },
    { kind: 'failed', minute: 'failed/2026/11/23/10/42/', hour: 'failed/2026/11/23/10/' },
  ] as const)('names the $kind folders of a minute and an hour', ({ kind, minute, hour }) => {
    // Prepare
    const writtenAt = at('2026-11-23T10:42:59.999Z');

    // Act / Assert
    expect(minutePrefix(kind, writtenAt)).toBe(minute);
    expect(hourPrefix(kind, writtenAt)).toBe(hour);
    expect(
      (kind === 'results' ? resultKey(writtenAt, DEDUP_IDS) : failureKey(writtenAt, 'm')).startsWith(minute),
    ).toBe(true);
  });
});
