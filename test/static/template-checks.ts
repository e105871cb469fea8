import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { CFN_LINT_REASONS } from '../../cdk/lib/template-suppressions';
import { ensureVenv, type Log } from '../../cdk/local/local-cloud';
import { LOCAL_DIR } from '../../cdk/project';

/** The template checkers, pinned: an upgrade brings new rules, so it is deliberate. */
export const CHECK_TOOL_VERSIONS = {
  'cfn-lint': '1.58.0',
  'cfn-lint-serverless': '0.3.6',
  checkov: '3.3.30',
} as const;

/** Their own virtualenv, so that their dependencies never meet MiniStack's (.local/venv). */
export const CHECKS_VENV_DIR = path.join(LOCAL_DIR, 'venv-checks');

export class TemplateCheckError extends Error {
  readonly code = 'TEMPLATE_CHECK';
  constructor(message: string) {
    super(message);
    this.name = 'TemplateCheckError';
  }
}

export type CheckTool = 'cfn-lint' | 'checkov';

export interface Finding {
  readonly tool: CheckTool;
  /** e.g. `W3005`, `ES6000`, `CKV_AWS_27`. */
  readonly rule: string;
  /** cfn-lint's level (`error`, `warning`); checkov's failed checks are all `failed`. */
  readonly level: string;
  /** Logical id of the resource, or `''` for a finding about the template as a whole. */
  readonly resource: string;
  readonly message: string;
  readonly line?: number;
}

