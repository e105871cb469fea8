import type { CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { API_GATEWAY_ACCOUNT_STACK_NAME } from '../../cdk/project';
import { synthPipeline } from './synth';

const { template, stack } = synthPipeline();
const ref = (construct: IConstruct): string => stack.getLogicalId(construct.node.defaultChild as CfnElement);

function roleOf(fn: IFunction): string {
  if (!fn.role) throw new Error(`${fn.node.path} has no role`);
  return ref(fn.role);
}

const queueId = ref(stack.queues.queue);
const topicId = ref(stack.dispatcher.topic);
const undeliveredId = ref(stack.dispatcher.undelivered);
const deadLetterQueueId = ref(stack.queues.deadLetterQueue);
const bucketId = ref(stack.storage.bucket);

/** The statements of the default policy attached to a function's role. */
function statementsOf(roleLogicalId: string): Array<{ Action: string | string[]; Resource: unknown }> {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: roleLogicalId }] },
  });
  return Object.values(policies).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

const actionsOf = (roleLogicalId: string): string[] =>
  statementsOf(roleLogicalId)
    .flatMap((statement) => statement.Action)
    .sort();

describe('queues', () => {
  it('declares every queue FIFO, with explicit .fifo names and no content-based deduplication', () => {
    template.resourceCountIs('AWS::SQS::Queue', 5);
    for (const name of [
      'FifoBatchPipeline-items.fifo',
      'FifoBatchPipeline-items-dlq.fifo',
      'FifoBatchPipeline-undelivered.fifo',
      'FifoBatchPipeline-items-60s.fifo',
      'FifoBatchPipeline-items-60s-dlq.fifo',
    ]) {
      template.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: name,
        FifoQueue: true,
        ContentBasedDeduplication: false,
        SqsManagedSseEnabled: true,
      });
    }
  });

  it('redrives to the dead-letter queue after 5 receives (the backstop AWS advises), which keeps messages 14 days', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'FifoBatchPipeline-items.fifo',
      // A stalled consumer must not lose accepted items after SQS's default of 4 days.
      MessageRetentionPeriod: 14 * 24 * 3600,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [deadLetterQueueId, 'Arn'] },
        maxReceiveCount: 5,
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'FifoBatchPipeline-items-dlq.fifo',
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
  });

  it('sets the visibility timeout to 6 times the batch function timeout', () => {
    const fn = template.toJSON().Resources[ref(stack.batchWriter.batchFunction)];
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'FifoBatchPipeline-items.fifo',
      VisibilityTimeout: 6 * fn.Properties.Timeout,
    });
  });

  it.each([
    ['item queue', queueId],
    ['dead-letter queue', deadLetterQueueId],
    ["dispatcher's undelivered queue", undeliveredId],
  ])('denies non-TLS access to the %s', (_name, logicalId) => {
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

describe('dispatcher', () => {
  it('is an SNS FIFO topic with message-group throughput, explicit deduplication and TLS only', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: 'FifoBatchPipeline-items.fifo',
      FifoTopic: true,
      FifoThroughputScope: 'MessageGroup',
      ContentBasedDeduplication: false,
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('delivers raw envelopes to the item queue, without a filter, parking what it cannot deliver', () => {
    const subscriptions = template.findResources('AWS::SNS::Subscription', {
      Properties: { Endpoint: { 'Fn::GetAtt': [queueId, 'Arn'] } },
    });
    expect(Object.values(subscriptions).map((subscription) => subscription.Properties)).toEqual([
      {
        Protocol: 'sqs',
        TopicArn: { Ref: topicId },
        Endpoint: { 'Fn::GetAtt': [queueId, 'Arn'] },
        RawMessageDelivery: true,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [undeliveredId, 'Arn'] } },
      },
    ]);
  });

  it.each([
    ['item queue', queueId],
    ["dispatcher's undelivered queue", undeliveredId],
  ])('lets only the dispatcher send to the %s', (_name, logicalId) => {
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Principal: { Service: 'sns.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': { Ref: topicId } } },
          }),
        ]),
      },
    });
  });
});

