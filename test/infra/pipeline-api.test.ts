import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { HttpPipelineApi } from '../../cdk/lib/constructs/http-pipeline-api';
import { API_GATEWAY_ACCOUNT_STACK_NAME } from '../../cdk/project';
import { ConfigError } from '../../lambdas/domain/errors';
import { assemblyDir, type Synthesized, synthPipeline } from './synth';

/**
 * The front door in each of its four forms (auth apiKey|iam x apiType rest|http), each synthesized
 * once as `cdk synth` builds it, with a throttle other than the default so that its wiring shows.
 */
const THROTTLE = { throttleRateLimit: 37, throttleBurstLimit: 74 };
const ROUTES = ['POST /items', 'GET /requests/{requestId}', 'GET /analyses', 'GET /analyses/{name}/windows'];

interface Combination {
  readonly name: string;
  readonly pipeline: Record<string, unknown>;
  readonly apiType: 'rest' | 'http';
  readonly auth: 'apiKey' | 'iam';
  /** Every route's authorization, as the template says it. */
  readonly authorization: 'NONE' | 'AWS_IAM';
  /** REST methods only: whether each requires the usage plan's key. */
  readonly apiKeyRequired?: boolean;
}

const COMBINATIONS: readonly Combination[] = [
  {
    name: 'rest + apiKey (the default)',
    pipeline: {},
    apiType: 'rest',
    auth: 'apiKey',
    authorization: 'NONE',
    apiKeyRequired: true,
  },
  {
    name: 'rest + iam',
    pipeline: { auth: 'iam' },
    apiType: 'rest',
    auth: 'iam',
    authorization: 'AWS_IAM',
    apiKeyRequired: false,
  },
  {
    name: 'http + iam',
    pipeline: { apiType: 'http', auth: 'iam' },
    apiType: 'http',
    auth: 'iam',
    authorization: 'AWS_IAM',
  },
  {
    name: 'http + apiKey (apiKeyRequired false: routes without authorization)',
    pipeline: { apiType: 'http', apiKeyRequired: false },
    apiType: 'http',
    auth: 'apiKey',
    authorization: 'NONE',
  },
];

const synthesized = new Map<string, Synthesized>(
  COMBINATIONS.map((combination) => [
    combination.name,
    synthPipeline({ ...combination.pipeline, ...THROTTLE }),
  ]),
);

/** A combination with its template and the logical ids the assertions refer to. */
function built(combination: Combination) {
  const { stack, template, app } = synthesized.get(combination.name) ?? expect.unreachable();
  const ref = (construct: { node: { defaultChild?: unknown } }): string =>
    stack.getLogicalId(construct.node.defaultChild as CfnElement);
  const apiResource = stack.api.node.findChild('Api');
  return { stack, template, app, apiId: ref(apiResource), accessLogsId: ref(stack.api.accessLogs) };
}

/** Each route as `METHOD /path` with its authorization (and, on REST, whether it requires the key). */
function routesOf(template: Template, apiType: Combination['apiType']) {
  if (apiType === 'http') {
    return Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(({ Properties }) => ({
      route: Properties.RouteKey as string,
      authorization: Properties.AuthorizationType as string,
    }));
  }
  const resources = template.findResources('AWS::ApiGateway::Resource');
  const pathOf = (id: string | undefined): string => {
    const resource = id === undefined ? undefined : resources[id];
    if (!resource) return '';
    const parent = resource.Properties.ParentId.Ref as string | undefined;
    return `${pathOf(parent)}/${resource.Properties.PathPart}`;
  };
  return Object.values(template.findResources('AWS::ApiGateway::Method')).map(({ Properties }) => ({
    route: `${Properties.HttpMethod} ${pathOf(Properties.ResourceId.Ref)}`,
    authorization: Properties.AuthorizationType as string,
    apiKeyRequired: Properties.ApiKeyRequired as boolean,
  }));
}

/** An execute-api ARN on the API's `prod` stage, as the CDK writes it into a policy. */
const executeApiArn = (apiId: string, route: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':execute-api:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      ':',
      { Ref: apiId },
      `/prod/${route}`,
    ],
  ],
});

