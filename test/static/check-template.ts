import { readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { addPipeline } from '../../cdk/lib/pipeline-app';
import { runTool, toolArgs } from '../../cdk/ops/cli';
import { LOCAL_DIR, PROJECT_ROOT } from '../../cdk/project';
import { type CfnTemplate, checkTemplate, report, suppressionsOf } from './template-checks';

const USAGE = `usage: npm run test:template -- [TEMPLATE]

Synthesizes the app as cdk synth does (cdk.json context, cdk-nag), and again with an HTTP API and
IAM auth, then runs cfn-lint with the serverless rules and checkov on every template; exits 1 on any
finding not suppressed with a reason in
cdk/lib/template-suppressions.ts. With TEMPLATE, checks that file instead. The checkers are installed
from PyPI into .local/venv-checks once.`;

/**
 * The forms of the pipeline stack checked: cdk.json's (the default, a REST API with API keys) and the
 * other API type with the other authentication (an HTTP API signed with IAM).
 */
const FORMS: Readonly<Record<string, Record<string, unknown>>> = {
  default: {},
  'http-iam': { apiType: 'http', auth: 'iam' },
};

/**
 * Every stack's template as `cdk synth` makes it, in each form (the pipeline, and with a REST API the
 * account stack with API Gateway's logging role), minus the function bundles: the checks read no code.
 */
function synthTemplates(): string[] {
  const outdir = path.join(LOCAL_DIR, 'template-check');
  rmSync(outdir, { recursive: true, force: true });
  const { context } = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8'));
  return Object.entries(FORMS).flatMap(([form, settings]) => {
    const app = new App({
      outdir: path.join(outdir, form),
      context: { ...context, pipeline: { ...context.pipeline, ...settings }, 'aws:cdk:bundling-stacks': [] },
    });
    addPipeline(app);
    return app.synth().stacks.map((stack) => stack.templateFullPath);
  });
}

runTool(async () => {
  const { positionals } = toolArgs(USAGE, {}, { positionals: true });
  let passedAll = true;
  for (const templatePath of positionals[0] ? [positionals[0]] : synthTemplates()) {
    console.error(`Checking ${templatePath} with cfn-lint and checkov...`);
    const findings = await checkTemplate(templatePath, console.error);
    const template = JSON.parse(readFileSync(templatePath, 'utf8')) as CfnTemplate;
    const { passed, text } = report(findings, suppressionsOf(template).length);
    console.log(`${path.relative(LOCAL_DIR, templatePath)}: ${text}`);
    passedAll &&= passed;
  }
  return passedAll ? 0 : 1;
});
