import { CfnResource } from 'aws-cdk-lib';
import { CfnEventSourceMapping, CfnPermission, type IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import type { ApiGatewayAccountStack } from './api-gateway-account-stack';
import { RestPipelineApi } from './constructs/rest-pipeline-api';
import type { PipelineStack } from './pipeline-stack';

/** Where our reason for each cfn-lint `ignore_checks` entry goes: cfn-lint's own metadata has no place for it. */
export const CFN_LINT_REASONS = 'cfn-lint-reasons';

interface CheckovMetadata {
  skip: Array<{ id: string; comment: string }>;
}

interface CfnLintMetadata {
  config?: { ignore_checks?: string[] };
}

function resourceOf(construct: IConstruct): CfnResource {
  const resource = construct instanceof CfnResource ? construct : construct.node.defaultChild;
  if (!(resource instanceof CfnResource))
    throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return resource;
}

/**
 * Accepts one finding of the template checks (npm run test:template) on one resource, in the metadata
 * each tool reads: checkov's `checkov.skip` (ids `CKV_*`, the reason as its comment), otherwise cfn-lint's
 * `cfn-lint.config.ignore_checks` with the reason beside it. Merges with metadata already there.
 */
function suppress(construct: IConstruct, rule: string, reason: string): void {
  const resource = resourceOf(construct);
  if (rule.startsWith('CKV_')) {
    const checkov: CheckovMetadata = resource.getMetadata('checkov') ?? { skip: [] };
    resource.addMetadata('checkov', { ...checkov, skip: [...checkov.skip, { id: rule, comment: reason }] });
    return;
  }
  const cfnLint: CfnLintMetadata = resource.getMetadata('cfn-lint') ?? {};
  const ignored = cfnLint.config?.ignore_checks ?? [];
  resource.addMetadata('cfn-lint', {
    ...cfnLint,
    config: { ...cfnLint.config, ignore_checks: [...ignored, rule] },
  });
  resource.addMetadata(CFN_LINT_REASONS, { ...resource.getMetadata(CFN_LINT_REASONS), [rule]: reason });
}

/** What every function of ours carries, whatever invokes it. */
function suppressFunctionFindings(fn: IFunction): void {
  suppress(
    fn,
    'WS1004',
    'False positive: the rule looks for a log group named /aws/lambda/<function>; the function logs ' +
      'through LoggingConfig.LogGroup to its own log group, which has a retention (logRetentionDays).',
  );
  suppress(
    fn,
    'W3005',
    'The CDK makes every function depend on its role and the role policy; the extra edge is harmless, ' +
      'and removing it would mean overriding the template the CDK writes.',
  );
  suppress(
    fn,
    'CKV_AWS_117',
    'The function calls only public AWS endpoints (SQS, S3, DynamoDB, X-Ray, CloudWatch Logs), no private ' +
      'resource; a VPC would add NAT or endpoint costs and network setup for no isolation gain.',
  );
  suppress(
    fn,
    'CKV_AWS_173',
    'Lambda encrypts environment variables at rest with an AWS managed key; ours hold settings and ' +
      'resource names (queue URL, bucket name, batch size), no secrets.',
  );
}

/**
 * Every cfn-lint (with the serverless rules) and checkov finding we accept, on the narrowest resource,
 * with the reason. Anything not listed here fails `npm test`, so a new finding is either fixed or argued
 * for in this file.
 */
export function suppressTemplateFindings(stack: PipelineStack): void {
  const { bucket } = stack.storage;
  const { queue, deadLetterQueue } = stack.queues;
  const { ingestFunction } = stack.ingestApi;
  const { batchFunction } = stack.batchWriter;
  const { statusFunction } = stack.requestStatus;
  const { closerFunction } = stack.windowCloser;
  const { analysesFunction } = stack.analysesApi;
  const consumers = stack.analyses.map((analysis) => analysis.consumerFunction);
  const functions = [
    ingestFunction,
    batchFunction,
    statusFunction,
    closerFunction,
    analysesFunction,
    ...consumers,
  ];
  const analysisQueues = stack.analyses.flatMap(({ queues }) => [queues.queue, queues.deadLetterQueue]);

  suppress(
    stack.dispatcher.topic,
    'CKV_AWS_26',
    'The topic holds items only in transit to its encrypted (SSE-SQS) queues and refuses non-TLS publishes; ' +
      'SSE would add a KMS request to every publish, about ten times the cost of the topic itself.',
  );
  suppress(
    bucket,
    'CKV_AWS_18',
    'Only the batch function writes here; server access logs would need a second bucket. Use CloudTrail ' +
      'S3 data events for an audit trail (as cdk-nag S1 in nag.ts).',
  );
  suppress(
    bucket,
    'CKV_AWS_21',
    'The pipeline may only PutObject (no delete) and writes results objects once (If-None-Match: *); ' +
      'versioning would keep objects that retentionDays expires on purpose as noncurrent versions.',
  );

  suppress(
    stack.requestLedger.table,
    'CKV_AWS_119',
    'DynamoDB encrypts every table at rest (here with an AWS owned key, as the bucket and queues use ' +
      'service keys); the ledger holds counts, hashes, API key ids and object keys, no secrets, so a ' +
      'customer managed key would only add a monthly and per-request cost and a key policy to keep.',
  );

  const { undelivered } = stack.dispatcher;
  for (const sqsQueue of [queue, deadLetterQueue, undelivered, ...analysisQueues]) {
    suppress(
      sqsQueue,
      'CKV_AWS_27',
      'False positive: encrypted with SQS-managed keys (SqsManagedSseEnabled: true); the check only ' +
        'reads KmsMasterKeyId.',
    );
  }
  suppress(
    deadLetterQueue,
    'ES6000',
    'This is the dead-letter queue: its messages wait for npm run redrive and the DeadLetterQueueNotEmpty ' +
      'alarm fires on the first one; a queue behind it would only hide them.',
  );
  for (const { analysis, queues } of stack.analyses) {
    suppress(
      queues.deadLetterQueue,
      'ES6000',
      `This is analysis ${analysis.name}'s dead-letter queue: its messages wait for npm run redrive -- ` +
        '--analysis and its alarm fires on the first one; a queue behind it would only hide them.',
    );
  }
  suppress(
    stack.windowsTable.table,
    'CKV_AWS_119',
    'DynamoDB encrypts every table at rest (here with an AWS owned key, as the ledger); the windows table ' +
      'holds items and counts that S3 also holds, no secrets, so a customer managed key would only add cost.',
  );
  suppress(
    undelivered,
    'ES6000',
    "This is the dispatcher's dead-letter queue: SNS parks what it cannot deliver here and the " +
      'UndeliveredNotEmpty alarm fires on the first one; a queue behind it would only hide them.',
  );

  const logGroups = [...functions.map((fn) => fn.logGroup), stack.api.accessLogs];
  for (const logGroup of logGroups) {
    suppress(
      logGroup,
      'CKV_AWS_158',
      'CloudWatch Logs encrypts all log data at rest; a customer managed KMS key would only add control ' +
        'over the key (key policy, revocation) at a cost per key and request, which no data here calls for.',
    );
  }

  for (const fn of functions) suppressFunctionFindings(fn);
  suppress(
    ingestFunction,
    'CKV_AWS_116',
    'Invoked synchronously by API Gateway: a function DLQ catches only asynchronous invocations, and a ' +
      'failure here is answered to the caller (503 ENQUEUE_FAILED), who retries.',
  );
  suppress(
    statusFunction,
    'CKV_AWS_116',
    'Invoked synchronously by API Gateway for GET /requests/{requestId}: a function DLQ catches only ' +
      'asynchronous invocations, and a read has nothing to retry later (503 LEDGER_UNAVAILABLE tells the caller).',
  );
  for (const fn of [batchFunction, ...consumers]) {
    suppress(
      fn,
      'CKV_AWS_116',
      'Invoked by an SQS event source mapping: a function DLQ catches only asynchronous invocations; ' +
        "failed messages go to its queue's own dead-letter queue (RedrivePolicy).",
    );
  }
  suppress(
    analysesFunction,
    'CKV_AWS_116',
    'Invoked synchronously by API Gateway for GET /analyses: a function DLQ catches only asynchronous ' +
      'invocations, and a read has nothing to retry later (503 WINDOWS_UNAVAILABLE tells the caller).',
  );
  suppress(
    closerFunction,
    'CKV_AWS_116',
    'Invoked by its schedule every minute: a failed run is taken up by the next one (every write is ' +
      'write-once), so a dead-letter queue would hold only stale schedule events.',
  );
  suppress(
    closerFunction,
    'CKV_AWS_115',
    'One run a minute, each bounded by MAX_WINDOWS_PER_RUN; reserved concurrency would take capacity from ' +
      "the account's pool (and fails to deploy on accounts with the minimum pool) for no protection.",
  );
  for (const fn of [ingestFunction, statusFunction, analysesFunction]) {
    suppress(
      fn,
      'CKV_AWS_115',
      'API Gateway bounds it: stage and usage plan throttling and the daily quota. Reserved concurrency ' +
        "would take capacity from the account's pool and add a second limit callers see as a 5xx, not a 429.",
    );
  }
  for (const fn of [batchFunction, ...consumers]) {
    suppress(
      fn,
      'CKV_AWS_115',
      "The event source mapping's maxConcurrency bounds it. Reserved concurrency below that would throttle " +
        'batches back to the queue (counting toward maxReceiveCount); above it, it would only take capacity ' +
        "from the account's pool.",
    );
  }

  // The SQS event sources make their mappings inside their constructs; if one moves, resourceOf fails.
  for (const consumer of [stack.batchWriter, ...stack.analyses]) {
    const mapping = consumer.node.findAll().find((child) => child instanceof CfnEventSourceMapping);
    suppress(
      mapping ?? consumer,
      'ES1001',
      'False positive for SQS: an SQS event source mapping takes no OnFailure destination; failed messages ' +
        'return to the queue and, after maxReceiveCount receives, go to its dead-letter queue (RedrivePolicy).',
    );
  }
  const schedulePermission = stack.windowCloser.node
    .findAll()
    .find((child) => child instanceof CfnPermission);
  suppress(
    schedulePermission ?? stack.windowCloser,
    'ES1007',
    'The closer has its EventInvokeConfig (no retries: the next run a minute later takes up a failed one, ' +
      'every write being write-once); the rule matches it by name, and it names the function by Ref.',
  );
  suppress(
    stack.windowCloser.schedule,
    'ES4000',
    'The schedule only starts a run; a run that fails is taken up by the next one a minute later, so a ' +
      'dead-letter queue would hold only stale schedule events.',
  );

  if (stack.api instanceof RestPipelineApi) {
    suppress(
      stack.api.api.deploymentStage,
      'CKV_AWS_120',
      'Every answer is per request and changes (a POST, a request status, provisional windows); a cache ' +
        'cluster would bill hourly for stale answers.',
    );
  }
}

/** The account stack's one function, invoked by CloudFormation for the custom resource. */
export function suppressAccountTemplateFindings(stack: ApiGatewayAccountStack): void {
  const { setterFunction } = stack.accountSetting;
  suppressFunctionFindings(setterFunction);
  suppress(
    setterFunction.logGroup,
    'CKV_AWS_158',
    'CloudWatch Logs encrypts all log data at rest; a customer managed KMS key would only add control ' +
      'over the key (key policy, revocation) at a cost per key and request, which no data here calls for.',
  );
  suppress(
    setterFunction,
    'CKV_AWS_116',
    'Invoked by CloudFormation for the custom resource, which waits for its answer: a failure fails the ' +
      'deploy and is retried by deploying again, so a dead-letter queue would hold nothing anyone reads.',
  );
  suppress(
    setterFunction,
    'CKV_AWS_45',
    'False positive: the high-entropy value is the metrics namespace FifoBatchPipeline/<stack name> ' +
      '(letters and a slash, as base64 has); the variables hold no secret.',
  );
  suppress(
    setterFunction,
    'CKV_AWS_115',
    'Runs once per deploy of the account stack; reserved concurrency would only take capacity from the ' +
      "account's pool.",
  );
}