describe.each(COMBINATIONS)('the API, $name', (combination) => {
  const { template, stack, app, apiId, accessLogsId } = built(combination);

  it(`puts every route behind ${combination.authorization} authorization`, () => {
    // Act
    const routes = routesOf(template, combination.apiType);

    // Assert
    expect(routes.map(({ route }) => route).sort()).toEqual([...ROUTES].sort());
    for (const route of routes) {
      expect(route).toEqual({
        route: route.route,
        authorization: combination.authorization,
        ...(combination.apiType === 'rest' ? { apiKeyRequired: combination.apiKeyRequired } : {}),
      });
    }
  });

  it('is named after the stack and serves every route on the stage "prod"', () => {
    // Assert
    if (combination.apiType === 'rest') {
      template.hasResourceProperties('AWS::ApiGateway::RestApi', { Name: 'FifoBatchPipeline-api' });
      template.hasResourceProperties('AWS::ApiGateway::Stage', { StageName: 'prod' });
    } else {
      template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
        Name: 'FifoBatchPipeline-api',
        ProtocolType: 'HTTP',
      });
      template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { StageName: 'prod', AutoDeploy: true });
    }
  });

  it('throttles the stage with the configured rate and burst', () => {
    // Assert
    if (combination.apiType === 'rest') {
      template.hasResourceProperties('AWS::ApiGateway::Stage', {
        MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 37, ThrottlingBurstLimit: 74 })],
      });
    } else {
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        DefaultRouteSettings: { ThrottlingRateLimit: 37, ThrottlingBurstLimit: 74 },
      });
    }
  });

  it('writes JSON access logs with the request id to its own log group, kept with the stack deleted', () => {
    // Prepare
    const setting = combination.apiType === 'rest' ? 'AccessLogSetting' : 'AccessLogSettings';
    const [stage] = Object.values(
      template.findResources(
        combination.apiType === 'rest' ? 'AWS::ApiGateway::Stage' : 'AWS::ApiGatewayV2::Stage',
      ),
    );

    // Act
    const { DestinationArn, Format } = stage?.Properties[setting] ?? {};

    // Assert
    expect(DestinationArn).toEqual({ 'Fn::GetAtt': [accessLogsId, 'Arn'] });
    expect(JSON.parse(Format)).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
    expect(template.toJSON().Resources[accessLogsId]).toMatchObject({
      Properties: { RetentionInDays: 30 },
      DeletionPolicy: 'Retain',
    });
  });

  it(`has ${combination.apiType === 'rest' && combination.auth === 'apiKey' ? 'an API key in a usage plan with its throttle and daily quota' : 'no API key or usage plan'}`, () => {
    // Assert
    const keyed = combination.apiType === 'rest' && combination.auth === 'apiKey';
    template.resourceCountIs('AWS::ApiGateway::ApiKey', keyed ? 1 : 0);
    template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', keyed ? 1 : 0);
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', keyed ? 1 : 0);
    if (keyed) {
      template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
        Throttle: { RateLimit: 37, BurstLimit: 74 },
        Quota: { Limit: 1_000_000, Period: 'DAY' },
        ApiStages: [Match.objectLike({ ApiId: { Ref: apiId }, Stage: Match.anyValue() })],
      });
    }
  });

  it(
    combination.auth === 'iam'
      ? 'grants execute-api:Invoke on exactly its routes on the stage, in one managed policy for producers'
      : 'has no producer policy',
    () => {
      // Prepare
      const policies = Object.values(template.findResources('AWS::IAM::ManagedPolicy'));

      // Assert
      if (combination.auth === 'apiKey') {
        expect(policies).toEqual([]);
        return;
      }
      expect(policies.map(({ Properties }) => Properties.PolicyDocument.Statement)).toEqual([
        [
          {
            Action: 'execute-api:Invoke',
            Effect: 'Allow',
            Resource: ['POST/items', 'GET/requests/*', 'GET/analyses', 'GET/analyses/*/windows'].map(
              (route) => executeApiArn(apiId, route),
            ),
          },
        ],
      ]);
    },
  );

  it('names what it built in the stack outputs the tools read, and only what exists', () => {
    // Prepare
    const outputs = template.toJSON().Outputs;
    const keyed = combination.apiType === 'rest' && combination.auth === 'apiKey';

    // Assert
    expect(outputs).toMatchObject({
      ApiId: { Value: { Ref: apiId } },
      StageName: { Value: 'prod' },
      Auth: { Value: combination.auth },
      ApiType: { Value: combination.apiType },
    });
    const url = JSON.stringify(outputs.ApiUrl.Value);
    expect(url).toMatch(/^\{"Fn::Join":\["",\["https:\/\/",\{"Ref":"Api[0-9A-F]{8}"\},".execute-api."/);
    expect(url).toMatch(
      combination.apiType === 'rest'
        ? /\{"Ref":"ApiDeploymentStageprod[0-9A-F]{8}"\},"\/items"\]\]\}$/
        : /"\/prod\/items"\]\]\}$/,
    );
    expect(outputs.ApiKeyId === undefined).toBe(!keyed);
    if (keyed) expect(outputs.ApiKeyId.Value).toEqual({ Ref: expect.stringMatching(/^ApiApiKey/) });
    if (combination.auth === 'iam') {
      const [policyId] = Object.keys(template.findResources('AWS::IAM::ManagedPolicy'));
      expect(outputs.ProducerPolicyArn).toEqual({ Value: { Ref: policyId } });
    } else {
      expect(outputs.ProducerPolicyArn).toBeUndefined();
    }
  });

  it("alarms on the API's 5xx answers, read from its own type's metric", () => {
    // Assert
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      ...(combination.apiType === 'rest'
        ? { MetricName: '5XXError', Dimensions: [{ Name: 'ApiName', Value: 'FifoBatchPipeline-api' }] }
        : { MetricName: '5xx', Dimensions: [{ Name: 'ApiId', Value: { Ref: apiId } }] }),
      Statistic: 'Sum',
      Period: 60,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it("graphs the API's requests, 4xx, 5xx and latency from its own type's metrics", () => {
    // Prepare
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const parts = dashboard?.Properties.DashboardBody['Fn::Join'][1] as unknown[];
    const body = parts.map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join('');
    const dimension =
      combination.apiType === 'rest' ? '"ApiName","FifoBatchPipeline-api"' : `"ApiId","{"Ref":"${apiId}"}"`;
    const names =
      combination.apiType === 'rest'
        ? ['Count', '4XXError', '5XXError', 'Latency']
        : ['Count', '4xx', '5xx', 'Latency'];

    // Assert
    for (const name of names) expect(body).toContain(`"AWS/ApiGateway","${name}",${dimension}`);
  });

  if (combination.apiType === 'rest') {
    it('traces the stage, leaves body validation to the function and answers gateway errors in our shape', () => {
      // Assert
      template.hasResourceProperties('AWS::ApiGateway::Stage', { TracingEnabled: true });
      template.resourceCountIs('AWS::ApiGateway::RequestValidator', 0);
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: 'REQUEST_TOO_LARGE',
        StatusCode: '413',
        ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"code":"PAYLOAD_TOO_LARGE"') },
      });
      for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX']) {
        template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
          ResponseType: type,
          ResponseTemplates: { 'application/json': Match.stringLikeRegexp('^\\{"error":\\{"code":') },
        });
      }
    });

    it('logs through the account stack it depends on', () => {
      // Assert
      expect(stack.dependencies.map((dependency) => dependency.stackName)).toEqual([
        API_GATEWAY_ACCOUNT_STACK_NAME,
      ]);
    });
  } else {
    it('sends every route payload format 2.0 events through a Lambda proxy integration', () => {
      // Prepare
      const integrations = Object.values(template.findResources('AWS::ApiGatewayV2::Integration'));

      // Assert
      expect(integrations).toHaveLength(ROUTES.length);
      for (const { Properties } of integrations) {
        expect(Properties).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
      }
    });

    it('needs no account logging role (HTTP API access logs need none), so the app has no account stack', () => {
      // Assert
      expect(stack.dependencies).toEqual([]);
      expect(app.node.tryFindChild(API_GATEWAY_ACCOUNT_STACK_NAME)).toBeUndefined();
    });
  }
});

