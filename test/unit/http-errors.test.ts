import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HTTP_ERRORS } from '../../lambdas/domain/http-errors';

const CONTRACT = readFileSync(new URL('../../docs/CONTRACT.md', import.meta.url), 'utf8');

interface Row {
  readonly status: number;
  readonly code: string;
}

/**
 * The (status, code) pairs of the contract's error table, the one headed `| status | \`error.code\` |`.
 * Field names such as `index` are lower case, so only upper-case names count as codes.
 */
function contractErrorTable(markdown: string): Row[] {
  const lines = markdown.split('\n');
  const header = lines.findIndex((line) => /^\|\s*status\s*\|\s*`error\.code`/.test(line));
  if (header === -1) throw new Error('docs/CONTRACT.md has no error table');
  const end = lines.findIndex((line, position) => position > header && !line.startsWith('|'));
  return lines.slice(header + 2, end).flatMap((line) => {
    const [status = '', codes = ''] = line.split('|').slice(1);
    return [...codes.matchAll(/`([A-Z][A-Z_]+)`/g)].map(([, code = '']) => ({
      status: Number(status.trim()),
      code,
    }));
  });
}

const byCode = (a: Row, b: Row): number => a.code.localeCompare(b.code);

describe("the contract's error table", () => {
  it('lists exactly the codes and statuses of HTTP_ERRORS, each once', () => {
    // Prepare
    const expected = Object.entries(HTTP_ERRORS).map(([code, { status }]) => ({ status, code }));

    // Act
    const documented = contractErrorTable(CONTRACT);

    // Assert
    expect([...documented].sort(byCode)).toEqual(expected.sort(byCode));
  });

  it('takes codes from the code column only, without field names, and stops where the table ends', () => {
    // Prepare
    const markdown = [
      '| status | `error.code` | when |',
      '| --- | --- | --- |',
      '| 400 | `A_CODE`, `OTHER` (+ `index`) | when `NOT_A_CODE` is set |',
      '',
      '| 999 | `NOT_IN_THE_TABLE` | after a blank line |',
    ].join('\n');

    // Act
    const rows = contractErrorTable(markdown);

    // Assert
    expect(rows).toEqual([
      { status: 400, code: 'A_CODE' },
      { status: 400, code: 'OTHER' },
    ]);
  });
});
