/**
 * `WebhookPipeline` in a user's stack: a provider and the construct, nothing else. Plain props
 * synthesize plain values (no Terraform variable is referenced), tokens stay plan-time decisions,
 * handles expose what it built, and bad props fail naming the prop before anything is built.
 */
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { AnnotationMetadataEntryType, TerraformVariable, Testing } from 'cdktf';
import { PolicyCheck } from '../../src/policy/policy-check';
import { bundleHandler } from '../../src/bundling/bundle-handler';
import { FUNCTION_NAMES } from '../../src/contract';
import { WebhookPipeline, WebhookPipelineProps } from '../../src/webhook-pipeline';
import { bareStack, resourcesOfType } from '../support/construct';

const bundle = (name: string) => bundleHandler(name);
const build = (props: WebhookPipelineProps = {}) => {
  const stack = bareStack();
  const pipeline = new WebhookPipeline(stack, 'hooks', { bundle, ...props });
  return { stack, pipeline, json: JSON.parse(Testing.synth(stack)) };
};
const byName = (json: any, type: string, name: string) =>
  resourcesOfType(json, type).find((r) => r.name === name || r.function_name === name || r.alarm_name === name);

describe('WebhookPipeline with no props', () => {
  const { json, pipeline } = build();

  test("builds today's default pipeline: 108 resources (no e-mail subscription; 20 of them the event archive, 2 its alarms) and 9 delivery-lane blocks with no lane yet, names ending in -dev", () => {
    const blocks = Object.values<Record<string, any>>(json.resource).flatMap((byId) => Object.values(byId));
    expect(blocks.filter((block) => block.for_each === undefined || !String(block.for_each).includes('delivery_lanes'))).toHaveLength(108);
    expect(blocks.filter((block) => String(block.for_each).includes('delivery_lanes'))).toHaveLength(9);
    expect(Object.values(json.locals).find((local) => typeof local === 'object')).toEqual({});
    expect(resourcesOfType(json, 'aws_cloudwatch_metric_alarm').filter((alarm) => alarm.for_each === undefined)).toHaveLength(26);
    expect(
      resourcesOfType(json, 'aws_sqs_queue')
        .filter((q) => q.for_each === undefined)
        .map((q) => q.name)
        .sort(),
    ).toEqual(['deliver', 'deliver-dlq', 'ingest', 'ingest-dlq', 'process', 'process-dlq'].map((n) => `webhook-${n}-dev`));
    expect(json.resource.aws_sns_topic_subscription).toBeUndefined();
  });

  test('names no Terraform variable, and declares none', () => {
    expect(json.variable).toBeUndefined();
    expect(JSON.stringify(json)).not.toMatch(/var\./);
  });

  test('computes what the stack leaves to plan time: visibility 6 × timeout, duration alarms, delivery timeout', () => {
    expect(byName(json, 'aws_sqs_queue', 'webhook-ingest-dev').visibility_timeout_seconds).toBe(60);
    expect(byName(json, 'aws_sqs_queue', 'webhook-deliver-dev').visibility_timeout_seconds).toBe(360);
    expect(byName(json, 'aws_cloudwatch_metric_alarm', 'webhook-processor-duration-dev').threshold).toBe(12000);
    expect(byName(json, 'aws_cloudwatch_metric_alarm', 'webhook-api-5xx-rate-dev').threshold).toBe(0.01);
    const dispatcher = byName(json, 'aws_lambda_function', 'webhook-dispatcher-dev');
    expect(dispatcher.environment.variables).toMatchObject({
      DELIVERY_TIMEOUT_MS: '10000',
      DELIVERY_DESTINATIONS: '{}',
      DELIVERY_RETRY_SCHEDULE: '[5,300,1800,7200,18000,36000,36000]',
      POWERTOOLS_TRACE_ENABLED: 'true',
    });
    const validator = byName(json, 'aws_lambda_function', 'webhook-validator-dev');
    const plainSource = (scheme: string) => ({ scheme, toleranceSeconds: null, secretParameter: null });
    expect(JSON.parse(validator.environment.variables.WEBHOOK_SOURCES)).toEqual({
      github: plainSource('github'),
      stripe: plainSource('stripe'),
      shopify: plainSource('shopify'),
      generic: plainSource('hmac-sha256'),
    });
    expect(validator.environment.variables.SOURCE_SECRETS_PATH).toBe('/webhook-pipeline/dev/sources/');
  });

  test('exposes handles to what it built', () => {
    expect(Object.keys(pipeline.functions)).toEqual([...FUNCTION_NAMES]);
    expect(Object.keys(pipeline.queues)).toEqual(['ingest', 'process', 'deliver']);
    expect(pipeline.alarms.alarms).toHaveLength(26);
    expect(pipeline.alarmTopic?.topic).toBeDefined();
    expect(pipeline.idempotencyTable.table).toBeDefined();
    expect(pipeline.dashboard.dashboard).toBeDefined();
    expect(pipeline.api.stage).toBeDefined();
  });
});

