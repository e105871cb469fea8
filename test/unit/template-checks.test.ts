import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type CfnTemplate,
  checkCommands,
  type Finding,
  parseCfnLint,
  parseCheckov,
  report,
  suppressionsOf,
  TemplateCheckError,
} from '../static/template-checks';

/** One cfn-lint JSON match, as cfn-lint 1.58 prints it (fields we do not read left out). */
const cfnLintMatch = (level: string, rule: string, where: Array<string | number> | null, line = 85) => ({
  Filename: 'template.json',
  Level: level,
  Location: { Path: where, Start: { LineNumber: line, ColumnNumber: 3 }, End: { LineNumber: line } },
  Message: `message of ${rule}`,
  Rule: { Id: rule, ShortDescription: 'short' },
});

/** One checkov JSON report (`--output json`), with these failed checks. */
const checkovReport = (failed: Array<[rule: string, resource: string]>, parsingErrors = 0) => ({
  check_type: 'cloudformation',
  results: {
    failed_checks: failed.map(([rule, resource]) => ({
      check_id: rule,
      check_name: `name of ${rule}`,
      resource,
      file_line_range: [138, 163],
    })),
  },
  summary: { passed: 58, failed: failed.length, skipped: 0, parsing_errors: parsingErrors },
});

const finding = (overrides: Partial<Finding> = {}): Finding => ({
  tool: 'cfn-lint',
  rule: 'W3005',
  level: 'warning',
  resource: 'BatchWriterFunction213AA954',
  message: 'dependency already enforced',
  line: 809,
  ...overrides,
});

describe('checkCommands', () => {
  it.each([
    [
      'cfn-lint',
      [
        '--append-rules',
        'cfn_lint_serverless.rules',
        '--format',
        'json',
        '--non-zero-exit-code',
        'none',
        'out/t.json',
      ],
      {},
    ],
    [
      'checkov',
      [
        '--file',
        'out/t.json',
        '--framework',
        'cloudformation',
        '--output',
        'json',
        '--quiet',
        '--soft-fail',
        '--skip-download',
      ],
      { CKV_SKIP_PACKAGE_UPDATE_CHECK: 'true' },
    ],
  ])('runs %s from the venv on the template, findings as JSON', (tool, args, env) => {
    // Act
    const command = checkCommands('out/t.json', '/venv').find((each) => each.tool === tool);

    // Assert
    expect(command).toEqual({ tool, command: path.join('/venv', 'bin', tool), args, env });
  });
});

describe('parseCfnLint', () => {
  it.each([
    ['an error on a resource', 'Error', 'ES6000', ['Resources', 'Queue1'], 'error', 'Queue1'],
    [
      'a warning inside a resource',
      'Warning',
      'W3005',
      ['Resources', 'Fn1', 'DependsOn', 1],
      'warning',
      'Fn1',
    ],
    ['an error about the template', 'Error', 'E0000', null, 'error', ''],
    ['an error in another section', 'Error', 'E6001', ['Outputs', 'ApiUrl'], 'error', ''],
  ])('reads %s', (_case, level, rule, where, expectedLevel, expectedResource) => {
    // Prepare
    const stdout = JSON.stringify([cfnLintMatch(level, rule, where, 12)]);

    // Act
    const findings = parseCfnLint(stdout);

    // Assert
    expect(findings).toEqual([
      {
        tool: 'cfn-lint',
        rule,
        level: expectedLevel,
        resource: expectedResource,
        message: `message of ${rule}`,
        line: 12,
      },
    ]);
  });

  it('reads no findings from an empty list', () => {
    expect(parseCfnLint('[]\n')).toEqual([]);
  });

  it.each([
    ['output that is not JSON', 'Traceback (most recent call last):'],
    ['JSON that is not a list', '{"Level": "Error"}'],
  ])('fails on %s', (_case, stdout) => {
    expect(() => parseCfnLint(stdout)).toThrow(TemplateCheckError);
  });
});