describe('batch writer', () => {
  it('consumes batches of 5 with ReportBatchItemFailures and a bounded concurrency', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      BatchSize: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 10 },
    });
  });

  it('may only put objects under results/ and failed/, consume its queue, send to its dead-letter queue and update the ledger', () => {
    const roleId = roleOf(stack.batchWriter.batchFunction);
    expect(actionsOf(roleId)).toEqual(
      [
        'dynamodb:BatchGetItem',
        'dynamodb:UpdateItem',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        's3:PutObject',
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:ReceiveMessage',
        'sqs:SendMessage',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ].sort(),
    );
    const sendStatement = statementsOf(roleId).find((statement) => statement.Action === 'sqs:SendMessage');
    expect(sendStatement?.Resource).toEqual({ 'Fn::GetAtt': [deadLetterQueueId, 'Arn'] });
    const s3Statement = statementsOf(roleId).find((statement) => statement.Action === 's3:PutObject');
    expect(s3Statement?.Resource).toEqual(
      ['results/*', 'failed/*'].map((prefix) => ({
        'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, `/${prefix}`]],
      })),
    );
  });

  it('passes the storage rule to the function through its environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          BUCKET_NAME: { Ref: bucketId },
          BATCH_SIZE: '5',
          EXCLUSION_PAIRS: '1:2',
          WRITE_ATTEMPTS: '3',
          DEAD_LETTER_QUEUE_URL: { Ref: deadLetterQueueId },
          FAULT_RATE: '0',
        }),
      },
    });
  });
});

describe('analysis consumer', () => {
  const [consumer] = stack.analyses;
  if (!consumer) throw new Error('the default configuration registers one analysis');
  const analysisDeadLetterId = ref(consumer.queues.deadLetterQueue);

  it('may send only to its own dead-letter queue, where it moves what failed every attempt', () => {
    const roleId = roleOf(consumer.consumerFunction);
    const sends = statementsOf(roleId).filter((statement) =>
      [statement.Action].flat().includes('sqs:SendMessage'),
    );
    expect(sends.map((statement) => statement.Resource)).toEqual([
      { 'Fn::GetAtt': [analysisDeadLetterId, 'Arn'] },
    ]);
  });

  it('gets its attempts and its dead-letter queue through its environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          ANALYSIS: Match.stringLikeRegexp('"name":"items-60s"'),
          WRITE_ATTEMPTS: '3',
          DEAD_LETTER_QUEUE_URL: { Ref: analysisDeadLetterId },
        }),
      },
    });
  });
});

describe('ingest', () => {
  it('may only publish to the dispatcher and write to the ledger (and write its own logs and traces)', () => {
    const roleId = roleOf(stack.ingestApi.ingestFunction);
    expect(actionsOf(roleId)).toEqual(
      [
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:UpdateItem',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sns:Publish',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ].sort(),
    );
    const snsStatement = statementsOf(roleId).find((statement) => statement.Action.includes('sns:Publish'));
    expect(snsStatement?.Resource).toEqual({ Ref: topicId });
  });

  it('makes no API Gateway account setting or logging role of its own: the account stack does, once', () => {
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
    template.resourceCountIs('Custom::ApiGatewayCloudWatchRole', 0);
    expect(JSON.stringify(template.findResources('AWS::IAM::Role'))).not.toContain(
      'apigateway.amazonaws.com',
    );
    expect(stack.dependencies.map((dependency) => dependency.stackName)).toEqual([
      API_GATEWAY_ACCOUNT_STACK_NAME,
    ]);
  });

  it('leaves the account setting out of the app when the account has one (apiGatewayCloudWatchRole false)', () => {
    const { app, stack: withoutRole } = synthPipeline({ apiGatewayCloudWatchRole: false });
    expect(app.node.tryFindChild(API_GATEWAY_ACCOUNT_STACK_NAME)).toBeUndefined();
    expect(withoutRole.dependencies).toEqual([]);
    Template.fromStack(withoutRole).hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
  });
});

describe('functions', () => {
  it('run Node.js 24 on arm64 with tracing, source maps and a log group with retention', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    // ingest, batch writer, status, the analysis's consumer, the window closer, the analyses API
    expect(Object.keys(functions)).toHaveLength(6);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps' } },
        LoggingConfig: { LogGroup: expect.anything() },
      });
    }
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('give their roles no AWS managed policies', () => {
    for (const fn of [
      stack.ingestApi.ingestFunction,
      stack.batchWriter.batchFunction,
      stack.requestStatus.statusFunction,
      stack.windowCloser.closerFunction,
      stack.analysesApi.analysesFunction,
      ...stack.analyses.map((analysis) => analysis.consumerFunction),
    ]) {
      const role = template.toJSON().Resources[roleOf(fn)];
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('storage', () => {
  it('blocks public access, encrypts, and denies non-TLS requests', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('keeps the bucket when the stack is deleted', () => {
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });
});

describe('alarms', () => {
  it("watches the dead-letter queue, the dispatcher's undelivered queue, the age of the oldest message and every function", () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [undeliveredId, 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [deadLetterQueueId, 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 300,
    });
    expect(
      Object.keys(template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'Errors' } })),
    ).toHaveLength(6);
  });

  it.each(['ingest', 'batch-writer', 'status'])('alarms when the ledger fails a call in %s', (service) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'FifoBatchPipeline/FifoBatchPipeline',
      MetricName: 'LedgerErrors',
      Dimensions: [{ Name: 'service', Value: service }],
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('notifies a topic only when one is configured', () => {
    const topicArn = 'arn:aws:sns:us-east-1:123456789012:pipeline-alarms';
    const withTopic = synthPipeline({ alarmTopicArn: topicArn }).template;
    withTopic.allResourcesProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [topicArn],
      OKActions: [topicArn],
    });
    template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: Match.absent() });
  });
});

