import { APIGatewayClient, GetAccountCommand, GetRestApisCommand } from '@aws-sdk/client-api-gateway';
import {
  CloudFormationClient,
  DescribeStacksCommand,
  ListStackResourcesCommand,
} from '@aws-sdk/client-cloudformation';
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetDashboardCommand,
  GetMetricStatisticsCommand,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { deployToEmulator } from '../../cdk/local/deploy';
import { clientConfig, type Deployment } from '../../cdk/ops/deployment';
import { functionLogMessages } from '../../cdk/ops/function-logs';
import { postItems } from '../../cdk/ops/pipeline-client';
import { getRequestStatus } from '../../cdk/ops/status-client';
import { API_GATEWAY_ACCOUNT_STACK_NAME, LOCAL_DIR } from '../../cdk/project';
import { deployment, pollUntil } from './support';

/**
 * Two deployments of the app on one local cloud, as prod and staging share an account and Region:
 * the tests' stack and a second one deployed here beside it.
 */
const OTHER_STACK = 'FifoBatchPipelineE2eOther';
const target = clientConfig(deployment);
const cloudFormation = new CloudFormationClient(target);
const cloudWatch = new CloudWatchClient(target);
const lambda = new LambdaClient(target);
const apiGateway = new APIGatewayClient(target);

let other: Deployment;
let roleBefore: string | undefined;

const accountRole = async () => (await apiGateway.send(new GetAccountCommand({}))).cloudwatchRoleArn;

/** A stack's alarms as CloudWatch holds them, found through the stack's own resources. */
async function alarmsOf(stackName: string): Promise<MetricAlarm[]> {
  const names: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await cloudFormation.send(
      new ListStackResourcesCommand({ StackName: stackName, NextToken }),
    );
    for (const resource of page.StackResourceSummaries ?? []) {
      if (resource.ResourceType === 'AWS::CloudWatch::Alarm' && resource.PhysicalResourceId)
        names.push(resource.PhysicalResourceId);
    }
    NextToken = page.NextToken;
  } while (NextToken);
  const { MetricAlarms = [] } = await cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: names }));
  expect(MetricAlarms).toHaveLength(names.length);
  return MetricAlarms;
}

/** The largest value an alarm's own metric (namespace, name, dimensions, statistic) took since `since`. */
async function alarmMetricPeak(alarm: MetricAlarm, since: Date): Promise<number> {
  const { Datapoints = [] } = await cloudWatch.send(
    new GetMetricStatisticsCommand({
      Namespace: alarm.Namespace,
      MetricName: alarm.MetricName,
      Dimensions: alarm.Dimensions,
      StartTime: since,
      EndTime: new Date(Date.now() + 60_000),
      Period: alarm.Period,
      Statistics: [alarm.Statistic ?? 'Sum'],
    }),
  );
  const statistic = alarm.Statistic ?? 'Sum';
  return Math.max(0, ...Datapoints.map((point) => point[statistic] ?? 0));
}

const metricOf = ({ Namespace, MetricName, Dimensions = [] }: MetricAlarm) =>
  JSON.stringify([Namespace, MetricName, Dimensions.map(({ Name, Value }) => `${Name}=${Value}`).sort()]);

beforeAll(async () => {
  roleBefore = await accountRole();
  other = await deployToEmulator({
    endpoint: deployment.endpoint ?? '',
    stackName: OTHER_STACK,
    log: (message) => console.error(`[many-stacks] ${message}`),
    cliLogFile: `${LOCAL_DIR}/e2e-${OTHER_STACK}-cdk.log`,
  });
});