describe('WebhookPipeline delivery: destinations, routes and the retry schedule', () => {
  const { json, pipeline } = build({
    deliveryUrl: 'https://legacy.example/hook',
    destinations: {
      crm: { url: 'https://crm.example/in', sources: ['stripe'], eventTypes: ['invoice.*'] },
      audit: { url: 'https://audit.example' },
    },
    deliveryRetrySchedule: [10, 60, 600, 3600, 43200, 43200, 43200, 43200],
    webhookSources: {
      stripe: { scheme: 'stripe', toleranceSeconds: 600, secretParameter: '/shared/stripe-secret' },
      github: { scheme: 'github' },
    },
  });
  const env = (fn: string) => byName(json, 'aws_lambda_function', `webhook-${fn}-dev`).environment.variables;

  test('every destination reaches the processor and the dispatcher with its own secret parameter; deliveryUrl is "default"', () => {
    const expected = {
      default: {
        url: 'https://legacy.example/hook',
        secretParameter: '/webhook-pipeline/dev/delivery/signing-secret',
        sources: null,
        eventTypes: null,
      },
      crm: {
        url: 'https://crm.example/in',
        secretParameter: '/webhook-pipeline/dev/delivery/destinations/crm',
        sources: ['stripe'],
        eventTypes: ['invoice.*'],
      },
      audit: {
        url: 'https://audit.example',
        secretParameter: '/webhook-pipeline/dev/delivery/destinations/audit',
        sources: null,
        eventTypes: null,
      },
    };
    expect(JSON.parse(env('processor').DELIVERY_DESTINATIONS)).toEqual(expected);
    expect(JSON.parse(env('dispatcher').DELIVERY_DESTINATIONS)).toEqual(expected);
    expect(pipeline.destinationSecretsPath).toBe('/webhook-pipeline/dev/delivery/destinations/');
  });

  test("the schedule sets the deliver queue's receives (steps + 1) and retention (twice the horizon, at least 4 days)", () => {
    const deliver = byName(json, 'aws_sqs_queue', 'webhook-deliver-dev');
    expect(JSON.parse(deliver.redrive_policy).maxReceiveCount).toBe(9);
    expect(deliver.message_retention_seconds).toBe(2 * (10 + 60 + 600 + 3600 + 4 * 43200));
    expect(byName(json, 'aws_sqs_queue', 'webhook-ingest-dev').message_retention_seconds).toBe(345600);
    expect(JSON.parse(byName(build().json, 'aws_sqs_queue', 'webhook-deliver-dev').redrive_policy).maxReceiveCount).toBe(8);
    expect(env('dispatcher').DELIVERY_RETRY_SCHEDULE).toBe('[10,60,600,3600,43200,43200,43200,43200]');
    expect(
      byName(build({ deliveryRetrySchedule: [5, 5, 5, 5] }).json, 'aws_sqs_queue', 'webhook-deliver-dev').message_retention_seconds,
    ).toBe(345600);
  });

  test('the dispatcher may read the delivery secrets, dead-letter, and set visibility on its own queue only', () => {
    const policy = JSON.parse(
      json.resource.aws_iam_role_policy[
        Object.keys(json.resource.aws_iam_role_policy).find((id) => id.startsWith('hooks_dispatcher_policy'))!
      ].policy,
    );
    const bySid = Object.fromEntries(policy.Statement.map((st: any) => [st.Sid, st]));
    expect(bySid.ReadOwnParameters.Resource).toMatch(/:parameter\/webhook-pipeline\/dev\/delivery\/\*$/);
    expect(bySid.SendToDeadLetterQueue.Action).toBe('sqs:SendMessage');
    expect(bySid.SendToDeadLetterQueue.Resource).toMatch(/^\$\{aws_sqs_queue\.hooks_deliver_dlq_\w+\.arn\}$/);
    expect(bySid.ConsumeSourceQueue.Action).toContain('sqs:ChangeMessageVisibility');
    expect(env('dispatcher').DEAD_LETTER_QUEUE_URL).toMatch(/aws_sqs_queue\.hooks_deliver_dlq_\w+\.url/);
    expect(env('dispatcher').SOURCE_QUEUE_URL).toMatch(/aws_sqs_queue\.hooks_deliver_queue_\w+\.url/);
  });

  test('source options reach the validator, and a secretParameter gets its own read grant', () => {
    expect(JSON.parse(env('validator').WEBHOOK_SOURCES)).toEqual({
      stripe: { scheme: 'stripe', toleranceSeconds: 600, secretParameter: '/shared/stripe-secret' },
      github: { scheme: 'github', toleranceSeconds: null, secretParameter: null },
    });
    const [grant] = resourcesOfType(json, 'aws_iam_role_policy').filter((p) => String(p.name).startsWith('read-source-secret'));
    expect(grant.for_each).toEqual({ stripe: '/shared/stripe-secret' });
    expect(JSON.parse(grant.policy).Statement[0]).toMatchObject({ Action: 'ssm:GetParameter' });
    expect(JSON.parse(grant.policy).Statement[0].Resource).toMatch(/:parameter\$\{each\.value\}$/);
  });

  test('the deliver queue has no age alarm (its messages back off); a sustained delivery failure rate alarms instead', () => {
    const names = resourcesOfType(json, 'aws_cloudwatch_metric_alarm')
      .filter((alarm) => alarm.for_each === undefined)
      .map((a) => a.alarm_name);
    expect(names).toHaveLength(26);
    expect(names).not.toContain('webhook-deliver-age-dev');
    expect(names).toContain('webhook-ingest-age-dev');
    const alarm = byName(json, 'aws_cloudwatch_metric_alarm', 'webhook-dispatcher-delivery-failure-rate-dev');
    expect(alarm).toMatchObject({ threshold: 50, evaluation_periods: 3, datapoints_to_alarm: 3 });
    const failed = alarm.metric_query.find((q: any) => q.id === 'failed');
    expect(failed.metric).toMatchObject({
      metric_name: 'DeliveryFailed',
      namespace: 'WebhookPipeline',
      dimensions: { service: 'webhook-dispatcher-dev' },
    });
  });

  test('the dashboard breaks deliveries out by destination with a search over the destination dimension', () => {
    const body = resourcesOfType(json, 'aws_cloudwatch_dashboard')[0].dashboard_body;
    const widgets = JSON.parse(body).widgets;
    const byDestination = widgets.find((w: any) => w.properties?.title === 'Delivered by destination');
    expect(byDestination.properties.metrics[0][0].expression).toBe(
      `SEARCH('{WebhookPipeline,service,destination} MetricName="Delivered" service="webhook-dispatcher-dev"', 'Sum', 300)`,
    );
  });
});

