import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ApiGatewayAccountStack } from '../../cdk/lib/api-gateway-account-stack';
import { addPipeline } from '../../cdk/lib/pipeline-app';
import { API_GATEWAY_ACCOUNT_STACK_NAME } from '../../cdk/project';
import { assemblyDir } from './synth';

// Prepare: prod and staging of one account and Region, synthesized in one app as cdk synth does.
const app = new App({ outdir: assemblyDir(), context: { pipeline: {}, 'aws:cdk:bundling-stacks': [] } });
const stacks = [addPipeline(app, 'PipelineProd'), addPipeline(app, 'PipelineStaging')];
const [prod, staging] = stacks.map((stack) => ({ stack, template: Template.fromStack(stack) }));
const accountStack = app.node.findChild(API_GATEWAY_ACCOUNT_STACK_NAME);
const account = Template.fromStack(accountStack as ApiGatewayAccountStack);

const valuesOf = (template: Template, type: string, property: string): unknown[] =>
  Object.values(template.findResources(type)).map((resource) => resource.Properties?.[property]);

describe('two pipeline stacks in one account and Region', () => {
  it('share one API Gateway logging role, set by one account stack both depend on', () => {
    // Assert: one account stack, before each pipeline stack, and no setting or role in either of them.
    expect(accountStack).toBeInstanceOf(ApiGatewayAccountStack);
    expect(app.node.children.filter((child) => child instanceof ApiGatewayAccountStack)).toHaveLength(1);
    for (const { stack, template } of [prod, staging].map((pipeline) => pipeline ?? expect.unreachable())) {
      expect(stack.dependencies).toEqual([accountStack]);
      template.resourceCountIs('AWS::ApiGateway::Account', 0);
      template.resourceCountIs('Custom::ApiGatewayCloudWatchRole', 0);
    }
    account.resourceCountIs('AWS::ApiGateway::Account', 0);
    account.resourceCountIs('Custom::ApiGatewayCloudWatchRole', 1);
  });

  it('sets the account setting through a custom resource that keeps it, and the role, on delete', () => {
    // Assert: the role API Gateway assumes, kept; the setting names it, kept (no Delete is ever sent).
    const [roleId, role] =
      Object.entries(
        account.findResources('AWS::IAM::Role', {
          Properties: {
            AssumeRolePolicyDocument: {
              Statement: [Match.objectLike({ Principal: { Service: 'apigateway.amazonaws.com' } })],
            },
          },
        }),
      )[0] ?? expect.unreachable();
    expect(role?.DeletionPolicy).toBe('Retain');
    expect(JSON.stringify(role?.Properties.ManagedPolicyArns)).toContain(
      'policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs',
    );
    const [setting] = Object.values(account.findResources('Custom::ApiGatewayCloudWatchRole'));
    expect(setting).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: { RoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] } },
    });
    account.hasOutput('CloudWatchRoleArn', {});
  });

  it('lets the setting function read and change only the account setting, and pass only that role', () => {
    // Assert
    account.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['apigateway:GET', 'apigateway:PATCH'],
            Resource: {
              'Fn::Join': [
                '',
                ['arn:', { Ref: 'AWS::Partition' }, ':apigateway:', { Ref: 'AWS::Region' }, '::/account'],
              ],
            },
          }),
          Match.objectLike({ Action: 'iam:PassRole', Resource: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } }),
        ]),
      },
    });
  });

  it('name their APIs after themselves, since API Gateway keys its metrics by API name', () => {
    // Assert
    expect(valuesOf(prod?.template ?? expect.unreachable(), 'AWS::ApiGateway::RestApi', 'Name')).toEqual([
      'PipelineProd-api',
    ]);
    expect(valuesOf(staging?.template ?? expect.unreachable(), 'AWS::ApiGateway::RestApi', 'Name')).toEqual([
      'PipelineStaging-api',
    ]);
  });

  it.each([
    ['PipelineProd', 0],
    ['PipelineStaging', 1],
  ])(
    "publish %s's own metrics under its own namespace, which its alarms and nobody else's read",
    (name, at) => {
      // Prepare
      const { template } = [prod, staging][at] ?? expect.unreachable();
      const namespace = `FifoBatchPipeline/${name}`;

      // Assert: every function publishes there; every alarm on our own metrics reads there.
      const variables = valuesOf(template, 'AWS::Lambda::Function', 'Environment') as {
        Variables: Record<string, string>;
      }[];
      expect(variables.length).toBeGreaterThan(0);
      for (const { Variables } of variables) expect(Variables.POWERTOOLS_METRICS_NAMESPACE).toBe(namespace);
      const ownAlarms = Object.values(
        template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'LedgerErrors' } }),
      );
      expect(ownAlarms).toHaveLength(3);
      for (const alarm of ownAlarms) expect(alarm.Properties.Namespace).toBe(namespace);
      // The AWS metrics' alarms read the stack's own resources (by reference, or the REST API by its
      // stack-named name, which is how API Gateway keys its metrics), never a shared name.
      for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
        if (alarm.Properties.Namespace === namespace) continue;
        expect(alarm.Properties.Namespace).toMatch(/^AWS\//);
        for (const { Name, Value } of alarm.Properties.Dimensions) {
          if (Name === 'ApiName') expect(Value).toBe(`${name}-api`);
          else expect(typeof Value).not.toBe('string');
        }
      }
    },
  );

  it('have a dashboard each, named after the stack and the Region (dashboard names are global per account)', () => {
    // Assert
    for (const [pipeline, name] of [
      [prod, 'PipelineProd'],
      [staging, 'PipelineStaging'],
    ] as const) {
      pipeline?.template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
        DashboardName: { 'Fn::Join': ['', [`${name}-`, { Ref: 'AWS::Region' }, '-pipeline']] },
      });
    }
  });

  it('pass cdk-nag together: each finding of the account stack acknowledged once', () => {
    // Act / Assert
    expect(() => app.synth()).not.toThrow();
  });
});
