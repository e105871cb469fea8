import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../../cdk/lib/config';
import { PipelineStack } from '../../cdk/lib/pipeline-stack';
import { assemblyDir, synthPipeline } from './synth';

const noBundling = { 'aws:cdk:bundling-stacks': [] };

/** The rule ids cdk-nag asks to acknowledge, read from its synthesis report. */
function findingsWithoutAcknowledgments(pipeline: Record<string, unknown>): string[] {
  const app = new App({ outdir: assemblyDir(), context: noBundling });
  new PipelineStack(app, 'FifoBatchPipeline', { config: resolveConfig(pipeline) });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth();
  } catch (error) {
    const ids = String(error).matchAll(/Acknowledge with 'AwsSolutions::AwsSolutions-([^']+)'/g);
    return [...new Set([...ids].map((match) => match[1] ?? ''))].sort();
  }
  return [];
}

/** What every form of the stack is acknowledged for, whatever its API. */
const STACK_FINDINGS = [
  'IAM5[Resource::*]',
  'IAM5[Resource::<StorageBucket5CB7C8EA.Arn>/failed/*]',
  'IAM5[Resource::<StorageBucket5CB7C8EA.Arn>/results/*]',
  'IAM5[Resource::<StorageBucket5CB7C8EA.Arn>/windows/items-60s/*]',
  'S1',
  'SQS3',
];
/** The producer policy's path parameters, one `*` each (auth iam). */
const PRODUCER_POLICY_FINDINGS = ['requests/*', 'analyses/*/windows'].map(
  (path) =>
    `IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<ApiCD79AAA0>/prod/GET/${path}]`,
);
/** A REST API's own: no request validation, no WAF, no execution logging, no Cognito. */
const REST_FINDINGS = ['APIG2', 'APIG3', 'APIG6', 'COG4'];

describe.each([
  { name: 'rest + apiKey (the default)', pipeline: {}, api: [...REST_FINDINGS, 'APIG4'] },
  { name: 'rest + iam', pipeline: { auth: 'iam' }, api: [...REST_FINDINGS, ...PRODUCER_POLICY_FINDINGS] },
  { name: 'http + iam', pipeline: { apiType: 'http', auth: 'iam' }, api: PRODUCER_POLICY_FINDINGS },
  {
    name: 'http + apiKey (no authorization)',
    pipeline: { apiType: 'http', apiKeyRequired: false },
    api: ['APIG4'],
  },
])('cdk-nag AwsSolutions, $name', ({ pipeline, api }) => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('passes: every finding is fixed or acknowledged with a reason', () => {
    // Prepare
    const { app } = synthPipeline(pipeline);

    // Act / Assert
    expect(() => app.synth()).not.toThrow();
  });

  it('passes in a concrete account and Region too, as the local deploy synthesizes it', () => {
    // Prepare: finding ids then carry the account and Region instead of their references.
    vi.stubEnv('CDK_DEFAULT_ACCOUNT', '000000000000');
    vi.stubEnv('CDK_DEFAULT_REGION', 'us-east-1');
    const { app } = synthPipeline(pipeline);

    // Act / Assert
    expect(() => app.synth()).not.toThrow();
  });

  it('would fail without our acknowledgments, and each one is still needed', () => {
    // Act
    const findings = findingsWithoutAcknowledgments(pipeline);

    // Assert: a finding that disappears (a fix landed) must also leave cdk/lib/nag.ts.
    expect(findings).toEqual([...STACK_FINDINGS, ...api].sort());
  });
});