describe('WebhookPipeline with props', () => {
  test('names, sources, sizing, delivery and API throttling reach the resources', () => {
    const { json } = build({
      namePrefix: 'acme',
      environmentSuffix: 'prod',
      webhookSources: { github: { scheme: 'github' }, billing: { scheme: 'stripe' } },
      validator: { memorySize: 512, reservedConcurrency: 20 },
      dispatcher: { timeoutSeconds: 30, batchSize: 5, architecture: 'x86_64' },
      deliveryUrl: 'https://example.com/hooks',
      apiThrottleRateLimit: 50,
      logRetentionDays: 90,
      idempotencyTtlSeconds: 172800,
      dashboardName: 'acme-webhooks',
    });
    const validator = byName(json, 'aws_lambda_function', 'acme-validator-prod');
    expect(validator).toMatchObject({ memory_size: 512, reserved_concurrent_executions: 20, timeout: 10 });
    expect(Object.keys(JSON.parse(validator.environment.variables.WEBHOOK_SOURCES))).toEqual(['github', 'billing']);
    const dispatcher = byName(json, 'aws_lambda_function', 'acme-dispatcher-prod');
    expect(dispatcher).toMatchObject({ timeout: 30, architectures: ['x86_64'] });
    expect(dispatcher.environment.variables.DELIVERY_TIMEOUT_MS).toBe('10000');
    expect(JSON.parse(dispatcher.environment.variables.DELIVERY_DESTINATIONS)).toEqual({
      default: {
        url: 'https://example.com/hooks',
        secretParameter: '/acme-pipeline/prod/delivery/signing-secret',
        sources: null,
        eventTypes: null,
      },
    });
    expect(byName(json, 'aws_lambda_function', 'acme-processor-prod').environment.variables.IDEMPOTENCY_TTL_SECONDS).toBe('172800');
    expect(byName(json, 'aws_sqs_queue', 'acme-deliver-prod').visibility_timeout_seconds).toBe(180);
    expect(resourcesOfType(json, 'aws_cloudwatch_log_group').every((g) => g.retention_in_days === 90)).toBe(true);
    expect(resourcesOfType(json, 'aws_api_gateway_method_settings')[0].settings.throttling_rate_limit).toBe(50);
    expect(resourcesOfType(json, 'aws_cloudwatch_dashboard')[0].dashboard_name).toBe('acme-webhooks');
    // The dispatcher's own mapping only drains the shared deliver queue; each lane gets a share of the rest.
    const mapping = resourcesOfType(json, 'aws_lambda_event_source_mapping').find((m) => m.batch_size === 5);
    expect(mapping.scaling_config.maximum_concurrency).toBe(2);
  });

  test('alarms off: no alarm, and the dashboard shows the note instead of their status', () => {
    const { json } = build({ alarmsEnabled: false });
    expect(json.resource.aws_cloudwatch_metric_alarm).toBeUndefined();
    const body = resourcesOfType(json, 'aws_cloudwatch_dashboard')[0].dashboard_body;
    expect(body).toContain('switched off');
    expect(body).not.toContain('"type" = "alarm"');
  });

  test('an existing alarm topic: none created, every alarm notifies it', () => {
    const topicArn = 'arn:aws:sns:eu-west-1:123456789012:pager';
    const { json, pipeline } = build({ alarmTopicArn: topicArn });
    expect(json.resource.aws_sns_topic).toBeUndefined();
    // The only key left is the event archive's: the topic's went with the topic.
    expect(Object.values(json.resource.aws_kms_key).map((key: any) => key.description)).toEqual([
      'Encrypts the webhook pipeline event archive and its Athena results',
    ]);
    expect(pipeline.alarmTopic).toBeUndefined();
    expect(
      resourcesOfType(json, 'aws_cloudwatch_metric_alarm').every((a) => a.alarm_actions[0] === topicArn && a.ok_actions[0] === topicArn),
    ).toBe(true);
  });

  test('tracing off: PassThrough everywhere, and the policy check lists why the tracing rules do not apply', () => {
    const { json, stack, pipeline } = build({ tracing: false });
    expect(resourcesOfType(json, 'aws_lambda_function').map((f) => f.tracing_config.mode)).toEqual([
      'PassThrough',
      'PassThrough',
      'PassThrough',
    ]);
    expect(resourcesOfType(json, 'aws_api_gateway_stage')[0].xray_tracing_enabled).toBe(false);
    const warnings = pipeline.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.WARN).map((m) => String(m.data));
    expect(warnings.join('\n')).toMatch(/lambda-tracing[\s\S]*tracing: false was set/);
    const report = PolicyCheck.of(stack)!.lastReport!;
    expect(report.violations).toEqual([]);
    expect(new Set(report.suppressed.map((s) => s.ruleId))).toEqual(new Set(['lambda-tracing', 'api-tracing']));
    expect(report.suppressed.every((s) => s.reason === 'tracing: false was set on this WebhookPipeline')).toBe(true);
  });

  test('plan-time props stay expressions: a user maps their own variables', () => {
    const stack = bareStack();
    const on = new TerraformVariable(stack, 'alerts_on', { type: 'bool' });
    const timeout = new TerraformVariable(stack, 'worker_timeout', { type: 'number' });
    new WebhookPipeline(stack, 'hooks', { bundle, alarmsEnabled: on.booleanValue, processor: { timeoutSeconds: timeout.numberValue } });
    const synthesized = Testing.synth(stack);
    expect(synthesized).toHaveResourceWithProperties(CloudwatchMetricAlarm, { count: '${var.alerts_on ? 1 : 0}' });
    expect(synthesized).toHaveResourceWithProperties(LambdaFunction, {
      function_name: 'webhook-processor-dev',
      timeout: '${var.worker_timeout}',
    });
    expect(synthesized).toHaveResourceWithProperties(SqsQueue, {
      name: 'webhook-process-dev',
      visibility_timeout_seconds: '${(var.worker_timeout * 6)}',
    });
  });

  test("a user's own function can be granted access to the pipeline's queues", () => {
    const { pipeline, json } = build();
    expect(json).toBeDefined();
    const statements: unknown[] = [];
    pipeline.queues.deliver.grantSend({ addToPrincipalPolicy: (s) => statements.push(s) }, 'InjectEvents');
    expect(statements).toEqual([expect.objectContaining({ Sid: 'InjectEvents', Action: 'sqs:SendMessage' })]);
  });
});

