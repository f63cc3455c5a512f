/**
 * Each building block on its own, as a user's `Testing.synthScope` test sees it: it synthesizes
 * without any Terraform variable, takes plain values or tokens, grants what it is asked to, and
 * rejects bad plain values naming the prop.
 */
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { TerraformVariable, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { ResourceNames } from '../../../src/config/naming';
import { AlarmTopic } from '../../../src/constructs/alarm-topic';
import { IDEMPOTENCY_ACTIONS, IdempotencyTable } from '../../../src/constructs/idempotency-table';
import { PipelineFunction, PipelineFunctionProps } from '../../../src/constructs/pipeline-function';
import { QueueWithDlq } from '../../../src/constructs/queue-with-dlq';
import { WebhookApi } from '../../../src/constructs/webhook-api';
import type { PolicyStatement } from '../../../src/iam/policy-document';
import { resourcesOfType, tinyBundle } from '../../support/construct';

const bundle = tinyBundle();
const parse = (raw: string) => JSON.parse(raw);
const policyOf = (json: any, fn: string) =>
  JSON.parse(Object.entries<any>(json.resource.aws_iam_role_policy).find(([id]) => id.startsWith(`${fn}_policy_`))![1].policy);

const withFunction = (scope: Construct, props: Partial<PipelineFunctionProps> = {}) => {
  const source = new QueueWithDlq(scope, 'source', { name: 'source' });
  return new PipelineFunction(scope, 'fn', { name: 'worker', bundle, source, ...props });
};

describe('QueueWithDlq', () => {
  const json = parse(Testing.synthScope((scope) => new QueueWithDlq(scope, 'ingest', { name: 'ingest', visibilityTimeoutSeconds: 60 })));

  test('renders just the queue, its DLQ and their policies, named with the default prefix and suffix', () => {
    expect(Object.keys(json.resource).sort()).toEqual(['aws_sqs_queue', 'aws_sqs_queue_policy', 'aws_sqs_queue_redrive_allow_policy']);
    expect(
      resourcesOfType(json, 'aws_sqs_queue')
        .map((q) => q.name)
        .sort(),
    ).toEqual(['webhook-ingest-dev', 'webhook-ingest-dlq-dev']);
    expect(JSON.stringify(json)).not.toContain('var.');
  });

  test('takes names and the visibility timeout from its props', () => {
    const raw = Testing.synthScope(
      (scope) =>
        new QueueWithDlq(scope, 'q', { name: 'jobs', names: new ResourceNames({ prefix: 'acme', suffix: 'prod' }), maxReceiveCount: 8 }),
    );
    expect(raw).toHaveResourceWithProperties(SqsQueue, { name: 'acme-jobs-prod', visibility_timeout_seconds: 180 });
    const main = resourcesOfType(parse(raw), 'aws_sqs_queue').find((q) => q.name === 'acme-jobs-prod');
    expect(JSON.parse(main.redrive_policy).maxReceiveCount).toBe(8);
  });

  test('grants send and consume on the main queue only', () => {
    const statements: PolicyStatement[] = [];
    const grantee = { addToPrincipalPolicy: (s: PolicyStatement) => statements.push(s) };
    Testing.synthScope((scope) => {
      const q = new QueueWithDlq(scope, 'q', { name: 'q' });
      q.grantSend(grantee);
      q.grantConsume(grantee, 'ReadJobs');
    });
    expect(statements.map((s) => [s.Sid, s.Action])).toEqual([
      ['SendToNextQueue', 'sqs:SendMessage'],
      ['ReadJobs', ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes']],
    ]);
  });

  test.each<[string, object, RegExp]>([
    ['maxReceiveCount 0', { maxReceiveCount: 0 }, /QueueWithDlq q: maxReceiveCount must be a whole number from 1 to 1000, got 0/],
    ['a visibility timeout over 12 h', { visibilityTimeoutSeconds: 50000 }, /visibilityTimeoutSeconds must be .* got 50000/],
  ])('rejects %s', (_case, props, message) => {
    expect(() => Testing.synthScope((scope) => new QueueWithDlq(scope, 'q', { name: 'q', ...props }))).toThrow(message);
  });
});

describe('PipelineFunction', () => {
  test('defaults: arm64, 256 MB, 30 s, reserved 100, batches of 10 within 1 s, traced, reading its source queue', () => {
    const json = parse(Testing.synthScope((scope) => withFunction(scope)));
    const [fn] = resourcesOfType(json, 'aws_lambda_function');
    expect(fn).toMatchObject({
      function_name: 'webhook-worker-dev',
      architectures: ['arm64'],
      memory_size: 256,
      timeout: 30,
      reserved_concurrent_executions: 100,
      tracing_config: { mode: 'Active' },
    });
    const [mapping] = resourcesOfType(json, 'aws_lambda_event_source_mapping');
    expect(mapping).toMatchObject({ batch_size: 10, maximum_batching_window_in_seconds: 1, scaling_config: { maximum_concurrency: 100 } });
    expect(policyOf(json, 'fn').Statement.map((s: PolicyStatement) => s.Sid)).toEqual(['OwnLogGroup', 'ConsumeSourceQueue']);
    expect(resourcesOfType(json, 'aws_iam_role_policy').find((p) => p.name === 'xray-write').count).toBeUndefined();
  });

  test('sizing props reach the function and its mapping', () => {
    const raw = Testing.synthScope((scope) =>
      withFunction(scope, {
        memorySize: 1024,
        timeoutSeconds: 20,
        batchSize: 50,
        batchWindowSeconds: 5,
        reservedConcurrency: 20,
        maximumConcurrency: 10,
        architecture: 'x86_64',
      }),
    );
    expect(raw).toHaveResourceWithProperties(LambdaFunction, {
      memory_size: 1024,
      timeout: 20,
      reserved_concurrent_executions: 20,
      architectures: ['x86_64'],
    });
    expect(raw).toHaveResourceWithProperties(LambdaEventSourceMapping, {
      batch_size: 50,
      maximum_batching_window_in_seconds: 5,
      scaling_config: { maximum_concurrency: 10 },
    });
  });

  test('a reserve above 1000 caps the mapping at the 1000 SQS event sources allow', () => {
    const raw = Testing.synthScope((scope) => withFunction(scope, { reservedConcurrency: 1500 }));
    expect(raw).toHaveResourceWithProperties(LambdaFunction, { reserved_concurrent_executions: 1500 });
    expect(raw).toHaveResourceWithProperties(LambdaEventSourceMapping, { scaling_config: { maximum_concurrency: 1000 } });
  });

  test('tracing off: PassThrough and no X-Ray grant; a plan-time switch gives both a conditional', () => {
    const off = parse(Testing.synthScope((scope) => withFunction(scope, { tracing: false })));
    expect(resourcesOfType(off, 'aws_lambda_function')[0].tracing_config.mode).toBe('PassThrough');
    expect(resourcesOfType(off, 'aws_iam_role_policy').map((p) => p.name)).toEqual(['least-privilege']);
    const switched = parse(
      Testing.synthScope((scope) => withFunction(scope, { tracing: new TerraformVariable(scope, 'trace', { type: 'bool' }).booleanValue })),
    );
    expect(resourcesOfType(switched, 'aws_lambda_function')[0].tracing_config.mode).toBe('${var.trace ? "Active" : "PassThrough"}');
    expect(resourcesOfType(switched, 'aws_iam_role_policy').find((p) => p.name === 'xray-write').count).toBe('${var.trace ? 1 : 0}');
  });

  test('grants land in the role policy, after its own statements', () => {
    const json = parse(
      Testing.synthScope((scope) => {
        const fn = withFunction(scope);
        new QueueWithDlq(scope, 'next', { name: 'next' }).grantSend(fn);
        new IdempotencyTable(scope, 'table').grantIdempotencyRecords(fn);
      }),
    );
    const statements = policyOf(json, 'fn').Statement;
    expect(statements.map((s: PolicyStatement) => s.Sid)).toEqual([
      'OwnLogGroup',
      'ConsumeSourceQueue',
      'SendToNextQueue',
      'OwnIdempotencyRecords',
    ]);
    expect(statements[3].Action).toEqual([...IDEMPOTENCY_ACTIONS]);
    expect(statements[3].Resource).toMatch(/^\$\{aws_dynamodb_table\.table_\w+\.arn\}$/);
  });

  test('metric helpers name the function and the statistic', () => {
    Testing.synthScope((scope) => {
      const fn = withFunction(scope);
      expect(fn.metricDuration('p90')).toMatchObject({ namespace: 'AWS/Lambda', metricName: 'Duration', stat: 'p90' });
      expect(fn.metricErrorRate().metrics.errors.metricName).toBe('Errors');
    });
  });

  test.each<[string, Partial<PipelineFunctionProps>, RegExp]>([
    [
      'maximum concurrency above the reserved',
      { reservedConcurrency: 10, maximumConcurrency: 20 },
      /maximumConcurrency \(20\) must not exceed reservedConcurrency \(10\)/,
    ],
    ['maximum concurrency 1', { maximumConcurrency: 1 }, /maximumConcurrency must be a whole number from 2 to 1000, got 1/],
    [
      'a reserve of 1',
      { reservedConcurrency: 1 },
      /reservedConcurrency must be a whole number of at least 2 \(an SQS event source mapping runs at least 2 invocations at once\), got 1/,
    ],
    ['memory 64 MB', { memorySize: 64 }, /memorySize must be a whole number of MB from 128 to 10240, got 64/],
    ['a 1000 s timeout', { timeoutSeconds: 1000 }, /timeoutSeconds must be .* got 1000/],
    [
      'batches of 50 without a window',
      { batchSize: 50, batchWindowSeconds: 0 },
      /batchSize 50 above 10 needs batchWindowSeconds of at least 1, got 0/,
    ],
    ['an unknown architecture', { architecture: 'sparc' as never }, /architecture must be one of arm64, x86_64, got "sparc"/],
  ])('rejects %s, naming the prop', (_case, props, message) => {
    expect(() => Testing.synthScope((scope) => withFunction(scope, props))).toThrow(message);
  });
});

describe('IdempotencyTable', () => {
  test('is on demand, encrypted, recoverable, with a TTL on the Powertools expiry attribute', () => {
    expect(Testing.synthScope((scope) => new IdempotencyTable(scope, 'idem'))).toHaveResourceWithProperties(DynamodbTable, {
      name: 'webhook-idempotency-dev',
      billing_mode: 'PAY_PER_REQUEST',
      hash_key: 'id',
      ttl: { attribute_name: 'expiration', enabled: true },
      point_in_time_recovery: { enabled: true },
      server_side_encryption: { enabled: true },
    });
  });
});

describe('AlarmTopic', () => {
  const topic = (alarmEmail?: string | ((scope: Construct) => string)) =>
    parse(
      Testing.synthScope((scope) => {
        const email = typeof alarmEmail === 'function' ? alarmEmail(scope) : alarmEmail;
        new AlarmTopic(scope, 'topic', { accountId: '123456789012', partition: 'aws', alarmEmail: email });
      }),
    );

  test('no e-mail: no subscription; an address: one; a plan-time address: a count decided by it', () => {
    expect(topic().resource.aws_sns_topic_subscription).toBeUndefined();
    expect(topic('').resource.aws_sns_topic_subscription).toBeUndefined();
    const [plain] = resourcesOfType(topic('ops@example.com'), 'aws_sns_topic_subscription');
    expect(plain).toMatchObject({ endpoint: 'ops@example.com', protocol: 'email' });
    expect(plain.count).toBeUndefined();
    const [planned] = resourcesOfType(
      topic((scope) => new TerraformVariable(scope, 'email', { type: 'string' }).stringValue),
      'aws_sns_topic_subscription',
    );
    expect(planned).toMatchObject({ endpoint: '${var.email}', count: '${var.email == "" ? 0 : 1}' });
  });

  test('rejects an address that is not one', () => {
    expect(() => topic('ops-at-example')).toThrow(/AlarmTopic topic: alarmEmail must be empty or an e-mail address, got "ops-at-example"/);
  });
});

describe('WebhookApi', () => {
  const api = (props: object = {}) =>
    Testing.synthScope((scope) => {
      const queue = new SqsQueue(scope, 'ingest', { name: 'ingest' });
      new WebhookApi(scope, 'api', {
        ingestQueue: queue,
        sourceSchemes: '{"github":"github"}',
        accountId: '123456789012',
        region: 'eu-west-1',
        partition: 'aws',
        ...props,
      });
    });

  test('defaults: throttled at 100 / 200, traced, access log kept 30 days', () => {
    const json = parse(api());
    const [settings] = resourcesOfType(json, 'aws_api_gateway_method_settings');
    expect(settings.settings).toMatchObject({ throttling_rate_limit: 100, throttling_burst_limit: 200 });
    expect(resourcesOfType(json, 'aws_api_gateway_stage')[0].xray_tracing_enabled).toBe(true);
    expect(resourcesOfType(json, 'aws_cloudwatch_log_group')[0]).toMatchObject({
      name: '/aws/apigateway/webhook-api-dev',
      retention_in_days: 30,
    });
    expect(resourcesOfType(json, 'aws_api_gateway_integration')[0].uri).toMatch(/^arn:aws:apigateway:eu-west-1:sqs:path\/123456789012\//);
  });

  test.each<[string, object, RegExp]>([
    ['a rate limit of 0', { throttleRateLimit: 0 }, /WebhookApi api: throttleRateLimit must be a positive number, got 0/],
    ['a burst of 1.5', { throttleBurstLimit: 1.5 }, /throttleBurstLimit must be a whole number of at least 1, got 1.5/],
  ])('rejects %s', (_case, props, message) => {
    expect(() => api(props)).toThrow(message);
  });
});
