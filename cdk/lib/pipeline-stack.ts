import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { ITEMS_PATH } from '../../lambdas/domain/api-paths';
import { SERVICES } from '../../lambdas/shared/metric-names';
import type { PipelineConfig } from './config';
import { AnalysesApi } from './constructs/analyses-api';
import { AnalysisConsumer } from './constructs/analysis-consumer';
import { BatchWriter } from './constructs/batch-writer';
import { Dispatcher } from './constructs/dispatcher';
import { HttpPipelineApi } from './constructs/http-pipeline-api';
import { IngestApi } from './constructs/ingest-api';
import { ItemQueues } from './constructs/item-queues';
import { PipelineAlarms } from './constructs/pipeline-alarms';
import type { PipelineApi } from './constructs/pipeline-api';
import { PipelineDashboard } from './constructs/pipeline-dashboard';
import { RequestLedger } from './constructs/request-ledger';
import { RequestStatusApi } from './constructs/request-status-api';
import { RestPipelineApi } from './constructs/rest-pipeline-api';
import { Storage } from './constructs/storage';
import { WindowCloser } from './constructs/window-closer';
import { WindowsTable } from './constructs/windows-table';

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
  /** The front door: a REST or HTTP API (`apiType`), every route behind the same authentication (`auth`). */
  public readonly api: PipelineApi;
  public readonly ingestApi: IngestApi;
  public readonly requestStatus: RequestStatusApi;
  public readonly batchWriter: BatchWriter;
  public readonly windowsTable: WindowsTable;
  public readonly analyses: AnalysisConsumer[];
  public readonly windowCloser: WindowCloser;
  public readonly analysesApi: AnalysesApi;
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
    const apiProps = {
      auth: config.auth,
      apiKeyRequired: config.apiKeyRequired,
      throttleRateLimit: config.throttleRateLimit,
      throttleBurstLimit: config.throttleBurstLimit,
      logRetention: config.logRetentionDays,
    };
    this.api =
      config.apiType === 'http'
        ? new HttpPipelineApi(this, 'Api', apiProps)
        : new RestPipelineApi(this, 'Api', { ...apiProps, dailyQuota: config.dailyQuota });
    this.ingestApi = new IngestApi(this, 'IngestApi', {
      api: this.api,
      topic: this.dispatcher.topic,
      ledger: this.requestLedger,
      ordering: config.ordering,
      maxItemsPerRequest: config.maxItemsPerRequest,
      maxBodyBytes: config.maxBodyBytes,
      logRetention: config.logRetentionDays,
    });
    this.requestStatus = new RequestStatusApi(this, 'RequestStatus', {
      api: this.api,
      ledger: this.requestLedger,
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
      deadLetterQueue: this.queues.deadLetterQueue,
      writeAttempts: config.writeAttempts,
      faultRate: config.faultRate,
      faultItems: config.faultItems,
      crashRate: config.crashRate,
      logRetention: config.logRetentionDays,
    });
    const analysisFunctionTimeout = Duration.seconds(config.analysisFunctionTimeoutSeconds);
    this.windowsTable = new WindowsTable(this, 'Windows', { retentionDays: config.windowRetentionDays });
    this.analyses = config.analyses.map(
      (analysis) =>
        new AnalysisConsumer(this, `Analysis-${analysis.name}`, {
          analysis,
          dispatcher: this.dispatcher,
          windows: this.windowsTable,
          timeout: analysisFunctionTimeout,
          maxConcurrency: config.analysisMaxConcurrency,
          writeAttempts: config.writeAttempts,
          maxReceiveCount: config.maxReceiveCount,
          deadLetterRetention: Duration.days(config.deadLetterRetentionDays),
          faults: {
            faultRate: config.analysisFaultRate,
            faultItems: config.analysisFaultItems,
            crashRate: config.analysisCrashRate,
          },
          logRetention: config.logRetentionDays,
        }),
    );
    this.windowCloser = new WindowCloser(this, 'WindowCloser', {
      analyses: config.analyses,
      windows: this.windowsTable,
      bucket: this.storage.bucket,
      analysisFunctionTimeout,
      logRetention: config.logRetentionDays,
    });
    this.analysesApi = new AnalysesApi(this, 'AnalysesApi', {
      api: this.api,
      analyses: config.analyses,
      windows: this.windowsTable,
      analysisFunctionTimeout,
      logRetention: config.logRetentionDays,
    });
    const analysisQueues = this.analyses.map(({ analysis, queues }) => ({
      name: analysis.name,
      queue: queues.queue,
      deadLetterQueue: queues.deadLetterQueue,
    }));

    this.alarms = new PipelineAlarms(this, 'Alarms', {
      queue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
      undelivered: this.dispatcher.undelivered,
      api: this.api.metrics,
      functions: {
        Ingest: this.ingestApi.ingestFunction,
        BatchWriter: this.batchWriter.batchFunction,
        Status: this.requestStatus.statusFunction,
        WindowCloser: this.windowCloser.closerFunction,
        AnalysesApi: this.analysesApi.analysesFunction,
        ...Object.fromEntries(
          this.analyses.map(({ analysis, consumerFunction }) => [
            `Analysis-${analysis.name}`,
            consumerFunction,
          ]),
        ),
      },
      analyses: analysisQueues,
      oldestMessageAge: Duration.seconds(config.oldestMessageAlarmSeconds),
      ledgerServices: [SERVICES.ingest, SERVICES.batchWriter, SERVICES.status],
      topic: config.alarmTopicArn ? Topic.fromTopicArn(this, 'AlarmTopic', config.alarmTopicArn) : undefined,
    });

    this.dashboard = new PipelineDashboard(this, 'Dashboard', {
      api: this.api.metrics,
      queue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
      ingestFunction: this.ingestApi.ingestFunction,
      batchFunction: this.batchWriter.batchFunction,
      analyses: this.analyses.map(({ analysis, queues, consumerFunction }) => ({
        name: analysis.name,
        queue: queues.queue,
        deadLetterQueue: queues.deadLetterQueue,
        consumerFunction,
      })),
      alarms: this.alarms.all,
    });

    // Read by the local tools (.local/outputs.json) and by anyone scripting against a deployment.
    const { apiKey, producerPolicy } = this.api;
    const outputs: Record<string, string> = {
      ApiUrl: this.api.urlForPath(ITEMS_PATH),
      ApiId: this.api.apiId,
      StageName: this.api.stageName,
      Auth: this.api.auth,
      ApiType: this.api.apiType,
      // Only what exists: a key with auth apiKey on a REST API, the producers' policy with auth iam.
      ...(apiKey ? { ApiKeyId: apiKey.keyId } : {}),
      ...(producerPolicy ? { ProducerPolicyArn: producerPolicy.managedPolicyArn } : {}),
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
      WindowsTableName: this.windowsTable.table.tableName,
      WindowCloserFunctionName: this.windowCloser.closerFunction.functionName,
      AnalysesFunctionName: this.analysesApi.analysesFunction.functionName,
      // One JSON output for every analysis: output names cannot hold an analysis's "-".
      Analyses: this.toJsonString(
        this.analyses.map(({ analysis, queues, consumerFunction }) => ({
          ...analysis,
          queueUrl: queues.queue.queueUrl,
          deadLetterQueueUrl: queues.deadLetterQueue.queueUrl,
          functionName: consumerFunction.functionName,
        })),
      ),
    };
    for (const [name, value] of Object.entries(outputs)) new CfnOutput(this, name, { value });
  }
}
