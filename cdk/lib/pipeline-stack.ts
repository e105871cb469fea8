import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { SERVICES } from '../../lambdas/shared/metric-names';
import type { PipelineConfig } from './config';
import { BatchWriter } from './constructs/batch-writer';
import { Dispatcher } from './constructs/dispatcher';
import { IngestApi } from './constructs/ingest-api';
import { ItemQueues } from './constructs/item-queues';
import { PipelineAlarms } from './constructs/pipeline-alarms';
import { PipelineDashboard } from './constructs/pipeline-dashboard';
import { RequestLedger } from './constructs/request-ledger';
import { RequestStatusApi } from './constructs/request-status-api';
import { Storage } from './constructs/storage';

export interface PipelineStackProps extends StackProps {
  readonly config: PipelineConfig;
}

/**
 * client -> API Gateway -> ingest -> SNS FIFO dispatcher -> SQS FIFO -> batch writer -> S3
 * (docs/CONTRACT.md, What it is), and
 * the request ledger both write to, which GET /requests/{requestId} reads.
 */
export class PipelineStack extends Stack {
  public readonly storage: Storage;
  public readonly queues: ItemQueues;
  public readonly dispatcher: Dispatcher;
  public readonly requestLedger: RequestLedger;
  public readonly ingestApi: IngestApi;
  public readonly requestStatus: RequestStatusApi;
  public readonly batchWriter: BatchWriter;
  public readonly alarms: PipelineAlarms;
  public readonly dashboard: PipelineDashboard;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.storage = new Storage(this, 'Storage', { retentionDays: config.retentionDays });
    this.queues = new ItemQueues(this, 'Queues', {
      visibilityTimeout: Duration.seconds(config.visibilityTimeoutSeconds),
      maxReceiveCount: config.maxReceiveCount,
      deadLetterRetention: Duration.days(config.deadLetterRetentionDays),
    });
    this.dispatcher = new Dispatcher(this, 'Dispatcher');
    this.dispatcher.subscribe(this.queues.queue);
    this.requestLedger = new RequestLedger(this, 'RequestLedger', {
      retentionDays: config.ledgerRetentionDays,
      idempotencyWindowHours: config.idempotencyWindowHours,
    });
    this.ingestApi = new IngestApi(this, 'IngestApi', {
      topic: this.dispatcher.topic,
      ledger: this.requestLedger,
      ordering: config.ordering,
      maxItemsPerRequest: config.maxItemsPerRequest,
      maxBodyBytes: config.maxBodyBytes,
      apiKeyRequired: config.apiKeyRequired,
      cloudWatchRole: config.apiGatewayCloudWatchRole,
      throttleRateLimit: config.throttleRateLimit,
      throttleBurstLimit: config.throttleBurstLimit,
      dailyQuota: config.dailyQuota,
      logRetention: config.logRetentionDays,
    });
    this.requestStatus = new RequestStatusApi(this, 'RequestStatus', {
      api: this.ingestApi.api,
      ledger: this.requestLedger,
      apiKeyRequired: config.apiKeyRequired,
      // Every item is stored or dead-lettered within its receives, each a visibility timeout apart.
      staleAfter: Duration.seconds((config.maxReceiveCount + 1) * config.visibilityTimeoutSeconds),
      logRetention: config.logRetentionDays,
    });
    this.batchWriter = new BatchWriter(this, 'BatchWriter', {
      queue: this.queues.queue,
      bucket: this.storage.bucket,
      ledger: this.requestLedger,
      batchSize: config.batchSize,
      maxConcurrency: config.maxConcurrency,
      timeout: Duration.seconds(config.batchFunctionTimeoutSeconds),
      exclusionPairs: config.exclusionPairs,
      maxReceiveCount: config.maxReceiveCount,
      faultRate: config.faultRate,
      faultItems: config.faultItems,
      crashRate: config.crashRate,
      logRetention: config.logRetentionDays,
    });
    this.alarms = new PipelineAlarms(this, 'Alarms', {
      queue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
      undelivered: this.dispatcher.undelivered,
      functions: {
        Ingest: this.ingestApi.ingestFunction,
        BatchWriter: this.batchWriter.batchFunction,
        Status: this.requestStatus.statusFunction,
      },
      oldestMessageAge: Duration.seconds(config.oldestMessageAlarmSeconds),
      ledgerServices: [SERVICES.ingest, SERVICES.batchWriter, SERVICES.status],
      topic: config.alarmTopicArn ? Topic.fromTopicArn(this, 'AlarmTopic', config.alarmTopicArn) : undefined,
    });

    this.dashboard = new PipelineDashboard(this, 'Dashboard', {
      api: this.ingestApi.api,
      queue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
      ingestFunction: this.ingestApi.ingestFunction,
      batchFunction: this.batchWriter.batchFunction,
      alarms: this.alarms.all,
    });

    // Read by the local tools (.local/outputs.json) and by anyone scripting against a deployment.
    const outputs: Record<string, string> = {
      ApiUrl: this.ingestApi.itemsUrl,
      ApiId: this.ingestApi.api.restApiId,
      StageName: this.ingestApi.api.deploymentStage.stageName,
      ApiKeyId: this.ingestApi.apiKey.keyId,
      BucketName: this.storage.bucket.bucketName,
      TopicArn: this.dispatcher.topic.topicArn,
      QueueUrl: this.queues.queue.queueUrl,
      DeadLetterQueueUrl: this.queues.deadLetterQueue.queueUrl,
      UndeliveredQueueUrl: this.dispatcher.undelivered.queueUrl,
      IngestFunctionName: this.ingestApi.ingestFunction.functionName,
      BatchFunctionName: this.batchWriter.batchFunction.functionName,
      StatusFunctionName: this.requestStatus.statusFunction.functionName,
      LedgerTableName: this.requestLedger.table.tableName,
      DashboardName: this.dashboard.dashboard.dashboardName,
    };
    for (const [name, value] of Object.entries(outputs)) new CfnOutput(this, name, { value });
  }
}
