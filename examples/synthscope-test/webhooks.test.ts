/**
 * How a team tests its use of the pipeline: synthesize just the construct with
 * `Testing.synthScope`, assert with the CDKTF matchers, and snapshot what should not drift.
 */
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { Testing } from 'cdktf';
import { WebhookPipeline } from 'webhook-pipeline';

const synthesized = Testing.synthScope((scope) => {
  new WebhookPipeline(scope, 'webhooks', {
    environmentSuffix: 'staging',
    webhookSources: { shop: { scheme: 'shopify' } },
    dispatcher: { memorySize: 512, batchSize: 5 },
    alarmThresholds: { queueDepth: 500 },
  });
});
const json = JSON.parse(synthesized);

describe('our webhook pipeline', () => {
  test('runs the dispatcher with our sizing', () => {
    expect(synthesized).toHaveResourceWithProperties(LambdaFunction, { function_name: 'webhook-dispatcher-staging', memory_size: 512 });
    expect(synthesized).toHaveResourceWithProperties(LambdaEventSourceMapping, {
      batch_size: 5,
      function_response_types: ['ReportBatchItemFailures'],
    });
  });

  test('accepts only our Shopify source', () => {
    const validator = Object.values<any>(json.resource.aws_lambda_function).find((fn) => fn.function_name === 'webhook-validator-staging');
    expect(JSON.parse(validator.environment.variables.WEBHOOK_SOURCES)).toEqual({
      shop: { scheme: 'shopify', toleranceSeconds: null, secretParameter: null },
    });
  });

  test('pages us only when a backlog is really large', () => {
    expect(synthesized).toHaveResourceWithProperties(CloudwatchMetricAlarm, { alarm_name: 'webhook-ingest-depth-staging', threshold: 500 });
  });

  test('keeps every queue encrypted', () => {
    expect(synthesized).toHaveResourceWithProperties(SqsQueue, { name: 'webhook-ingest-dlq-staging', sqs_managed_sse_enabled: true });
  });

  test('builds the same kinds and numbers of resources as last time', () => {
    const counts = Object.fromEntries(Object.entries<object>(json.resource).map(([type, byId]) => [type, Object.keys(byId).length]));
    expect(counts).toMatchSnapshot();
  });
});