describe('WebhookPipeline rejects bad props, naming the prop, before building anything', () => {
  test.each<[string, WebhookPipelineProps, RegExp]>([
    [
      'an http delivery URL',
      { deliveryUrl: 'http://example.com' },
      /WebhookPipeline: deliveryUrl must be empty or an https:\/\/ URL, got "http:\/\/example.com"/,
    ],
    [
      'an unknown scheme',
      { webhookSources: { shop: { scheme: 'md5' as never } } },
      /webhookSources\.shop\.scheme must be one of github, stripe, shopify, hmac-sha256, standard-webhooks, slack, paddle, linear, got "md5"/,
    ],
    ['a source name with a capital', { webhookSources: { Shop: { scheme: 'shopify' } } }, /webhookSources key "Shop"/],
    [
      'a zero tolerance',
      { webhookSources: { pay: { scheme: 'stripe', toleranceSeconds: 0 } } },
      /webhookSources\.pay\.toleranceSeconds must be a whole number from 1 to 86400, got 0/,
    ],
    [
      'a relative secret parameter',
      { webhookSources: { pay: { scheme: 'stripe', secretParameter: 'stripe' } } },
      /webhookSources\.pay\.secretParameter must be an SSM parameter name starting with \/, got "stripe"/,
    ],
    [
      'an http destination',
      { destinations: { crm: { url: 'http://crm.example' } } },
      /destinations\.crm\.url must be an https:\/\/ URL, got "http:\/\/crm\.example"/,
    ],
    ['a destination named default', { destinations: { default: { url: 'https://a.example' } } }, /destinations key "default"/],
    [
      'an empty event-type route',
      { destinations: { crm: { url: 'https://a.example', eventTypes: [] } } },
      /destinations\.crm\.eventTypes must be a non-empty list .* got \[\]/,
    ],
    ['a 3-step retry schedule', { deliveryRetrySchedule: [5, 60, 600] }, /deliveryRetrySchedule must be 4-20 .* got \[5,60,600\]/],
    ['a step beyond 12 h', { deliveryRetrySchedule: [5, 60, 600, 43201] }, /deliveryRetrySchedule must be .* got \[5,60,600,43201\]/],
    ['a horizon beyond 6 days', { deliveryRetrySchedule: Array(13).fill(43200) }, /deliveryRetrySchedule must be .*at most 518400/],
    ['no source', { webhookSources: {} }, /webhookSources must name at least one source/],
    ['a 10-day retention', { logRetentionDays: 10 }, /logRetentionDays must be one of 1, 3, 5, 7, 14, 30, .* got 10/],
    [
      'a 1-hour idempotency TTL',
      { idempotencyTtlSeconds: 3600 },
      /idempotencyTtlSeconds must be a whole number of at least 86400 \(24 h\), got 3600/,
    ],
    [
      'an e-mail with an existing topic',
      { alarmTopicArn: 'arn:aws:sns:eu-west-1:1:t', alarmEmail: 'a@b.co' },
      /alarmEmail subscribes to the topic the pipeline creates/,
    ],
    ['a negative threshold', { alarmThresholds: { queueDepth: -1 } }, /alarmThresholds\.queueDepth must be a positive number, got -1/],
    [
      'a dispatcher concurrency above its reserve',
      { dispatcher: { reservedConcurrency: 5, maximumConcurrency: 10 } },
      /WebhookPipeline dispatcher: maximumConcurrency \(10\) must not exceed reservedConcurrency \(5\)/,
    ],
    ['an upper-case suffix', { environmentSuffix: 'Prod' }, /environmentSuffix must be .* got "Prod"/],
    [
      'a secrets path ending in /',
      { secretsPath: '/hooks/' },
      /secretsPath must be an SSM path starting with \/ and not ending with \/, got "\/hooks\/"/,
    ],
  ])('%s', (_case, props, message) => {
    const stack = bareStack();
    expect(() => new WebhookPipeline(stack, 'hooks', { bundle, ...props })).toThrow(message);
    const hooks = stack.node.tryFindChild('hooks');
    expect(hooks?.node.children ?? []).toHaveLength(0);
  });
});