describe('two deployments in one account and Region', () => {
  it('share one API Gateway logging role, set once by the account stack and left as it was by the second deploy', async () => {
    // Act
    const roleAfter = await accountRole();
    const { Stacks: [account] = [] } = await cloudFormation.send(
      new DescribeStacksCommand({ StackName: API_GATEWAY_ACCOUNT_STACK_NAME }),
    );

    // Assert
    const output = account?.Outputs?.find(({ OutputKey }) => OutputKey === 'CloudWatchRoleArn')?.OutputValue;
    expect(roleBefore).toMatch(/^arn:aws:iam::\d{12}:role\//);
    expect(roleAfter).toBe(roleBefore);
    expect(output).toBe(roleBefore);
  });

  it('name their APIs and dashboards after themselves (and the Region)', async () => {
    // Act
    const { items = [] } = await apiGateway.send(new GetRestApisCommand({}));
    // One GetDashboard each: MiniStack's ListDashboards sends times the SDK cannot read.
    const dashboards = await Promise.all(
      [deployment.stackName, OTHER_STACK].map(
        async (stack) =>
          (await cloudWatch.send(new GetDashboardCommand({ DashboardName: `${stack}-us-east-1-pipeline` })))
            .DashboardName,
      ),
    );

    // Assert
    const nameOf = (apiId: string) => items.find(({ id }) => id === apiId)?.name;
    expect(nameOf(deployment.apiId)).toBe(`${deployment.stackName}-api`);
    expect(nameOf(other.apiId)).toBe(`${OTHER_STACK}-api`);
    expect(dashboards).toEqual([
      `${deployment.stackName}-us-east-1-pipeline`,
      `${OTHER_STACK}-us-east-1-pipeline`,
    ]);
  });

  it("publish their functions' metrics apart, so no alarm of one reads a metric of the other", async () => {
    // Prepare: an item through the other stack, so its batch writer publishes its metrics.
    const since = Date.now();
    const response = await postItems(other, '[5]');
    const { requestId } = response.json as { requestId: string };
    await pollUntil('the other stack to store its item', async () =>
      (await getRequestStatus(other, requestId)).status === 'stored' ? true : undefined,
    );

    // Act
    const metricLines = await pollUntil('the batch writer to log its metrics', async () => {
      const lines: { Namespace: string }[] = [];
      for await (const message of functionLogMessages(other, other.batchFunctionName, since, '"_aws"')) {
        const start = message.indexOf('{');
        lines.push(...JSON.parse(message.slice(start))._aws.CloudWatchMetrics);
      }
      return lines.length > 0 ? lines : undefined;
    });
    const [ours, theirs] = await Promise.all([alarmsOf(deployment.stackName), alarmsOf(OTHER_STACK)]);

    // Assert: the embedded metrics carry the stack's namespace, which its ledger alarms read.
    expect(new Set(metricLines.map(({ Namespace }) => Namespace))).toEqual(
      new Set([`FifoBatchPipeline/${OTHER_STACK}`]),
    );
    expect(
      theirs.filter(({ MetricName }) => MetricName === 'LedgerErrors').map(({ Namespace }) => Namespace),
    ).toEqual(Array(3).fill(`FifoBatchPipeline/${OTHER_STACK}`));
    const theirMetrics = new Set(theirs.map(metricOf));
    expect(ours.filter((alarm) => theirMetrics.has(metricOf(alarm)))).toEqual([]);
  });

  it("never moves the other stack's alarms with one stack's errors", async () => {
    // Prepare
    const since = new Date(Date.now() - 60_000);
    const [ours, theirs] = await Promise.all([alarmsOf(deployment.stackName), alarmsOf(OTHER_STACK)]);
    const theirErrors = theirs.find(
      ({ MetricName, Dimensions }) =>
        MetricName === 'Errors' && Dimensions?.some(({ Value }) => Value === other.batchFunctionName),
    );
    const oursBefore = await Promise.all(ours.map((alarm) => alarmMetricPeak(alarm, since)));

    // Act: three failed invocations of the other stack's batch writer (an event with no records).
    for (let run = 0; run < 3; run += 1) {
      const answer = await lambda.send(
        new InvokeCommand({ FunctionName: other.batchFunctionName, Payload: Buffer.from('{}') }),
      );
      expect(answer.FunctionError).toBeDefined();
    }

    // Assert: the metric their errors alarm reads shows them, and every metric our alarms read is
    // as it was. (MiniStack stores AWS/Lambda metrics per function but evaluates alarms only on
    // PutMetricData, ignoring dimensions: its alarm states prove nothing, so the test reads the
    // metric data each alarm reads, as CloudWatch evaluates it.)
    expect(theirErrors).toBeDefined();
    const theirPeak = await pollUntil('the errors to reach CloudWatch', async () => {
      const peak = await alarmMetricPeak(theirErrors as MetricAlarm, since);
      return peak > (theirErrors?.Threshold ?? 0) ? peak : undefined;
    });
    expect(theirPeak).toBeGreaterThanOrEqual(1);
    const oursAfter = await Promise.all(ours.map((alarm) => alarmMetricPeak(alarm, since)));
    expect(oursAfter).toEqual(oursBefore);
  });
});