describe('parseCheckov', () => {
  it('reads each failed check with the logical id of its resource', () => {
    // Prepare
    const stdout = JSON.stringify(
      checkovReport([
        ['CKV_AWS_27', 'AWS::SQS::Queue.QueuesQueueD811C857'],
        ['CKV_AWS_18', 'AWS::S3::Bucket.StorageBucket5CB7C8EA'],
      ]),
    );

    // Act
    const findings = parseCheckov(stdout);

    // Assert
    expect(findings).toEqual([
      {
        tool: 'checkov',
        rule: 'CKV_AWS_27',
        level: 'failed',
        resource: 'QueuesQueueD811C857',
        message: 'name of CKV_AWS_27',
        line: 138,
      },
      {
        tool: 'checkov',
        rule: 'CKV_AWS_18',
        level: 'failed',
        resource: 'StorageBucket5CB7C8EA',
        message: 'name of CKV_AWS_18',
        line: 138,
      },
    ]);
  });

  it.each([
    ['one report with no failed checks', checkovReport([]), []],
    [
      'one report without a results list',
      { check_type: 'cloudformation', summary: { parsing_errors: 0 } },
      [],
    ],
    [
      'a list of reports',
      [checkovReport([['CKV_AWS_120', 'AWS::ApiGateway::Stage.Stage1']]), checkovReport([])],
      ['CKV_AWS_120'],
    ],
  ])('reads %s', (_case, output, expectedRules) => {
    expect(parseCheckov(JSON.stringify(output)).map((each) => each.rule)).toEqual(expectedRules);
  });

  it.each([
    ['a template it could not parse (checkov itself passes it)', JSON.stringify(checkovReport([], 1))],
    ['output that is not JSON', 'Template file not found'],
  ])('fails on %s', (_case, stdout) => {
    expect(() => parseCheckov(stdout)).toThrow(TemplateCheckError);
  });
});

describe('suppressionsOf', () => {
  it('lists the suppressions of both tools on each resource, with their reasons', () => {
    // Prepare
    const template: CfnTemplate = {
      Resources: {
        Queue1: {
          Type: 'AWS::SQS::Queue',
          Metadata: {
            'aws:cdk:path': 'Stack/Queue1/Resource',
            checkov: { skip: [{ id: 'CKV_AWS_27', comment: 'SSE-SQS' }] },
            'cfn-lint': { config: { ignore_checks: ['ES6000', 'W1'] } },
            'cfn-lint-reasons': { ES6000: 'it is the dead-letter queue' },
          },
        },
        Bucket1: { Type: 'AWS::S3::Bucket' },
      },
    };

    // Act
    const suppressions = suppressionsOf(template);

    // Assert: a suppression without a reason reads as ''.
    expect(suppressions).toEqual([
      { tool: 'checkov', resource: 'Queue1', rule: 'CKV_AWS_27', reason: 'SSE-SQS' },
      { tool: 'cfn-lint', resource: 'Queue1', rule: 'ES6000', reason: 'it is the dead-letter queue' },
      { tool: 'cfn-lint', resource: 'Queue1', rule: 'W1', reason: '' },
    ]);
  });

  it('finds none in a template without resources', () => {
    expect(suppressionsOf({})).toEqual([]);
  });
});

describe('report', () => {
  it.each([
    ['a cfn-lint error', finding({ level: 'error', rule: 'ES6000' })],
    ['a cfn-lint warning', finding({ level: 'warning' })],
    ['a checkov failed check', finding({ tool: 'checkov', level: 'failed', rule: 'CKV_AWS_27' })],
  ])('fails on %s', (_case, one) => {
    expect(report([one], 0).passed).toBe(false);
  });

  it('passes with no findings and says how many were suppressed', () => {
    // Act
    const { passed, text } = report([], 23);

    // Assert
    expect(passed).toBe(true);
    expect(text).toContain('no findings');
    expect(text).toContain('23 suppressed');
  });

  it('prints one line per finding: resource, tool, rule, level, line and message', () => {
    // Prepare
    const findings = [
      finding(),
      finding({ tool: 'checkov', rule: 'CKV_AWS_18', level: 'failed', resource: 'Bucket1', line: 3 }),
      finding({ rule: 'E0000', level: 'error', resource: '', line: undefined, message: 'bad JSON' }),
    ];

    // Act
    const { text } = report(findings, 0);

    // Assert
    expect(text.split('\n')).toEqual([
      'Template checks FAILED: 3 finding(s), 2 from cfn-lint and 1 from checkov:',
      '  BatchWriterFunction213AA954: cfn-lint W3005 (warning, line 809) dependency already enforced',
      '  Bucket1: checkov CKV_AWS_18 (failed, line 3) dependency already enforced',
      '  (template): cfn-lint E0000 (error) bad JSON',
      expect.stringContaining('cdk/lib/template-suppressions.ts'),
    ]);
  });
});