export interface ToolCommand {
  readonly tool: CheckTool;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/**
 * Both checkers on one template. Findings come only from their JSON output, so both are told to exit 0
 * with findings; any other exit is the tool failing. cfn-lint runs its default rules, errors and
 * warnings, and both count. Its informational I-rules stay off, as by default: they suggest rather
 * than find a defect (here I1022 "prefer Fn::Sub" on each Fn::Join the CDK writes, and I3013 "set
 * MessageRetentionPeriod" on the item queue).
 */
export function checkCommands(templatePath: string, venvDir = CHECKS_VENV_DIR): ToolCommand[] {
  const bin = (name: string) => path.join(venvDir, 'bin', name);
  return [
    {
      tool: 'cfn-lint',
      command: bin('cfn-lint'),
      args: [
        ...['--append-rules', 'cfn_lint_serverless.rules'],
        ...['--format', 'json', '--non-zero-exit-code', 'none'],
        templatePath,
      ],
      env: {},
    },
    {
      tool: 'checkov',
      command: bin('checkov'),
      args: [
        ...['--file', templatePath, '--framework', 'cloudformation'],
        ...['--output', 'json', '--quiet', '--soft-fail'],
        // No calls to the vendor's platform (guidelines, custom policies): the machine reaches PyPI only.
        '--skip-download',
      ],
      // Nor to PyPI on every run for its "new version available" banner.
      env: { CKV_SKIP_PACKAGE_UPDATE_CHECK: 'true' },
    },
  ];
}

function parseJson(tool: CheckTool, stdout: string): unknown {
  try {
    return JSON.parse(stdout);
  } catch {
    throw new TemplateCheckError(`${tool} did not print JSON: ${stdout.slice(0, 200)}`);
  }
}

interface CfnLintMatch {
  Level: string;
  Message: string;
  Rule: { Id: string };
  Location: { Path: Array<string | number> | null; Start: { LineNumber: number } };
}

/** cfn-lint `--format json`: an array of matches, each located by a path into the template. */
export function parseCfnLint(stdout: string): Finding[] {
  const matches = parseJson('cfn-lint', stdout);
  if (!Array.isArray(matches)) throw new TemplateCheckError('cfn-lint printed JSON that is not an array');
  return (matches as CfnLintMatch[]).map((match) => {
    const where = match.Location.Path ?? [];
    return {
      tool: 'cfn-lint',
      rule: match.Rule.Id,
      level: match.Level.toLowerCase(),
      resource: where[0] === 'Resources' ? String(where[1]) : '',
      message: match.Message,
      line: match.Location.Start.LineNumber,
    };
  });
}

interface CheckovReport {
  results?: {
    failed_checks?: Array<{
      check_id: string;
      check_name: string;
      resource: string;
      file_line_range?: [number, number];
    }>;
  };
  summary: { parsing_errors: number };
}

/**
 * checkov `--output json`: one report per framework (an object, or an array of them). A template it
 * cannot parse is not a finding but still a pass to checkov, so it fails here.
 */
export function parseCheckov(stdout: string): Finding[] {
  const parsed = parseJson('checkov', stdout);
  const reports = (Array.isArray(parsed) ? parsed : [parsed]) as CheckovReport[];
  return reports.flatMap((report) => {
    if (report.summary.parsing_errors > 0)
      throw new TemplateCheckError('checkov could not parse the template');
    return (report.results?.failed_checks ?? []).map((check) => ({
      tool: 'checkov' as const,
      rule: check.check_id,
      level: 'failed',
      // "AWS::SQS::Queue.QueuesQueueD811C857": type, then the logical id.
      resource: check.resource.slice(check.resource.lastIndexOf('.') + 1),
      message: check.check_name,
      line: check.file_line_range?.[0],
    }));
  });
}

const PARSERS: Record<CheckTool, (stdout: string) => Finding[]> = {
  'cfn-lint': parseCfnLint,
  checkov: parseCheckov,
};

/** A finding accepted on its resource, from the template's `Metadata` (see cdk/lib/template-suppressions.ts). */
export interface Suppression {
  readonly tool: CheckTool;
  readonly resource: string;
  readonly rule: string;
  readonly reason: string;
}

export interface CfnTemplate {
  Resources?: Record<
    string,
    { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }
  >;
}

interface SuppressionMetadata {
  checkov?: { skip?: Array<{ id: string; comment?: string }> };
  'cfn-lint'?: { config?: { ignore_checks?: string[] } };
  [CFN_LINT_REASONS]?: Record<string, string>;
}

/** Every suppression in the template, as each tool reads it, with our reason ('' when there is none). */
export function suppressionsOf(template: CfnTemplate): Suppression[] {
  return Object.entries(template.Resources ?? {}).flatMap(([resource, { Metadata = {} }]) => {
    const metadata = Metadata as SuppressionMetadata;
    return [
      ...(metadata.checkov?.skip ?? []).map((skip) => ({
        tool: 'checkov' as const,
        resource,
        rule: skip.id,
        reason: skip.comment ?? '',
      })),
      ...(metadata['cfn-lint']?.config?.ignore_checks ?? []).map((rule) => ({
        tool: 'cfn-lint' as const,
        resource,
        rule,
        reason: metadata[CFN_LINT_REASONS]?.[rule] ?? '',
      })),
    ];
  });
}

export interface Report {
  readonly passed: boolean;
  readonly text: string;
}

/** The verdict and what to print: any finding fails, a warning as much as an error. */
export function report(findings: readonly Finding[], suppressed: number): Report {
  const where = `cdk/lib/template-suppressions.ts (${suppressed} suppressed there, each with a reason)`;
  if (findings.length === 0) {
    return { passed: true, text: `Template checks passed: no findings beyond those in ${where}.` };
  }
  const count = (tool: CheckTool) => findings.filter((finding) => finding.tool === tool).length;
  const lines = findings.map(
    (finding) =>
      `  ${finding.resource || '(template)'}: ${finding.tool} ${finding.rule} (${finding.level}` +
      `${finding.line === undefined ? '' : `, line ${finding.line}`}) ${finding.message}`,
  );
  return {
    passed: false,
    text: [
      `Template checks FAILED: ${findings.length} finding(s), ${count('cfn-lint')} from cfn-lint and ` +
        `${count('checkov')} from checkov:`,
      ...lines,
      `Fix each in the CDK code, or suppress it on its resource with a reason in ${where}.`,
    ].join('\n'),
  };
}

function runChecker({ tool, command, args, env }: ToolCommand): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(stdout)
        : reject(new TemplateCheckError(`${tool} failed (exit ${code}): ${stderr.trim().slice(-2000)}`)),
    );
  });
}

/** Installs the pinned checkers into .local/venv-checks unless exactly those versions are there. */
export function ensureCheckTools(log: Log): void {
  ensureVenv(CHECKS_VENV_DIR, CHECK_TOOL_VERSIONS, log);
}

/** Installs the checkers if needed, then runs both on the template (at once) and returns every finding. */
export async function checkTemplate(templatePath: string, log: Log): Promise<Finding[]> {
  ensureCheckTools(log);
  const outputs = await Promise.all(
    checkCommands(templatePath).map(async (command) => PARSERS[command.tool](await runChecker(command))),
  );
  return outputs.flat();
}
