import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ANALYSIS_FIELDS,
  ANALYSIS_LIMITS,
  checkAnalyses,
  checkAnalysis,
  DEFAULT_ANALYSES,
  formatAnalysis,
  parseAnalysis,
} from '../../lambdas/domain/analyses';
import { configErrorMessage } from './factories.ingest';
import { analysis, analysisArbitrary } from './factories.windows';

const SETTING = 'pipeline.analyses';
const FIELDS = 'name, windowSeconds, advanceSeconds, aggregates, latenessSeconds';
const AGGREGATE_LIST = 'count, sum, min, max, mean';

describe('the defaults and ranges', () => {
  it('registers one analysis by default: 60 s windows every 10 s, every aggregate, 30 s of lateness', () => {
    expect(DEFAULT_ANALYSES).toStrictEqual([
      {
        name: 'items-60s',
        windowSeconds: 60,
        advanceSeconds: 10,
        aggregates: ['count', 'sum', 'min', 'max', 'mean'],
        latenessSeconds: 30,
      },
    ]);
    expect(checkAnalyses(SETTING, DEFAULT_ANALYSES)).toStrictEqual(DEFAULT_ANALYSES);
  });

  it('holds every range in one table', () => {
    expect(ANALYSIS_LIMITS).toStrictEqual({
      nameLength: { min: 1, max: 40 },
      windowSeconds: { min: 1, max: 3_600 },
      advanceSeconds: { min: 1, max: 3_600 },
      latenessSeconds: { min: 0, max: 3_600 },
      analysesPerDeployment: { min: 0, max: 20 },
    });
    expect(ANALYSIS_FIELDS).toEqual([
      'name',
      'windowSeconds',
      'advanceSeconds',
      'aggregates',
      'latenessSeconds',
    ]);
  });
});

describe('checkAnalyses accepts', () => {
  it.each([
    { name: 'no analyses', value: [] },
    {
      name: 'the smallest windows (1 s, tumbling)',
      value: [analysis({ windowSeconds: 1, advanceSeconds: 1 })],
    },
    {
      name: 'the largest windows and lateness',
      value: [analysis({ windowSeconds: 3_600, advanceSeconds: 3_600, latenessSeconds: 3_600 })],
    },
    { name: 'no lateness', value: [analysis({ latenessSeconds: 0 })] },
    {
      name: 'a hopping window of 3600 panes',
      value: [analysis({ windowSeconds: 3_600, advanceSeconds: 1 })],
    },
    { name: 'a name of 40 characters', value: [analysis({ name: 'a-0'.repeat(13).concat('z') })] },
    { name: 'a name of one character', value: [analysis({ name: '7' })] },
    { name: 'one aggregate', value: [analysis({ aggregates: ['max'] })] },
    {
      name: '20 analyses',
      value: Array.from({ length: 20 }, (_, i) => analysis({ name: `analysis-${i}` })),
    },
  ])('$name', ({ value }) => {
    expect(checkAnalyses(SETTING, value)).toStrictEqual(value);
  });

  it('keeps only the analysis fields, in their order, and copies the lists', () => {
    // Prepare
    const aggregates = ['mean', 'count'];
    const value = [{ latenessSeconds: 5, aggregates, advanceSeconds: 5, windowSeconds: 10, name: 'x' }];

    // Act
    const [checked] = checkAnalyses(SETTING, value);

    // Assert
    expect(Object.keys(checked ?? {})).toEqual([...ANALYSIS_FIELDS]);
    expect(checked?.aggregates).toEqual(['mean', 'count']);
    expect(checked?.aggregates).not.toBe(aggregates);
  });
});

