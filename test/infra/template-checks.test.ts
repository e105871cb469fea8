import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { CFN_LINT_REASONS } from '../../cdk/lib/template-suppressions';
import { API_GATEWAY_ACCOUNT_STACK_NAME } from '../../cdk/project';
import {
  type CfnTemplate,
  checkTemplate,
  ensureCheckTools,
  type Finding,
  report,
  suppressionsOf,
} from '../static/template-checks';
import { assemblyDir, synthPipeline } from './synth';

// Runs cfn-lint and checkov (Python) six times: about 18 s, plus about 50 s once to install them.
const { app, template, stack } = synthPipeline();
const appTemplate: CfnTemplate = template.toJSON();
/** The other API type with the other authentication: an HTTP API whose routes are signed with IAM. */
const httpIamTemplate: CfnTemplate = synthPipeline({ apiType: 'http', auth: 'iam' }).template.toJSON();
const accountTemplate: CfnTemplate = Template.fromStack(
  app.node.findChild(API_GATEWAY_ACCOUNT_STACK_NAME) as Stack,
).toJSON();
const queueId = stack.getLogicalId(stack.queues.queue.node.defaultChild as CfnElement);

/** A deep copy of the app's template, for a test to break. */
const templateCopy = (): CfnTemplate => structuredClone(appTemplate);

function writeTemplate(name: string, body: CfnTemplate): string {
  const file = path.join(assemblyDir(), `${name}.template.json`);
  writeFileSync(file, JSON.stringify(body, null, 1));
  return file;
}

const check = (name: string, body: CfnTemplate): Promise<Finding[]> =>
  checkTemplate(writeTemplate(name, body), console.error);

const keyOf = ({ tool, resource, rule }: { tool: string; resource: string; rule: string }) =>
  `${resource} ${tool} ${rule}`;

beforeAll(() => ensureCheckTools(console.error), 300_000);

describe('template checks (cfn-lint with serverless rules, checkov)', () => {
  it.each([
    { name: 'the app template', body: appTemplate },
    { name: 'the template with an HTTP API and IAM auth', body: httpIamTemplate },
  ])('find nothing unsuppressed in $name', async ({ body }) => {
    // Act
    const findings = await check('app', body);

    // Assert
    expect(report(findings, 0).text).toContain('no findings');
    expect(findings).toEqual([]);
  });

  it('find nothing unsuppressed in the account stack template (the API Gateway logging role)', async () => {
    // Act
    const findings = await check('account', accountTemplate);

    // Assert
    expect(findings).toEqual([]);
  });

  it('fail on a template whose item queue has no RedrivePolicy, naming the queue', async () => {
    // Prepare
    const broken = templateCopy();
    delete broken.Resources?.[queueId]?.Properties?.RedrivePolicy;

    // Act
    const findings = await check('no-redrive', broken);

    // Assert
    expect(findings).toContainEqual(expect.objectContaining({ resource: queueId, rule: 'ES6000' }));
    expect(report(findings, 0).passed).toBe(false);
  });

  it.each([
    { name: 'the app template', body: appTemplate },
    { name: 'the template with an HTTP API and IAM auth', body: httpIamTemplate },
  ])(
    'find exactly what is suppressed in $name once the suppressions are removed: each one is still needed',
    async ({ body }) => {
      // Prepare
      const bare = structuredClone(body);
      for (const resource of Object.values(bare.Resources ?? {})) {
        for (const key of ['checkov', 'cfn-lint', CFN_LINT_REASONS]) delete resource.Metadata?.[key];
      }

      // Act
      const findings = await check('unsuppressed', bare);

      // Assert
      expect(findings.map(keyOf).sort()).toEqual(suppressionsOf(body).map(keyOf).sort());
    },
  );
});

describe('suppressions (cdk/lib/template-suppressions.ts)', () => {
  const suppressions = suppressionsOf(appTemplate);

  it('are there, each with a reason', () => {
    expect(suppressions.length).toBeGreaterThan(0);
    for (const suppression of suppressions)
      expect(suppression.reason.trim(), keyOf(suppression)).not.toBe('');
  });

  it('give cfn-lint no reason without its ignore_checks entry', () => {
    // Prepare
    const ignored = new Set(suppressions.map(keyOf));

    // Act
    const reasons = Object.entries(appTemplate.Resources ?? {}).flatMap(([resource, { Metadata }]) =>
      Object.keys(Metadata?.[CFN_LINT_REASONS] ?? {}).map((rule) =>
        keyOf({ tool: 'cfn-lint', resource, rule }),
      ),
    );

    // Assert
    expect(reasons.filter((reason) => !ignored.has(reason))).toEqual([]);
  });
});
