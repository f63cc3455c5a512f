/**
 * What a local AWS API still holds, service by service, through the AWS SDK: `destroy:local`
 * reports it, and the deploy suite asserts it is empty after destroy.
 */
import { APIGatewayClient, GetRestApisCommand } from '@aws-sdk/client-api-gateway';
import { CloudWatchClient, DescribeAlarmsCommand, ListDashboardsCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { FirehoseClient, ListDeliveryStreamsCommand } from '@aws-sdk/client-firehose';
import { IAMClient, ListPoliciesCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import { LambdaClient, ListEventSourceMappingsCommand, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { ListSubscriptionsCommand, ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';

export interface LocalResources {
  readonly queues: string[];
  readonly functions: string[];
  readonly eventSourceMappings: string[];
  readonly alarms: string[];
  readonly dashboards: string[];
  readonly topics: string[];
  readonly subscriptions: string[];
  readonly restApis: string[];
  readonly tables: string[];
  readonly roles: string[];
  readonly logGroups: string[];
  /** The event archive's bucket, its Firehose streams and the operator policy (Glue and Athena are not listed). */
  readonly buckets: string[];
  readonly deliveryStreams: string[];
  readonly policies: string[];
}

export function localClientConfig(endpoint: string, region = 'us-east-1') {
  return { endpoint, region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
}

/** Lists (first page of each, enough for one stack) what the endpoint holds. */
export async function listLocalResources(endpoint: string, region = 'us-east-1'): Promise<LocalResources> {
  const config = localClientConfig(endpoint, region);
  const sqs = new SQSClient(config);
  const lambda = new LambdaClient(config);
  const cloudwatch = new CloudWatchClient(config);
  const sns = new SNSClient(config);
  const apigateway = new APIGatewayClient(config);
  const dynamodb = new DynamoDBClient(config);
  const iam = new IAMClient(config);
  const logs = new CloudWatchLogsClient(config);
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  const firehose = new FirehoseClient(config);
  try {
    const [queues, functions, mappings, alarms, dashboards, topics, subscriptions, apis, tables, roles, logGroups, buckets, streams, policies] =
      await Promise.all([
      sqs.send(new ListQueuesCommand({})),
      lambda.send(new ListFunctionsCommand({})),
      lambda.send(new ListEventSourceMappingsCommand({})),
      cloudwatch.send(new DescribeAlarmsCommand({ MaxRecords: 100 })),
      cloudwatch.send(new ListDashboardsCommand({})),
      sns.send(new ListTopicsCommand({})),
      sns.send(new ListSubscriptionsCommand({})),
      apigateway.send(new GetRestApisCommand({ limit: 500 })),
      dynamodb.send(new ListTablesCommand({})),
      iam.send(new ListRolesCommand({ MaxItems: 1000 })),
      logs.send(new DescribeLogGroupsCommand({})),
      s3.send(new ListBucketsCommand({})),
      firehose.send(new ListDeliveryStreamsCommand({})),
      iam.send(new ListPoliciesCommand({ Scope: 'Local', MaxItems: 1000 })),
    ]);
    return {
      queues: queues.QueueUrls ?? [],
      functions: (functions.Functions ?? []).map((f) => f.FunctionName!),
      eventSourceMappings: (mappings.EventSourceMappings ?? []).map((m) => m.UUID!),
      alarms: [...(alarms.MetricAlarms ?? []), ...(alarms.CompositeAlarms ?? [])].map((a) => a.AlarmName!),
      dashboards: (dashboards.DashboardEntries ?? []).map((d) => d.DashboardName!),
      topics: (topics.Topics ?? []).map((t) => t.TopicArn!),
      subscriptions: (subscriptions.Subscriptions ?? []).map((s) => s.SubscriptionArn!),
      restApis: (apis.items ?? []).map((a) => a.name!),
      tables: tables.TableNames ?? [],
      roles: (roles.Roles ?? []).map((r) => r.RoleName!),
      logGroups: (logGroups.logGroups ?? []).map((g) => g.logGroupName!),
      buckets: (buckets.Buckets ?? []).map((b) => b.Name!),
      deliveryStreams: streams.DeliveryStreamNames ?? [],
      policies: (policies.Policies ?? []).map((p) => p.PolicyName!),
    };
  } finally {
    for (const client of [sqs, lambda, cloudwatch, sns, apigateway, dynamodb, iam, logs, s3, firehose]) client.destroy();
  }
}

/** Only the kinds that still hold something. */
export function nonEmpty(resources: LocalResources): Partial<LocalResources> {
  return Object.fromEntries(Object.entries(resources).filter(([, names]) => (names as string[]).length > 0));
}
