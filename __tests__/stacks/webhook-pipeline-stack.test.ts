import { parseRedrivePolicy } from '../../src/policy/rules/relations';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { ApiGatewayStage } from '@cdktf/provider-aws/lib/api-gateway-stage';
import { ApiGatewayIntegration } from '@cdktf/provider-aws/lib/api-gateway-integration';
import { readSynthSettings } from '../../src/config/settings';
import { resourcesOf, synthJson } from '../support/stack';
import { HISTORY_OUTPUTS } from '../../src/history/archive-records';

const { raw, json } = synthJson();
const values = (type: string) => Object.values(resourcesOf(json, type));
const policyOf = (resource: any) => JSON.parse(resource.policy);

describe('WebhookPipelineStack', () => {
  test('matches the snapshot (asset hashes masked)', () => {
    const masked = raw
      .replace(/"source_code_hash": "[^"]+"/g, '"source_code_hash": "<zip sha256>"')
      .replace(/assets\/([^/]+)\/[0-9a-f]{64}\//g, 'assets/$1/<hash>/');
    expect(masked).toMatchSnapshot();
  });

  test('pins the AWS provider to 5.100.0', () => {
    expect(json.terraform.required_providers.aws.version).toBe('5.100.0');
  });

  test('holds exactly the resource counts of the construct tree (docs/ARCHITECTURE.md)', () => {
    const counts = Object.fromEntries(Object.entries(json.resource).map(([type, r]) => [type, Object.keys(r as object).length]));
    // Each delivery lane is one for_each block per resource kind: 2 queues, a mapping and 3 alarms.
    expect(counts).toMatchObject({
      aws_api_gateway_rest_api: 1,
      aws_sqs_queue: 6 + 2,
      aws_lambda_function: 3,
      aws_lambda_event_source_mapping: 3 + 1,
      // The event archive's Firehose error log group.
      aws_cloudwatch_log_group: 4 + 1,
      aws_sns_topic: 1,
      aws_sns_topic_subscription: 1,
      // 24, 3 per delivery lane, and the archive's 2 (processor and dispatcher writes).
      aws_cloudwatch_metric_alarm: 24 + 3 + 2,
      aws_kinesis_firehose_delivery_stream: 2,
      aws_s3_bucket: 1,
      aws_glue_catalog_table: 2,
      aws_dynamodb_table: 1,
      aws_cloudwatch_dashboard: 1,
    });
  });

  test('contains no absolute path of this machine', () => {
    expect(raw).not.toContain(process.cwd());
    expect(raw).not.toMatch(/"(\/(home|root|tmp|work|Users)\/)/);
  });

  describe('queues', () => {
    test('every queue is encrypted and TLS-only', () => {
      expect(raw).toHaveResourceWithProperties(SqsQueue, { sqs_managed_sse_enabled: true });
      const queues = values('aws_sqs_queue');
      expect(queues.every((q) => q.sqs_managed_sse_enabled === true)).toBe(true);
      const policies = values('aws_sqs_queue_policy').map(policyOf);
      expect(policies).toHaveLength(6 + 2);
      for (const policy of policies) {
        expect(policy.Statement).toContainEqual(
          expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        );
      }
    });

    test.each([
      ['ingest', 'validator', 5],
      ['process', 'processor', 5],
      // One receive per step of the retry schedule plus the first attempt, at least 5.
      ['deliver', 'dispatcher', '${max(5, sum([length(var.delivery_retry_schedule), 1]))}'],
    ])('%s queue redrives to its DLQ (after %s receives) with visibility 6 × the %s timeout', (queue, fn, receives) => {
      const main = values('aws_sqs_queue').find((q) => q.name === `webhook-${queue}-\${var.environment_suffix}`);
      expect(main).toBeDefined();
      expect(main.visibility_timeout_seconds).toBe(`\${(var.function_timeouts.${fn} * 6)}`);
      const redrive = parseRedrivePolicy(main.redrive_policy);
      expect(redrive.maxReceiveCount).toBe(receives);
      expect(redrive.deadLetterTargetArn).toMatch(new RegExp(`aws_sqs_queue\\.${queue}_dlq_\\w+\\.arn`));
    });

    test('DLQs keep messages 14 days and only accept their own queue', () => {
      const dlqs = values('aws_sqs_queue').filter((q) => q.name.includes('-dlq-') || q.name.includes('-lanedlq-'));
      expect(dlqs).toHaveLength(3 + 1);
      expect(dlqs.every((q) => q.message_retention_seconds === 1209600)).toBe(true);
      const allows = values('aws_sqs_queue_redrive_allow_policy').map((p) => JSON.parse(p.redrive_allow_policy));
      expect(allows).toHaveLength(3 + 1);
      for (const allow of allows) {
        expect(allow.redrivePermission).toBe('byQueue');
        expect(allow.sourceQueueArns).toHaveLength(1);
      }
    });
  });

  describe('functions', () => {
    test('run nodejs22.x on arm64 with reserved concurrency 100 and tracing from enable_xray', () => {
      for (const name of ['validator', 'processor', 'dispatcher']) {
        expect(raw).toHaveResourceWithProperties(LambdaFunction, {
          function_name: `webhook-${name}-\${var.environment_suffix}`,
          runtime: 'nodejs22.x',
          architectures: ['arm64'],
          handler: 'index.handler',
          reserved_concurrent_executions: 100,
          timeout: `\${var.function_timeouts.${name}}`,
          tracing_config: { mode: '${var.enable_xray ? "Active" : "PassThrough"}' },
        });
      }
    });

    test('ship a zip asset with its source_code_hash', () => {
      for (const fn of values('aws_lambda_function')) {
        expect(fn.filename).toMatch(/^assets\/[\w-]+\/[0-9a-f]{64}\/handler\.zip$/);
        expect(fn.source_code_hash).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      }
    });

    test('carry the next queue URL in their environment', () => {
      const byName = Object.fromEntries(values('aws_lambda_function').map((f) => [f.function_name.split('-')[1], f]));
      expect(byName.validator.environment.variables.NEXT_QUEUE_URL).toMatch(/aws_sqs_queue\.process_queue_\w+\.url/);
      // Each destination's lane, named from the shared deliver queue's URL: one variable for every lane.
      expect(byName.processor.environment.variables.NEXT_QUEUE_URL).toBeUndefined();
      for (const fn of [byName.processor, byName.dispatcher]) {
        expect(fn.environment.variables.DELIVERY_LANE_QUEUE_URL).toMatch(
          /^\$\{replace\(aws_sqs_queue\.deliver_queue_\w+\.url, aws_sqs_queue\.deliver_queue_\w+\.name, "webhook-lane-\{destination\}-\$\{var\.environment_suffix\}"\)\}$/,
        );
      }
      expect(byName.dispatcher.environment.variables.DELIVERY_LANE_DLQ_URL).toContain(
        '"webhook-lanedlq-{destination}-${var.environment_suffix}"',
      );
      // Terraform cannot see the lanes behind the templates: the functions wait for them explicitly.
      expect(byName.processor.depends_on).toContainEqual(expect.stringMatching(/^aws_sqs_queue\.lanes_queue_\w+$/));
      expect(byName.dispatcher.depends_on).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^aws_sqs_queue\.lanes_queue_\w+$/),
          expect.stringMatching(/^aws_sqs_queue\.lanes_dlq_\w+$/),
        ]),
      );
      expect(byName.validator.environment.variables.WEBHOOK_SOURCES).toBe('${local.webhook_sources}');
      expect(json.locals.webhook_sources).toContain('var.webhook_sources');
      expect(byName.processor.environment.variables.IDEMPOTENCY_TABLE_NAME).toMatch(/aws_dynamodb_table\./);
      expect(byName.processor.environment.variables.DELIVERY_DESTINATIONS).toBe('${local.delivery_destinations}');
      expect(byName.dispatcher.environment.variables.DELIVERY_DESTINATIONS).toBe('${local.delivery_destinations}');
      expect(json.locals.delivery_destinations).toMatch(/var\.delivery_url[\s\S]*var\.delivery_destinations/);
      expect(byName.dispatcher.environment.variables.DELIVERY_RETRY_SCHEDULE).toBe('${jsonencode(var.delivery_retry_schedule)}');
      // Two rounds of concurrent deliveries fit in 80 % of the dispatcher's timeout.
      expect(byName.dispatcher.environment.variables.DELIVERY_TIMEOUT_MS).toBe(
        '${max(1000, min(10000, floor((var.function_timeouts.dispatcher * 400))))}',
      );
    });

    test('event source mappings report partial batch failures within reserved concurrency', () => {
      expect(raw).toHaveResourceWithProperties(LambdaEventSourceMapping, {
        function_response_types: ['ReportBatchItemFailures'],
        batch_size: 10,
        maximum_batching_window_in_seconds: 1,
        scaling_config: { maximum_concurrency: 100 },
      });
      // The dispatcher's own mapping drains the shared deliver queue with the least concurrency;
      // each lane's mapping is a for_each whose enabled Terraform leaves to `destinations pause`.
      expect(raw).toHaveResourceWithProperties(LambdaEventSourceMapping, { scaling_config: { maximum_concurrency: 2 } });
      const lanes = values('aws_lambda_event_source_mapping').filter((m) => m.for_each !== undefined);
      expect(lanes).toHaveLength(1);
      expect(lanes[0]).toMatchObject({
        for_each: '${local.delivery_lanes}',
        batch_size: '${each.value.batchSize}',
        scaling_config: { maximum_concurrency: '${each.value.maximumConcurrency}' },
        function_response_types: ['ReportBatchItemFailures'],
        lifecycle: { ignore_changes: ['enabled'] },
      });
      expect(values('aws_lambda_event_source_mapping')).toHaveLength(4);
    });

    test('each log group has retention from log_retention_days', () => {
      for (const group of values('aws_cloudwatch_log_group')) {
        expect(group.retention_in_days).toBe('${var.log_retention_days}');
      }
    });
  });

  describe('IAM least privilege', () => {
    const rolePolicies = values('aws_iam_role_policy');
    const statements = rolePolicies.flatMap((p) => policyOf(p).Statement);

    test('no wildcard actions anywhere', () => {
      for (const s of statements) {
        for (const action of [s.Action].flat()) expect(action).not.toMatch(/(^\*$|:\*$)/);
      }
    });

    test('Resource "*" only for X-Ray, whose API has no resource ARN', () => {
      const wildcard = statements.filter((s) => [s.Resource].flat().includes('*'));
      expect(wildcard.map((s) => s.Sid)).toEqual(['XRayWrite', 'XRayWrite', 'XRayWrite']);
    });

    test('X-Ray grants exist only while enable_xray is true', () => {
      const xray = rolePolicies.filter((p) => p.name === 'xray-write');
      expect(xray).toHaveLength(3);
      expect(xray.every((p) => p.count === '${var.enable_xray ? 1 : 0}')).toBe(true);
    });

    test('API Gateway may only SendMessage to the ingest queue', () => {
      const policy = rolePolicies.find((p) => p.name === 'send-to-ingest-queue');
      expect(policyOf(policy).Statement).toEqual([
        expect.objectContaining({ Action: 'sqs:SendMessage', Resource: expect.stringMatching(/aws_sqs_queue\.ingest_queue_\w+\.arn/) }),
      ]);
    });

    test("validator reads its source secrets path and each source's own secret_parameter; dispatcher only the delivery secrets", () => {
      const ssm = statements.filter((s) => s.Action === 'ssm:GetParameter').map((s) => s.Resource);
      expect(ssm).toHaveLength(3);
      expect(ssm.some((r) => r.endsWith(':parameter/webhook-pipeline/${var.environment_suffix}/sources/*'))).toBe(true);
      expect(ssm.some((r) => r.endsWith(':parameter/webhook-pipeline/${var.environment_suffix}/delivery/*'))).toBe(true);
      // One policy per override, for_each over the sources that name one.
      expect(ssm.some((r) => r.endsWith(':parameter${each.value}'))).toBe(true);
      const overrides = rolePolicies.find((p) => String(p.name).startsWith('read-source-secret-'));
      expect(overrides.for_each).toMatch(/val\.secretParameter if val\.secretParameter != null/);
    });

    test('every function has its own role', () => {
      expect(raw).toHaveResourceWithProperties(IamRole, { name: 'webhook-validator-role-${var.environment_suffix}' });
      const roles = new Set(values('aws_lambda_function').map((f) => f.role));
      expect(roles.size).toBe(3);
    });
  });

  describe('API', () => {
    test('stores requests straight into the ingest queue through its own role', () => {
      expect(raw).toHaveResourceWithProperties(ApiGatewayIntegration, {
        type: 'AWS',
        integration_http_method: 'POST',
        passthrough_behavior: 'NEVER',
        request_parameters: { 'integration.request.header.Content-Type': "'application/x-www-form-urlencoded'" },
      });
      const [integration] = values('aws_api_gateway_integration');
      expect(integration.uri).toMatch(/:sqs:path\/.+\/\$\{aws_sqs_queue\.ingest_queue_\w+\.name\}$/);
      expect(integration.credentials).toMatch(/aws_iam_role\.api_sqs-role_\w+\.arn/);
    });

    test('stage has X-Ray from enable_xray and an access log', () => {
      expect(raw).toHaveResourceWithProperties(ApiGatewayStage, { stage_name: 'v1', xray_tracing_enabled: '${var.enable_xray}' });
      const [stage] = values('aws_api_gateway_stage');
      expect(stage.access_log_settings.destination_arn).toMatch(/aws_cloudwatch_log_group\.api_access-log_\w+\.arn/);
      expect(JSON.parse(stage.access_log_settings.format)).toHaveProperty('requestId', '$context.requestId');
    });

    test('method settings enable metrics and throttling', () => {
      const [settings] = values('aws_api_gateway_method_settings');
      expect(settings.method_path).toBe('*/*');
      expect(settings.settings).toMatchObject({
        metrics_enabled: true,
        throttling_rate_limit: '${var.api_throttle_rate_limit}',
        throttling_burst_limit: '${var.api_throttle_burst_limit}',
      });
    });

    test('SQS 4xx and 5xx keep their class; only 2xx answers 202', () => {
      const responses = values('aws_api_gateway_integration_response').map((r) => [r.status_code, r.selection_pattern ?? null]);
      expect(responses.sort()).toEqual([
        ['202', '2\\d{2}'],
        ['400', '4\\d{2}'],
        ['500', null],
        ['502', '5\\d{2}'],
      ]);
    });

    test('deployment is replaced before destroy when the API changes', () => {
      const [deployment] = values('aws_api_gateway_deployment');
      expect(deployment.lifecycle.create_before_destroy).toBe(true);
      expect(deployment.triggers.redeployment).toMatch(/^\$\{sha1\(jsonencode\(\[/);
    });
  });

  describe('alarm topic', () => {
    test('is encrypted with a customer-managed key CloudWatch may use', () => {
      expect(raw).toHaveResourceWithProperties(SnsTopic, { name: 'webhook-alarms-${var.environment_suffix}' });
      const [topic] = values('aws_sns_topic');
      expect(topic.kms_master_key_id).toMatch(/aws_kms_key\.\S+\.arn/);
      const [key] = values('aws_kms_key');
      expect(key.enable_key_rotation).toBe(true);
      expect(policyOf(key).Statement).toContainEqual(expect.objectContaining({ Principal: { Service: 'cloudwatch.amazonaws.com' } }));
    });

    test('lets CloudWatch publish', () => {
      const [policy] = values('aws_sns_topic_policy');
      expect(policyOf(policy).Statement).toContainEqual(expect.objectContaining({ Sid: 'CloudWatchAlarmsPublish', Action: 'sns:Publish' }));
    });

    test('e-mail subscription exists only when alarm_email is set', () => {
      expect(raw).toHaveResourceWithProperties(SnsTopicSubscription, {
        count: '${var.alarm_email == "" ? 0 : 1}',
        protocol: 'email',
        endpoint: '${var.alarm_email}',
      });
    });
  });

  test('alarms exist only while enable_alarms is true and notify the topic', () => {
    const alarms = values('aws_cloudwatch_metric_alarm');
    // 24, 3 per delivery lane (a for_each over the lanes, or over none while alarms are off), and
    // the archive's 2, which exist while alarms are on and the archive exists.
    expect(alarms).toHaveLength(24 + 3 + 2);
    for (const alarm of alarms) {
      if (alarm.for_each !== undefined) expect(alarm.for_each).toBe('${var.enable_alarms ? tomap(local.delivery_lanes) : tomap({})}');
      else if (alarm.metric_name === 'ArchiveWriteFailed')
        expect(alarm.count).toBe('${(var.enable_alarms && (var.history_retention_days >= 1)) ? 1 : 0}');
      else expect(alarm.count).toBe('${var.enable_alarms ? 1 : 0}');
      expect(alarm.alarm_actions).toEqual([expect.stringMatching(/aws_sns_topic\.\S+\.arn/)]);
      expect(alarm.ok_actions).toEqual(alarm.alarm_actions);
      expect(alarm.treat_missing_data).toBe('notBreaching');
    }
    expect(raw).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: 'webhook-validator-error-rate-${var.environment_suffix}',
    });
  });

  test('the dashboard is named after the environment, lists the alarms only while they exist, and is an output', () => {
    const [dashboard] = values('aws_cloudwatch_dashboard');
    expect(dashboard.dashboard_name).toBe('webhook-pipeline-${var.environment_suffix}');
    expect(dashboard.dashboard_body.startsWith('{"widgets":[')).toBe(true);
    expect(dashboard.dashboard_body).toContain(',${trim(var.enable_alarms ? jsonencode([{"type" = "alarm"');
    // Every catalogue alarm, the archive's 2 included; its status widget names only the 24.
    expect(dashboard.depends_on).toHaveLength(24 + 2);
    expect(dashboard.dashboard_body).not.toContain('archive-write-failed');
    expect(json.output.dashboard_name.value).toMatch(/^\$\{aws_cloudwatch_dashboard\.\S+\.dashboard_name\}$/);
  });

  test('idempotency table is on-demand, encrypted and expires records by TTL', () => {
    expect(raw).toHaveResourceWithProperties(DynamodbTable, {
      billing_mode: 'PAY_PER_REQUEST',
      hash_key: 'id',
      ttl: { attribute_name: 'expiration', enabled: true },
      server_side_encryption: { enabled: true },
    });
  });

  test('provider default tags carry Project, Environment and ManagedBy plus var.tags', () => {
    const [provider] = json.provider.aws;
    expect(provider.default_tags[0].tags).toBe(
      '${merge(var.tags, {"Project" = "webhook-pipeline", "Environment" = var.environment_suffix, "ManagedBy" = "cdktf"})}',
    );
  });

  test('outputs every URL, name and ARN integration tests need', () => {
    expect(Object.keys(json.output).sort()).toEqual(
      [
        'alarm_topic_arn',
        'api_id',
        'dashboard_name',
        'delivery_lanes',
        'api_stage',
        'deliver_dlq_url',
        'deliver_queue_url',
        'delivery_secret_parameter',
        'destination_secrets_path',
        'dispatcher_function_name',
        'history_athena_workgroup',
        'history_bucket',
        'history_glue_database',
        'history_operator_policy_arn',
        'history_retention_days',
        'idempotency_table_name',
        'ingest_dlq_url',
        'ingest_queue_url',
        'process_dlq_url',
        'process_queue_url',
        'processor_function_name',
        'source_secrets_path',
        'validator_function_name',
        'webhook_base_url',
      ].sort(),
    );
  });

  describe('backend', () => {
    test('defaults to local state at a relative path', () => {
      expect(json.terraform.backend).toEqual({ local: { path: '../../../terraform.webhook-pipeline.tfstate' } });
    });

    test('is Terraform Cloud when an organization and workspace are set', () => {
      const settings = readSynthSettings({ TF_CLOUD_ORGANIZATION: 'acme', TF_WORKSPACE: 'webhooks-prod' });
      const cloud = synthJson(settings).json;
      expect(cloud.terraform.backend).toBeUndefined();
      expect(cloud.terraform.cloud).toEqual({
        hostname: 'app.terraform.io',
        organization: 'acme',
        workspaces: { name: 'webhooks-prod' },
      });
    });
  });

  test('keeps every address of the 0.1.0 JSON, so an existing deployment plans no moves or replacements', () => {
    const before = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'addresses-0.1.0.json'), 'utf8'));
    const list = (blocks: Record<string, Record<string, unknown>> | undefined, prefix = '') =>
      Object.entries(blocks ?? {})
        .flatMap(([type, byName]) => Object.keys(byName).map((name) => `${prefix}${type}.${name}`))
        .sort();
    // 0.2.0 replaces the deliver queue's age alarm (its messages now back off by design) with a
    // delivery failure rate alarm, and grants each source's own secret_parameter (none by default).
    // 0.3.0 adds the delivery lanes: new for_each resources, no instance without a destination;
    // and the event archive: new resources (and its 2 alarms), each with a count.
    const now = list(json.resource);
    const lanes = now.filter((address) => address.includes('.lanes_'));
    expect(lanes).toHaveLength(9);
    const archive = now.filter((address) => address.includes('.history_') || address.includes('archive-write-failed'));
    expect(archive).toHaveLength(22);
    expect(now.filter((address) => !before.resources.includes(address) && !lanes.includes(address) && !archive.includes(address))).toEqual([
      'aws_cloudwatch_metric_alarm.alarms_dispatcher-delivery-failure-rate_DEE1680E',
      'aws_iam_role_policy.validator_source-secret-policy_C76A5BD9',
    ]);
    expect(before.resources.filter((address: string) => !now.includes(address))).toEqual([
      'aws_cloudwatch_metric_alarm.alarms_deliver-age_E9AC481F',
    ]);
    expect(list(json.data, 'data.')).toEqual(expect.arrayContaining(before.data));
    // 0.2.0 adds variables whose defaults keep what 0.1.0 did.
    const added = ['manage_api_gateway_account', 'delivery_destinations', 'delivery_retry_schedule', 'history_retention_days'];
    expect(Object.keys(json.variable).sort()).toEqual([...before.variables, ...added].sort());
    expect(json.variable.manage_api_gateway_account.default).toBe(true);
    expect(json.variable.delivery_destinations.default).toEqual({});
    expect(Object.keys(json.output).sort()).toEqual(
      [...before.outputs, 'delivery_lanes', 'destination_secrets_path', ...Object.values(HISTORY_OUTPUTS)].sort(),
    );
    expect(Object.keys(json.locals).sort()).toEqual(
      [...before.locals, 'delivery_destinations', 'delivery_lanes', 'webhook_sources'].sort(),
    );
  });

  describe('the event archive', () => {
    test('history_retention_days: a number, 30 by default, validated by one expression, described for an operator', () => {
      expect(json.variable.history_retention_days).toMatchObject({
        type: 'number',
        default: 30,
        nullable: false,
        validation: [
          {
            condition:
              '${var.history_retention_days >= 0 && var.history_retention_days <= 3650 && floor(var.history_retention_days) == var.history_retention_days}',
            error_message: expect.stringContaining('history_retention_days must be a whole number of days from 0 (no archive) to 3650'),
          },
        ],
      });
      expect(json.variable.history_retention_days.description).toMatch(/0 removes the archive/);
    });

    test('every archive resource exists while history_retention_days > 0', () => {
      const archive = Object.values<any>(json.resource).flatMap((byName) =>
        Object.entries<any>(byName)
          .filter(([name]) => name.startsWith('history_'))
          .map(([, r]) => r),
      );
      expect(archive).toHaveLength(20);
      for (const resource of archive) expect(resource.count).toBe('${var.history_retention_days > 0 ? 1 : 0}');
    });

    test("the processor and dispatcher get their stream's name ('' while off) and may put records on it only", () => {
      const env = (fn: string) =>
        values('aws_lambda_function').find((f) => f.function_name.startsWith(`webhook-${fn}-`)).environment.variables;
      expect(env('processor').ARCHIVE_WEBHOOK_STREAM).toMatch(
        /^\$\{var\.history_retention_days > 0 \? aws_kinesis_firehose_delivery_stream\.history_webhook-stream_\w+\[0\]\.name : ""\}$/,
      );
      expect(env('dispatcher').ARCHIVE_ATTEMPT_STREAM).toMatch(/history_attempt-stream_\w+\[0\]\.name : ""\}$/);
      expect(env('validator')).not.toHaveProperty('ARCHIVE_WEBHOOK_STREAM');
      const grant = (fn: string) =>
        policyOf(values('aws_iam_role_policy').find((p) => p.name === 'least-privilege' && p.role.includes(`${fn}_role`))).Statement.filter(
          (s: any) => String(s.Action).includes('firehose'),
        );
      expect(grant('processor')).toEqual([
        expect.objectContaining({
          Resource: expect.stringMatching(/:deliverystream\/webhook-archive-webhook-\$\{var\.environment_suffix\}$/),
        }),
      ]);
      expect(grant('dispatcher')).toEqual([
        expect.objectContaining({
          Resource: expect.stringMatching(/:deliverystream\/webhook-archive-attempt-\$\{var\.environment_suffix\}$/),
        }),
      ]);
      expect(grant('validator')).toEqual([]);
    });

    test('outputs named by HISTORY_OUTPUTS, empty while the archive is off', () => {
      for (const name of [
        HISTORY_OUTPUTS.bucket,
        HISTORY_OUTPUTS.glueDatabase,
        HISTORY_OUTPUTS.athenaWorkgroup,
        HISTORY_OUTPUTS.operatorPolicyArn,
      ]) {
        expect(json.output[name].value).toMatch(/^\$\{var\.history_retention_days > 0 \? aws_\w+\.history_[\w-]+\[0\]\.\w+ : ""\}$/);
        expect(json.output[name].description).toMatch(/Empty when/);
      }
      expect(json.output[HISTORY_OUTPUTS.retentionDays].value).toBe('${var.history_retention_days}');
    });
  });

  test('nothing that decides where resources live falls back to a default: aws_region is required', () => {
    expect(json.variable.aws_region).not.toHaveProperty('default');
    expect(json.variable.aws_region.nullable).toBe(false);
    expect(json.provider.aws[0].region).toBe('${var.aws_region}');
  });

  test('pins the Terraform version the JSON was tested with', () => {
    expect(json.terraform.required_version).toBe('>= 1.5.0, < 2.0.0');
  });

  test('the account-wide API Gateway logging role exists only where manage_api_gateway_account is true', () => {
    for (const type of ['aws_api_gateway_account', 'aws_iam_role', 'aws_iam_role_policy']) {
      const managed = Object.entries<any>(json.resource[type]).filter(([id]) => id.startsWith('api_account-logging_'));
      expect(managed).toHaveLength(1);
      expect(managed[0][1].count).toBe('${var.manage_api_gateway_account ? 1 : 0}');
    }
    const [account] = values('aws_api_gateway_account');
    expect(account.cloudwatch_role_arn).toMatch(/^\$\{aws_iam_role\.api_account-logging_role_\w+\[0\]\.arn\}$/);
  });

  test('every output and variable has a description', () => {
    for (const [name, output] of Object.entries<any>(json.output))
      expect([name, output.description]).toEqual([name, expect.stringMatching(/\S{3,}/)]);
    for (const [name, variable] of Object.entries<any>(json.variable))
      expect([name, variable.description]).toEqual([name, expect.stringMatching(/\S{3,}/)]);
  });
});
