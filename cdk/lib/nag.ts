import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { ApiGatewayAccountStack } from './api-gateway-account-stack';
import { RestPipelineApi } from './constructs/rest-pipeline-api';
import type { PipelineStack } from './pipeline-stack';

/**
 * A resolved value as cdk-nag spells it in a finding's id: a reference as `<LogicalId>` or
 * `<LogicalId.Attribute>`, a join joined, so an id follows the stack's environment and logical ids.
 */
function nagSpelling(value: unknown): string {
  if (typeof value === 'string') return value;
  const intrinsic = value as { Ref?: string; 'Fn::GetAtt'?: string[]; 'Fn::Join'?: [string, unknown[]] };
  if (intrinsic.Ref !== undefined) return `<${intrinsic.Ref}>`;
  if (intrinsic['Fn::GetAtt'] !== undefined) return `<${intrinsic['Fn::GetAtt'].join('.')}>`;
  if (intrinsic['Fn::Join'] !== undefined) {
    const [separator, parts] = intrinsic['Fn::Join'];
    return parts.map(nagSpelling).join(separator);
  }
  throw new Error(`No cdk-nag spelling for ${JSON.stringify(value)}`);
}

const acknowledge = (scope: IConstruct, rule: string, reason: string): void =>
  Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${rule}`, reason });

/**
 * Every AwsSolutions finding we accept, on the narrowest construct, with the reason. Anything not
 * listed here fails synth, so a new finding is either fixed or argued for in this file.
 */
export function acknowledgeNagFindings(stack: PipelineStack): void {
  const bucketRef = nagSpelling(stack.resolve(stack.storage.bucket.bucketArn));

  for (const fn of [
    stack.ingestApi.ingestFunction,
    stack.batchWriter.batchFunction,
    stack.requestStatus.statusFunction,
    stack.windowCloser.closerFunction,
    stack.analysesApi.analysesFunction,
    ...stack.analyses.map((analysis) => analysis.consumerFunction),
  ]) {
    acknowledge(
      fn.role ?? fn,
      'IAM5[Resource::*]',
      'X-Ray PutTraceSegments and PutTelemetryRecords have no resource-level permissions.',
    );
  }
  for (const prefix of ['results', 'failed']) {
    acknowledge(
      stack.batchWriter.batchFunction.role ?? stack.batchWriter.batchFunction,
      `IAM5[Resource::${bucketRef}/${prefix}/*]`,
      `Object keys are generated per minute and segment; PutObject is limited to the ${prefix}/ prefix.`,
    );
  }
  for (const { analysis } of stack.analyses) {
    acknowledge(
      stack.windowCloser.closerFunction.role ?? stack.windowCloser.closerFunction,
      `IAM5[Resource::${bucketRef}/windows/${analysis.name}/*]`,
      `Window keys are generated per window start; PutObject is limited to the windows/${analysis.name}/ prefix.`,
    );
  }
  acknowledgeApiFindings(stack);
  acknowledge(
    stack.dispatcher.undelivered,
    'SQS3',
    "It is a dead-letter queue: the dispatcher's subscriptions park what SNS cannot deliver there " +
      '(their RedrivePolicy), which cdk-nag does not follow from a subscription.',
  );
  acknowledge(
    stack.storage.bucket,
    'S1',
    'Only the batch function writes here; server access logs would need a second bucket. Use CloudTrail ' +
      'S3 data events for an audit trail.',
  );
}

/** The front door's findings, which depend on the API's type and authentication. */
function acknowledgeApiFindings({ api }: PipelineStack): void {
  if (api.auth === 'apiKey') {
    acknowledge(
      api,
      'APIG4',
      api instanceof RestPipelineApi
        ? 'The contract (HTTP API): producers are machine clients authenticated by API key with a usage plan (on by default).'
        : 'auth apiKey on an HTTP API means apiKeyRequired false: routes without authorization, chosen in the ' +
            'configuration; auth iam signs every route.',
    );
  }
  if (api.producerPolicy) {
    for (const route of api.routes.filter(({ path }) => path.includes('{'))) {
      acknowledge(
        api.producerPolicy,
        `IAM5[Resource::${nagSpelling(Stack.of(api).resolve(api.routeArn(route)))}]`,
        `The * stands for the path parameter of ${route.method} ${route.path}: the policy grants that one ` +
          'route, on one stage, whatever the id.',
      );
    }
  }
  if (!(api instanceof RestPipelineApi)) return;
  acknowledge(
    api,
    'APIG2',
    'The function validates every body rule with exact codes and the element index (contract, HTTP API); a ' +
      'gateway JSON schema check misreports deeply nested or very long valid JSON as malformed.',
  );
  acknowledge(
    api,
    'COG4',
    api.auth === 'iam'
      ? 'Producers are services and scripts that sign with their AWS credentials (AWS_IAM), not Cognito users.'
      : 'Producers are services and scripts with API keys, not Cognito users (contract, HTTP API).',
  );
  acknowledge(
    api.api.deploymentStage,
    'APIG6',
    'Execution logging writes to log groups API Gateway creates outside the stack, without a retention; ' +
      'the access logs (in a stack log group), X-Ray and the function logs cover every request.',
  );
  acknowledge(
    api.api.deploymentStage,
    'APIG3',
    api.auth === 'iam'
      ? 'Stage throttling bounds the load and only signed callers the policy allows get through; attach a WAF web ACL per account.'
      : 'Usage-plan throttle and daily quota plus stage throttling bound the load; attach a WAF web ACL per account.',
  );
}

/** The account stack's findings we accept: AWS's own role for API Gateway logging, and X-Ray. */
export function acknowledgeAccountNagFindings(stack: ApiGatewayAccountStack): void {
  const { role, setterFunction } = stack.accountSetting;
  acknowledge(
    role,
    'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
    'The API Gateway account role AWS documents for access logging; shared by every API in the account ' +
      'and Region, so it may not be narrowed to one stack.',
  );
  acknowledge(
    setterFunction.role ?? setterFunction,
    'IAM5[Resource::*]',
    'X-Ray PutTraceSegments and PutTelemetryRecords have no resource-level permissions.',
  );
}