describe('dashboard', () => {
  /** The dashboard body as CloudFormation will resolve it, with references kept as their logical ids. */
  const body = (): string => {
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const parts = dashboard?.Properties.DashboardBody['Fn::Join'][1] as unknown[];
    return parts.map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join('');
  };

  it('is one dashboard named after the stack and its Region (names are global per account), and an output names it', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: { 'Fn::Join': ['', ['FifoBatchPipeline-', { Ref: 'AWS::Region' }, '-pipeline']] },
    });
    template.hasOutput('DashboardName', {});
  });

  it.each([
    {
      name: 'items accepted by ingest',
      metric: '"FifoBatchPipeline/FifoBatchPipeline","ItemsAccepted","service","ingest"',
    },
    {
      name: 'items stored by the batch writer',
      metric: '"FifoBatchPipeline/FifoBatchPipeline","ItemsStored","service","batch-writer"',
    },
    {
      name: 'exclusion splits',
      metric: '"FifoBatchPipeline/FifoBatchPipeline","ExclusionSplits","service","batch-writer"',
    },
    {
      name: 'failed items',
      metric: '"FifoBatchPipeline/FifoBatchPipeline","ItemsFailed","service","batch-writer"',
    },
    { name: 'items enqueued out of order', metric: '"ItemsEnqueuedOutOfOrder","service","ingest"' },
    { name: 'API requests', metric: '"AWS/ApiGateway","Count"' },
    { name: 'queue depth', metric: '"AWS/SQS","ApproximateNumberOfMessagesVisible"' },
    { name: 'messages in flight', metric: '"AWS/SQS","ApproximateNumberOfMessagesNotVisible"' },
    { name: 'age of the oldest message', metric: '"AWS/SQS","ApproximateAgeOfOldestMessage"' },
    { name: 'function errors', metric: '"AWS/Lambda","Errors"' },
    {
      name: 'ledger errors of ingest',
      metric: '"FifoBatchPipeline/FifoBatchPipeline","LedgerErrors","service","ingest"',
    },
    { name: 'ledger errors of the batch writer', metric: '"LedgerErrors","service","batch-writer"' },
    { name: 'ledger errors of status', metric: '"LedgerErrors","service","status"' },
    { name: 'redeliveries already stored', metric: '"ItemsAlreadyStored","service","batch-writer"' },
  ])('graphs $name', ({ metric }) => {
    expect(body()).toContain(metric);
  });

  it('graphs both queues and both functions, and shows every alarm', () => {
    const text = body();
    for (const queue of [queueId, deadLetterQueueId]) expect(text).toContain(queue);
    for (const fn of [stack.ingestApi.ingestFunction, stack.batchWriter.batchFunction]) {
      expect(text).toContain(ref(fn));
    }
    const alarms = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));
    // 10 of the storage path (API 5xx included), errors of the closer, the analyses API and the analysis, its DLQ and age
    expect(alarms).toHaveLength(15);
    for (const alarm of alarms) expect(text).toContain(alarm);
  });
});

describe('configuration', () => {
  it('carries settings from the pipeline context into the resources', () => {
    const { template: custom } = synthPipeline({
      batchSize: 3,
      maxReceiveCount: 5,
      maxConcurrency: 7,
      batchFunctionTimeoutSeconds: 5,
      exclusionPairs: [
        [1, 2],
        [3, 4],
      ],
      ordering: 'global',
      retentionDays: 30,
    });
    custom.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 3,
      ScalingConfig: { MaximumConcurrency: 7 },
    });
    custom.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 30,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }),
    });
    custom.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ EXCLUSION_PAIRS: '1:2,3:4', BATCH_SIZE: '3' }) },
    });
    custom.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ORDERING: 'global' }) },
    });
    custom.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({ Prefix: 'results/', ExpirationInDays: 30 }),
          Match.objectLike({ Prefix: 'failed/', ExpirationInDays: 30 }),
        ],
      },
    });
  });

  it.each([
    [{ batchSize: 11 }, 'pipeline.batchSize'],
    [{ maxReceiveCount: 0 }, 'pipeline.maxReceiveCount'],
    [{ batchFunctionTimeoutSeconds: 60, visibilityTimeoutSeconds: 100 }, 'pipeline.visibilityTimeoutSeconds'],
  ])('fails synthesis on %o, naming %s', (pipeline, settingName) => {
    expect(() => synthPipeline(pipeline)).toThrow(settingName);
  });
});