describe('checkAnalyses rejects, naming the exact setting', () => {
  it.each([
    {
      name: 'a value that is not a list',
      value: { name: 'items-60s' },
      message: `${SETTING} must be a list of analyses (got {"name":"items-60s"})`,
    },
    {
      name: 'more than 20 analyses',
      value: Array.from({ length: 21 }, (_, i) => analysis({ name: `analysis-${i}` })),
      message: `${SETTING} must hold at most 20 analyses (got 21)`,
    },
    {
      name: 'an analysis that is not an object',
      value: [analysis(), 3],
      message: `${SETTING}[1] must be an object with the fields ${FIELDS} (got 3)`,
    },
    {
      name: 'an analysis that is a list',
      value: [[]],
      message: `${SETTING}[0] must be an object with the fields ${FIELDS} (got [])`,
    },
    {
      name: 'an analysis that is null',
      value: [null],
      message: `${SETTING}[0] must be an object with the fields ${FIELDS} (got null)`,
    },
    {
      name: 'unknown fields',
      value: [{ ...analysis(), windowSize: 60, filter: 'x' }],
      message: `Unknown field windowSize, filter in ${SETTING}[0]; known fields: ${FIELDS}`,
    },
    {
      name: 'a name with capitals',
      value: [analysis({ name: 'Items' })],
      message: `${SETTING}[0].name must be 1 to 40 of a-z, 0-9 and "-" (got "Items")`,
    },
    {
      name: 'an empty name',
      value: [analysis({ name: '' })],
      message: `${SETTING}[0].name must be 1 to 40 of a-z, 0-9 and "-" (got "")`,
    },
    {
      name: 'a name of 41 characters',
      value: [analysis({ name: 'a'.repeat(41) })],
      message: `${SETTING}[0].name must be 1 to 40 of a-z, 0-9 and "-" (got "${'a'.repeat(41)}")`,
    },
    {
      name: 'a name with a character around an allowed one',
      value: [analysis({ name: 'items_60s' })],
      message: `${SETTING}[0].name must be 1 to 40 of a-z, 0-9 and "-" (got "items_60s")`,
    },
    {
      name: 'a name followed by a newline',
      value: [analysis({ name: 'items\n' })],
      message: `${SETTING}[0].name must be 1 to 40 of a-z, 0-9 and "-" (got "items\n")`,
    },
    {
      name: 'a name that is not a string',
      value: [{ ...analysis(), name: 60 }],
      message: `${SETTING}[0].name must be 1 to 40 of a-z, 0-9 and "-" (got 60)`,
    },
    {
      name: 'no window',
      value: [{ ...analysis(), windowSeconds: undefined }],
      message: `${SETTING}[0].windowSeconds must be an integer from 1 to 3600 (got undefined)`,
    },
    {
      name: 'a window of 0 s',
      value: [analysis({ windowSeconds: 0 })],
      message: `${SETTING}[0].windowSeconds must be an integer from 1 to 3600 (got 0)`,
    },
    {
      name: 'a window over an hour',
      value: [analysis({ windowSeconds: 3_601, advanceSeconds: 1 })],
      message: `${SETTING}[0].windowSeconds must be an integer from 1 to 3600 (got 3601)`,
    },
    {
      name: 'an advance of 0 s',
      value: [analysis({ advanceSeconds: 0 })],
      message: `${SETTING}[0].advanceSeconds must be an integer from 1 to 3600 (got 0)`,
    },
    {
      name: 'a fractional advance',
      value: [analysis({ advanceSeconds: 2.5 })],
      message: `${SETTING}[0].advanceSeconds must be an integer from 1 to 3600 (got 2.5)`,
    },
    {
      name: 'an advance that does not divide the window',
      value: [analysis(), analysis({ name: 'other', advanceSeconds: 7 })],
      message: `${SETTING}[1].advanceSeconds must divide ${SETTING}[1].windowSeconds (got 7 and 60)`,
    },
    {
      name: 'an advance longer than the window',
      value: [analysis({ advanceSeconds: 120 })],
      message: `${SETTING}[0].advanceSeconds must divide ${SETTING}[0].windowSeconds (got 120 and 60)`,
    },
    {
      name: 'no aggregates',
      value: [analysis({ aggregates: [] })],
      message: `${SETTING}[0].aggregates must be a non-empty list of ${AGGREGATE_LIST} (got [])`,
    },
    {
      name: 'aggregates that are not a list',
      value: [{ ...analysis(), aggregates: 'count' }],
      message: `${SETTING}[0].aggregates must be a non-empty list of ${AGGREGATE_LIST} (got "count")`,
    },
    {
      name: 'an unknown aggregate',
      value: [{ ...analysis(), aggregates: ['count', 'sum', 'median'] }],
      message: `${SETTING}[0].aggregates[2] must be one of ${AGGREGATE_LIST} (got "median")`,
    },
    {
      name: 'a repeated aggregate',
      value: [analysis({ aggregates: ['sum', 'max', 'sum'] })],
      message: `${SETTING}[0].aggregates must not repeat an aggregate (got "sum" twice)`,
    },
    {
      name: 'a negative lateness',
      value: [analysis({ latenessSeconds: -1 })],
      message: `${SETTING}[0].latenessSeconds must be an integer from 0 to 3600 (got -1)`,
    },
    {
      name: 'a lateness over an hour',
      value: [analysis({ latenessSeconds: 3_601 })],
      message: `${SETTING}[0].latenessSeconds must be an integer from 0 to 3600 (got 3601)`,
    },
    {
      name: 'a name used twice',
      value: [analysis(), analysis({ name: 'other' }), analysis({ windowSeconds: 30 })],
      message: `${SETTING}[2].name must differ from ${SETTING}[0].name (got "items-60s" twice)`,
    },
  ])('$name', ({ value, message }) => {
    // Act
    const answer = configErrorMessage(() => checkAnalyses(SETTING, value));

    // Assert
    expect(answer).toBe(message);
  });
});