describe('the API configuration', () => {
  it('refuses an HTTP API whose routes require an API key at synth, saying what to set', () => {
    // Act / Assert
    expect(() => synthPipeline({ apiType: 'http' })).toThrow(
      new ConfigError(
        'pipeline.apiType "http" has no API keys or usage plans: set pipeline.auth to "iam", or ' +
          'pipeline.apiKeyRequired to false for routes without authorization, or use pipeline.apiType "rest"',
      ),
    );
  });

  it('refuses to synthesize an API without routes', () => {
    // Prepare
    const app = new App({ outdir: assemblyDir() });
    const stack = new Stack(app, 'NoRoutes');
    new HttpPipelineApi(stack, 'Api', {
      auth: 'iam',
      apiKeyRequired: false,
      throttleRateLimit: 1,
      throttleBurstLimit: 1,
      logRetention: RetentionDays.ONE_DAY,
    });

    // Act / Assert
    expect(() => app.synth()).toThrow('Api has no routes: add them with addRoute');
  });

  it.each([
    { name: 'a path without a leading /', path: 'items', message: 'route path must be' },
    { name: 'a parameter inside a segment', path: '/requests/id-{requestId}', message: 'route path must be' },
    { name: 'a route added twice', path: '/items', message: 'already has the route POST /items' },
  ])('refuses $name', ({ path, message }) => {
    // Prepare
    const { stack } = synthPipeline();
    const handler = LambdaFunction.fromFunctionArn(
      stack,
      'Imported',
      'arn:aws:lambda:us-east-1:123456789012:function:imported',
    );

    // Act / Assert
    expect(() => stack.api.addRoute('POST', path, handler)).toThrow(message);
  });
});
