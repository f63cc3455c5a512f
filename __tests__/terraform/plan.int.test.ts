/**
 * The synthesized JSON against the real terraform binary and hashicorp/aws provider: validate,
 * then offline plans for each toggle, then bad input that must fail naming its variable.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MAX_SUFFIX_LENGTH } from '../../src/config/naming';
import { synthToDirectory } from '../support/stack';
import {
  copyStack,
  describeIfTerraform,
  PlanJson,
  plannedResources,
  TerraformRunner,
  writeCliConfig,
  writeOfflineOverride,
} from '../support/terraform';

jest.setTimeout(600_000);

describeIfTerraform('terraform validate and plan (offline)', (mirror) => {
  let tf: TerraformRunner;
  const plans = new Map<string, PlanJson>();
  const scenarios: Record<string, Record<string, string>> = {
    defaults: {},
    alarmsOff: { enable_alarms: 'false' },
    xrayOff: { enable_xray: 'false' },
    email: { alarm_email: 'ops@example.com' },
    historyOff: { history_retention_days: '0' },
  };

  beforeAll(async () => {
    const dir = copyStack(synthToDirectory());
    writeOfflineOverride(dir);
    tf = new TerraformRunner(dir, writeCliConfig(dir, mirror));
    await tf.init();
    // Two plans at a time: each runs its own provider process on this 2-core machine.
    const entries = Object.entries(scenarios);
    for (let i = 0; i < entries.length; i += 2) {
      await Promise.all(entries.slice(i, i + 2).map(async ([name, vars]) => plans.set(name, await tf.plan(vars, `${name}.tfplan`))));
    }
  });

  test('terraform validate passes', async () => {
    const result = await tf.run(['validate', '-json', '-no-color']);
    expect(JSON.parse(result.stdout)).toMatchObject({ valid: true, error_count: 0 });
  });

  test('the synthesized stack folder is self-contained: assets sit beside the JSON', () => {
    const json = JSON.parse(fs.readFileSync(path.join(tf.dir, 'cdk.tf.json'), 'utf8'));
    for (const fn of Object.values<any>(json.resource.aws_lambda_function)) {
      expect(fs.existsSync(path.join(tf.dir, fn.filename))).toBe(true);
    }
  });

  const count = (plan: PlanJson, type: string) => plannedResources(plan, type).length;
  const tracingModes = (plan: PlanJson) => plannedResources(plan, 'aws_lambda_function').map((f) => f.values.tracing_config[0].mode);
  const stageXray = (plan: PlanJson) => plannedResources(plan, 'aws_api_gateway_stage')[0].values.xray_tracing_enabled;

  test("defaults: 24 alarms and the archive's 2, no subscription, tracing Active, stage X-Ray on", () => {
    const plan = plans.get('defaults')!;
    expect(count(plan, 'aws_cloudwatch_metric_alarm')).toBe(24 + 2);
    expect(count(plan, 'aws_sns_topic_subscription')).toBe(0);
    expect(tracingModes(plan)).toEqual(['Active', 'Active', 'Active']);
    expect(stageXray(plan)).toBe(true);
    // 3 function policies + 3 X-Ray grants + API Gateway's SQS and CloudWatch policies + the archive streams' role policy.
    expect(count(plan, 'aws_iam_role_policy')).toBe(9);
  });

  test('defaults: alarm thresholds resolve to the defaults docs/RUNBOOK.md states', () => {
    const alarms = Object.fromEntries(
      plannedResources(plans.get('defaults')!, 'aws_cloudwatch_metric_alarm').map((a) => [a.values.alarm_name, a.values]),
    );
    expect(alarms['webhook-validator-duration-dev'].threshold).toBe(8000);
    expect(alarms['webhook-dispatcher-duration-dev'].threshold).toBe(48000);
    expect(alarms['webhook-processor-concurrency-dev'].threshold).toBe(90);
    expect(alarms['webhook-ingest-age-dev'].threshold).toBe(300);
    expect(alarms['webhook-deliver-depth-dev'].threshold).toBe(100);
    expect(alarms['webhook-ingest-dlq-messages-dev'].threshold).toBe(0);
    expect(alarms['webhook-api-4xx-rate-dev'].threshold).toBe(0.1);
    expect(alarms['webhook-api-5xx-rate-dev'].threshold).toBe(0.01);
    expect(alarms['webhook-api-latency-dev'].threshold).toBe(1000);
    expect(alarms['webhook-validator-error-rate-dev'].threshold).toBe(5);
    expect(alarms['webhook-validator-error-rate-dev'].metric_query).toHaveLength(3);
  });

  test('defaults: queues and functions resolve their plan-time settings', () => {
    const plan = plans.get('defaults')!;
    const queues = Object.fromEntries(plannedResources(plan, 'aws_sqs_queue').map((q) => [q.values.name, q.values]));
    expect(queues['webhook-ingest-dev'].visibility_timeout_seconds).toBe(60);
    expect(queues['webhook-deliver-dev'].visibility_timeout_seconds).toBe(360);
    expect(queues['webhook-ingest-dlq-dev'].message_retention_seconds).toBe(1209600);
    const validator = plannedResources(plan, 'aws_lambda_function').find((f) => f.values.function_name === 'webhook-validator-dev')!;
    expect(validator.values.timeout).toBe(10);
    // The environment map also holds queue URLs, unknown until apply, so the plan omits it.
    expect(validator.values.reserved_concurrent_executions).toBe(100);
    const groups = plannedResources(plan, 'aws_cloudwatch_log_group');
    expect(groups.map((g) => g.values.retention_in_days)).toEqual([30, 30, 30, 30, 30]);
  });

  test('enable_alarms=false: no alarms, everything else unchanged', () => {
    const plan = plans.get('alarmsOff')!;
    expect(count(plan, 'aws_cloudwatch_metric_alarm')).toBe(0);
    expect(plannedResources(plan).length).toBe(plannedResources(plans.get('defaults')!).length - 24 - 2);
  });

  test('defaults: the event archive, 30 days, its streams and tables as the contract says', () => {
    const plan = plans.get('defaults')!;
    const streams = plannedResources(plan, 'aws_kinesis_firehose_delivery_stream');
    expect(streams.map((s) => [s.values.name, s.values.extended_s3_configuration[0].prefix]).sort()).toEqual([
      ['webhook-archive-attempt-dev', 'attempts/'],
      ['webhook-archive-webhook-dev', 'webhooks/'],
    ]);
    expect(
      plannedResources(plan, 'aws_glue_catalog_table')
        .map((t) => t.values.name)
        .sort(),
    ).toEqual(['attempts', 'webhooks']);
    expect(plannedResources(plan, 'aws_glue_catalog_database')[0].values.name).toBe('webhook_history_dev');
    expect(plannedResources(plan, 'aws_athena_workgroup')[0].values.name).toBe('webhook-history-dev');
    const lifecycle = plannedResources(plan, 'aws_s3_bucket_lifecycle_configuration')[0].values.rule;
    expect(lifecycle.filter((r: any) => r.expiration.length).map((r: any) => r.expiration[0].days)).toEqual([30, 30, 30, 30, 7]);
    expect(plannedResources(plan, 'aws_s3_bucket')[0].values.force_destroy).toBe(false);
  });

  test('history_retention_days=0: no archive resource and no archive alarm, everything else the same', () => {
    const plan = plans.get('historyOff')!;
    for (const type of [
      'aws_s3_bucket',
      'aws_kinesis_firehose_delivery_stream',
      'aws_glue_catalog_table',
      'aws_athena_workgroup',
      'aws_iam_policy',
    ]) {
      expect([type, count(plan, type)]).toEqual([type, 0]);
    }
    expect(count(plan, 'aws_cloudwatch_metric_alarm')).toBe(24);
    // 20 archive resources and its 2 alarms.
    expect(plannedResources(plan).length).toBe(plannedResources(plans.get('defaults')!).length - 22);
  });

  test('enable_xray=false: PassThrough tracing, stage X-Ray off, no X-Ray grants', () => {
    const plan = plans.get('xrayOff')!;
    expect(tracingModes(plan)).toEqual(['PassThrough', 'PassThrough', 'PassThrough']);
    expect(stageXray(plan)).toBe(false);
    expect(plannedResources(plan, 'aws_iam_role_policy').filter((p) => p.values.name === 'xray-write')).toHaveLength(0);
  });

  test('alarm_email set: one e-mail subscription to the topic', () => {
    const subscriptions = plannedResources(plans.get('email')!, 'aws_sns_topic_subscription');
    expect(subscriptions).toHaveLength(1);
    expect(subscriptions[0].values).toMatchObject({ protocol: 'email', endpoint: 'ops@example.com' });
  });

  test.each<[string, Record<string, string>]>([
    ['alarm_email', { alarm_email: 'not-an-email' }],
    ['environment_suffix', { environment_suffix: 'Bad_Suffix!' }],
    ['environment_suffix', { environment_suffix: 'a'.repeat(MAX_SUFFIX_LENGTH + 1) }],
    ['delivery_url', { delivery_url: 'http://example.com/hook' }],
    ['log_retention_days', { log_retention_days: '2' }],
    ['webhook_sources', { webhook_sources: '{ acme = { scheme = "md5" } }' }],
    ['alarm_thresholds', { alarm_thresholds: '{ queue_depth = 0 }' }],
    ['function_timeouts', { function_timeouts: '{ validator = 901 }' }],
    ['idempotency_ttl_seconds', { idempotency_ttl_seconds: '3600' }],
    ['aws_region', { aws_region: 'mars' }],
    ['environment_suffix', { environment_suffix: 'dev-' }],
    ['alarm_email', { alarm_email: 'ops@example' }],
    ['delivery_url', { delivery_url: 'https://' }],
    ['webhook_sources', { webhook_sources: '{ "Git Hub" = { scheme = "github" } }' }],
    ['alarm_thresholds', { alarm_thresholds: '{ api_latency_p99_ms = -1 }' }],
    ['function_timeouts', { function_timeouts: '{ dispatcher = 2.5 }' }],
    ['api_throttle_rate_limit', { api_throttle_rate_limit: '0' }],
    ['api_throttle_burst_limit', { api_throttle_burst_limit: '0.5' }],
    ['history_retention_days', { history_retention_days: '-1' }],
    ['history_retention_days', { history_retention_days: '2.5' }],
    ['history_retention_days', { history_retention_days: '3651' }],
  ])('invalid %s fails the plan with an error naming it', async (variable, vars) => {
    const output = await tf.planFailure(vars);
    expect(output).toContain('Invalid value for variable');
    expect(output).toContain(`var.${variable}`);
    expect(output).toContain(variable);
  });

  test.each<[string, Record<string, string>]>([
    ['delivery_destinations', { delivery_destinations: '{ default = { url = "https://a.example" } }' }],
    ['delivery_destinations', { delivery_destinations: '{ crm = { url = "http://a.example" } }' }],
    ['delivery_destinations', { delivery_destinations: '{ crm = { url = "https://a.example", event_types = [] } }' }],
    ['delivery_retry_schedule', { delivery_retry_schedule: '[5, 10, 20]' }],
    ['delivery_retry_schedule', { delivery_retry_schedule: '[5, 10, 20, 43201]' }],
    [
      'delivery_retry_schedule',
      { delivery_retry_schedule: '[43200, 43200, 43200, 43200, 43200, 43200, 43200, 43200, 43200, 43200, 43200, 43200, 43200]' },
    ],
    ['webhook_sources', { webhook_sources: '{ shop = { scheme = "shopify", tolerance_seconds = 0 } }' }],
    ['webhook_sources', { webhook_sources: '{ shop = { scheme = "shopify", secret_parameter = "no-slash" } }' }],
  ])('invalid %s (delivery and source options) fails the plan with an error naming it', async (variable, vars) => {
    const output = await tf.planFailure(vars);
    expect(output).toContain('Invalid value for variable');
    expect(output).toContain(`var.${variable}`);
  });

  test("delivery_url and delivery_destinations become the handlers' destinations, each with its own secret parameter", async () => {
    const vars = {
      delivery_url: 'https://legacy.example/hook',
      delivery_destinations:
        '{ crm = { url = "https://crm.example/in", sources = ["stripe"], event_types = ["invoice.*"] }, audit = { url = "https://audit.example" } }',
    };
    expect(await tf.evaluate('local.delivery_destinations', vars)).toEqual(
      JSON.stringify({
        audit: {
          eventTypes: null,
          secretParameter: '/webhook-pipeline/dev/delivery/destinations/audit',
          sources: null,
          url: 'https://audit.example',
        },
        crm: {
          eventTypes: ['invoice.*'],
          secretParameter: '/webhook-pipeline/dev/delivery/destinations/crm',
          sources: ['stripe'],
          url: 'https://crm.example/in',
        },
        default: {
          eventTypes: null,
          secretParameter: '/webhook-pipeline/dev/delivery/signing-secret',
          sources: null,
          url: 'https://legacy.example/hook',
        },
      }),
    );
    expect(await tf.evaluate('local.delivery_destinations')).toEqual('{}');
  });

  test('webhook_sources options reach the validator, and each secret_parameter gets its own read grant', async () => {
    const vars = {
      webhook_sources:
        '{ shop = { scheme = "shopify" }, pay = { scheme = "stripe", tolerance_seconds = 600, secret_parameter = "/shared/stripe" } }',
    };
    expect(JSON.parse((await tf.evaluate('local.webhook_sources', vars)) as string)).toEqual({
      pay: { scheme: 'stripe', toleranceSeconds: 600, secretParameter: '/shared/stripe' },
      shop: { scheme: 'shopify', toleranceSeconds: null, secretParameter: null },
    });
    const plan = await tf.plan(vars, 'sources.tfplan');
    const reads = plannedResources(plan, 'aws_iam_role_policy').filter((p) => p.values.name.startsWith('read-source-secret-'));
    expect(reads.map((p) => p.values.name)).toEqual(['read-source-secret-pay']);
    expect(count(plans.get('defaults')!, 'aws_iam_role_policy')).toBe(9);
  });

  test("the retry schedule sets the deliver queue's retention: twice the horizon, at least 4 days", async () => {
    const queueRetention = (plan: PlanJson) =>
      plannedResources(plan, 'aws_sqs_queue').find((q) => q.values.name === 'webhook-deliver-dev')!.values.message_retention_seconds;
    expect(queueRetention(plans.get('defaults')!)).toBe(345_600);
    const long = { delivery_retry_schedule: '[60, 3600, 43200, 43200, 43200, 43200, 43200, 43200]' };
    expect(queueRetention(await tf.plan(long, 'schedule.tfplan'))).toBe(2 * (60 + 3600 + 6 * 43200));
  });

  test('a plan that forgets aws_region fails naming it, before anything is planned', async () => {
    const result = await tf.run(['plan', '-input=false', '-no-color', '-lock=false', '-refresh=false']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('No value for required variable');
    expect(result.stderr).toContain('aws_region');
  });

  test('manage_api_gateway_account=false: no account-wide logging role or setting, everything else the same', async () => {
    const plan = await tf.plan({ manage_api_gateway_account: 'false' }, 'unmanaged.tfplan');
    expect(count(plan, 'aws_api_gateway_account')).toBe(0);
    expect(plannedResources(plan, 'aws_iam_role').map((r) => r.values.name)).not.toContain('webhook-apigw-cloudwatch-dev');
    expect(plannedResources(plan).length).toBe(plannedResources(plans.get('defaults')!).length - 3);
  });
});