describe('one analysis through an environment variable', () => {
  it('writes the fields in their order, as JSON', () => {
    // Prepare
    const withExtra = { ...analysis({ aggregates: ['count', 'max'] }), extra: 1 };

    // Act
    const text = formatAnalysis(withExtra);

    // Assert
    expect(text).toBe(
      '{"name":"items-60s","windowSeconds":60,"advanceSeconds":10,"aggregates":["count","max"],"latenessSeconds":30}',
    );
  });

  it('reads back what it wrote, for any valid analysis', () => {
    fc.assert(
      fc.property(analysisArbitrary, (written) => {
        expect(parseAnalysis('ANALYSIS', formatAnalysis(written))).toStrictEqual(written);
      }),
    );
  });

  it('reads a value with blanks around it', () => {
    expect(parseAnalysis('ANALYSIS', ` ${formatAnalysis(analysis())}\n`)).toStrictEqual(analysis());
  });

  it.each([
    { name: 'a missing variable', text: undefined, message: 'ANALYSIS must be set' },
    { name: 'an empty variable', text: '', message: 'ANALYSIS must be set' },
    { name: 'a blank variable', text: '  ', message: 'ANALYSIS must be set' },
    {
      name: 'a value that is not JSON',
      text: 'items-60s',
      message: 'ANALYSIS must be an analysis as JSON (got items-60s)',
    },
    {
      name: 'an analysis its stack would not have passed',
      // Written out: a table is built before the tests run, outside any test
      text: '{"name":"items-60s","windowSeconds":60,"advanceSeconds":7,"aggregates":["count"],"latenessSeconds":30}',
      message: 'ANALYSIS.advanceSeconds must divide ANALYSIS.windowSeconds (got 7 and 60)',
    },
    {
      name: 'a list of analyses instead of one',
      text: JSON.stringify([analysis()]),
      message: `ANALYSIS must be an object with the fields ${FIELDS} (got ${JSON.stringify([analysis()])})`,
    },
  ])('fails with the variable name on $name', ({ text, message }) => {
    // Act
    const answer = configErrorMessage(() => parseAnalysis('ANALYSIS', text));

    // Assert
    expect(answer).toBe(message);
  });

  it('checks one analysis with the name it is given', () => {
    expect(configErrorMessage(() => checkAnalysis('x', analysis({ name: 'A' })))).toBe(
      'x.name must be 1 to 40 of a-z, 0-9 and "-" (got "A")',
    );
  });
});
