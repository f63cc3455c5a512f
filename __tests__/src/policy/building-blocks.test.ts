/**
 * The policy check's building blocks, on hand-written Terraform JSON: expression reading,
 * policy documents, the resource model, and rule edge cases the real stack never shows.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { atLeast, describeLinear, linear } from '../../../src/policy/expressions';
import { evaluatePolicy } from '../../../src/policy/policy-check';
import { isWildcardPrincipal, listOf, statementName, statementsOf } from '../../../src/policy/policy-documents';
import {
  DEFAULT_TAG_KEYS,
  MIN_MAX_RECEIVE_COUNT,
  POLICY_RULES,
  VISIBILITY_TIMEOUT_MULTIPLE,
  WILDCARD_RESOURCE_ACTIONS,
} from '../../../src/policy/rules';
import { functionTracing, normalizeCondition, stageTracing } from '../../../src/policy/rules/tracing';
import { block, referencesIn, refersTo, type SynthesizedConfig, TerraformModel } from '../../../src/policy/terraform-model';

describe('linear expressions', () => {
  test.each<[unknown, ReturnType<typeof linear>]>([
    [30, { factor: 30 }],
    ['45', { factor: 45 }],
    [' 1.5 ', { factor: 1.5 }],
    ['${60}', { factor: 60 }],
    ['${var.function_timeouts.validator}', { term: 'var.function_timeouts.validator', factor: 1 }],
    ['${var.function_timeouts.validator * 6}', { term: 'var.function_timeouts.validator', factor: 6 }],
    ['${6 * local.timeouts[0]}', { term: 'local.timeouts[0]', factor: 6 }],
    // As cdktf's Op.mul and friends render them: one pair of parentheses around the expression.
    ['${(var.function_timeouts.validator * 6)}', { term: 'var.function_timeouts.validator', factor: 6 }],
    ['${( 6 * var.t )}', { term: 'var.t', factor: 6 }],
    ['${(var.t)}', { term: 'var.t', factor: 1 }],
    ['${(90)}', { factor: 90 }],
    ['${((var.t * 6))}', undefined],
    ['${(var.t) * 6}', undefined],
    ['${(var.t * 2) * 3}', undefined],
    [Number.POSITIVE_INFINITY, undefined],
    [undefined, undefined],
    [true, undefined],
    ['thirty', undefined],
    ['${var.a + var.b}', undefined],
    ['${var.a} * 6', undefined],
  ])('reads %p', (value, expected) => {
    expect(linear(value)).toEqual(expected);
  });

  test.each<[string, string, number, string, ReturnType<typeof atLeast>]>([
    ['constants that hold', '60', 6, '10', 'holds'],
    ['constants that fail', '59', 6, '10', 'fails'],
    ['the same term, scaled enough', '${var.t * 6}', 6, '${var.t}', 'holds'],
    ['the same term, scaled too little', '${var.t * 5}', 6, '${var.t}', 'fails'],
    ['Op.mul against a plain reference', '${(var.t * 6)}', 6, '${var.t}', 'holds'],
    ['different terms', '${var.a * 6}', 6, '${var.b}', 'unknown'],
    ['a constant against a term', '900', 6, '${var.t}', 'unknown'],
    ['an unreadable side', '${max(var.t, 1)}', 1, '10', 'unknown'],
  ])('compares %s', (_name, left, multiple, right, expected) => {
    expect(atLeast(linear(left), multiple, linear(right))).toBe(expected);
  });

  test('describes values for messages', () => {
    expect(describeLinear(linear(30), 30)).toBe('30');
    expect(describeLinear(linear('${var.t}'), '${var.t}')).toBe('var.t');
    expect(describeLinear(linear('${var.t * 6}'), '${var.t * 6}')).toBe('var.t * 6');
    expect(describeLinear(undefined, '${max(1, 2)}')).toBe('"${max(1, 2)}"');
  });
});

describe('policy documents', () => {
  test('reads statement lists and single statements', () => {
    expect(statementsOf('{"Statement":[{"Effect":"Allow"},null,"x"]}')).toEqual([{ Effect: 'Allow' }]);
    expect(statementsOf('{"Statement":{"Effect":"Deny"}}')).toEqual([{ Effect: 'Deny' }]);
  });

  test.each([[undefined], [42], ['not json'], ['null'], ['"text"'], ['{"Version":"2012-10-17"}']])('cannot read %p', (policy) => {
    expect(statementsOf(policy)).toBeUndefined();
  });

  test('lists elements and recognises wildcard principals', () => {
    expect(listOf(undefined)).toEqual([]);
    expect(listOf(null)).toEqual([]);
    expect(listOf(false)).toEqual(['false']);
    expect(listOf(['a', 'b'])).toEqual(['a', 'b']);
    expect([
      isWildcardPrincipal('*'),
      isWildcardPrincipal({ AWS: ['x', '*'] }),
      isWildcardPrincipal({ Service: 'sns.amazonaws.com' }),
    ]).toEqual([true, true, false]);
    expect([isWildcardPrincipal(undefined), isWildcardPrincipal('arn:aws:iam::1:root')]).toEqual([false, false]);
    expect([statementName({ Sid: 'A' }, 0), statementName({}, 2)]).toEqual(['statement "A"', 'statement #3']);
  });
});

describe('tracing switches', () => {
  const fn = (tracingConfig: unknown) =>
    new TerraformModel({ resource: { aws_lambda_function: { f: tracingConfig === undefined ? {} : { tracing_config: tracingConfig } } } })
      .resources[0];
  const stage = (enabled: unknown) =>
    new TerraformModel({ resource: { aws_api_gateway_stage: { s: { xray_tracing_enabled: enabled } } } }).resources[0];
  const when = (condition: string) => ({ kind: 'when' as const, condition });

  test.each<[unknown, ReturnType<typeof functionTracing>]>([
    [{ mode: 'Active' }, { kind: 'on' }],
    [[{ mode: 'Active' }], { kind: 'on' }],
    [undefined, { kind: 'off' }],
    [{}, { kind: 'off' }],
    [{ mode: 'PassThrough' }, { kind: 'off' }],
    [{ mode: '${var.enable_xray ? "Active" : "PassThrough"}' }, when('var.enable_xray')],
    [{ mode: '${ (var.a &&  var.b) ?"Active":"PassThrough" }' }, when('var.a && var.b')],
    [{ mode: '${var.env == "prod:eu" ? "Active" : "PassThrough"}' }, when('var.env == "prod:eu"')],
    [{ mode: '${true ? "Active" : "PassThrough"}' }, { kind: 'on' }],
    [{ mode: '${(false) ? "Active" : "PassThrough"}' }, { kind: 'off' }],
    [{ mode: '${var.enable_xray ? "PassThrough" : "Active"}' }, undefined],
    [{ mode: '${var.a ? var.b : var.c ? "Active" : "PassThrough"}' }, undefined],
    [{ mode: '${var.a} ${var.b ? "Active" : "PassThrough"}' }, undefined],
    [{ mode: '${ ? "Active" : "PassThrough"}' }, undefined],
    [{ mode: '${var.mode}' }, undefined],
    [{ mode: 42 }, undefined],
  ])('reads the function tracing %j', (tracingConfig, expected) => {
    expect(functionTracing(fn(tracingConfig))).toEqual(expected);
  });

  test.each<[unknown, ReturnType<typeof stageTracing>]>([
    [true, { kind: 'on' }],
    ['true', { kind: 'on' }],
    [false, { kind: 'off' }],
    ['false', { kind: 'off' }],
    [undefined, { kind: 'off' }],
    [null, { kind: 'off' }],
    ['${var.enable_xray}', when('var.enable_xray')],
    ['${(var.a && var.b)}', when('var.a && var.b')],
    ['${!var.enable_xray}', when('!var.enable_xray')],
    ['${var.a}${var.b}', undefined],
    ['${var.a ? true : false}', undefined],
    [1, undefined],
  ])('reads the stage tracing %p', (enabled, expected) => {
    expect(stageTracing(stage(enabled))).toEqual(expected);
  });

  test('normalizes conditions: whitespace, and parentheses around the whole only', () => {
    expect(normalizeCondition(' ( (var.a &&\n  var.b) ) ')).toBe('var.a && var.b');
    expect(normalizeCondition('(var.a) && (var.b)')).toBe('(var.a) && (var.b)');
    expect(normalizeCondition('(var.a')).toBe('(var.a');
  });

  const tracingViolations = (functions: Record<string, unknown>, stages: Record<string, unknown>) =>
    evaluatePolicy(
      new TerraformModel({
        resource: {
          aws_lambda_function: Object.fromEntries(Object.entries(functions).map(([name, mode]) => [name, { tracing_config: { mode } }])),
          aws_api_gateway_stage: Object.fromEntries(
            Object.entries(stages).map(([name, enabled]) => [name, { xray_tracing_enabled: enabled }]),
          ),
        },
      }),
      POLICY_RULES.filter((rule) => rule.id.includes('tracing')),
    ).map((v) => `${v.ruleId} ${v.address}: ${v.message}`);

  test('on a tie the functions’ switch wins, and the stage is the one that differs', () => {
    expect(tracingViolations({ f: 'Active' }, { s: '${var.x}' })).toEqual([
      'tracing-consistent aws_api_gateway_stage.s: traces when var.x, but 1 other function(s) and stage(s) trace always ' +
        "(aws_lambda_function.f): a request's trace breaks where they disagree; make them follow the same switch",
    ]);
  });

  test('lists at most three of the constructs that follow the switch', () => {
    const on = '${var.x ? "Active" : "PassThrough"}';
    expect(tracingViolations({ a: on, b: on, c: on, d: on, e: 'Active' }, {})).toEqual([
      expect.stringContaining('trace when var.x (aws_lambda_function.a, aws_lambda_function.b, aws_lambda_function.c, …)'),
    ]);
  });

  test('untraced and unreadable ones are reported by lambda-tracing and api-tracing only', () => {
    expect(tracingViolations({ f: 'PassThrough', g: '${var.mode}', h: 'Active' }, { s: false, t: true })).toEqual([
      'lambda-tracing aws_lambda_function.f: tracing_config.mode is "PassThrough"; it must be "Active" or ${<switch> ? "Active" : "PassThrough"}',
      'lambda-tracing aws_lambda_function.g: tracing_config.mode is "${var.mode}"; it must be "Active" or ${<switch> ? "Active" : "PassThrough"}',
      'api-tracing aws_api_gateway_stage.s: xray_tracing_enabled is false; it must be true or ${<switch>}',
    ]);
  });
});

describe('the resource model', () => {
  const config: SynthesizedConfig = {
    resource: {
      aws_sqs_queue: {
        main: { name: 'main', '//': { metadata: { path: 'stack/main' } } },
        bare: { name: 'bare' },
      },
    },
    provider: { aws: [{ region: 'eu-west-1' }, { region: 'us-east-1', alias: 'us' }] },
  };
  const model = new TerraformModel(config, new Map([['provider.aws', 'stack/aws']]));

  test('keeps each resource’s construct path, or its address when it has no metadata', () => {
    expect(model.resources.map((r) => [r.address, r.path, r.config])).toEqual([
      ['aws_sqs_queue.main', 'stack/main', { name: 'main' }],
      ['aws_sqs_queue.bare', 'aws_sqs_queue.bare', { name: 'bare' }],
    ]);
    expect(model.providers.map((p) => [p.address, p.path])).toEqual([
      ['provider.aws', 'stack/aws'],
      ['provider.aws.us', 'provider.aws.us'],
    ]);
    expect(new TerraformModel({}).resources).toEqual([]);
  });

  test('finds references inside interpolations only, in nested values', () => {
    const value = {
      a: '${aws_sqs_queue.main.arn}',
      b: ['plain aws_sqs_queue.bare.arn', '${element(split(":", aws_sqs_queue.bare.url), 4)}'],
      c: '${data.aws_partition.partition.partition}:${var.function_timeouts.validator}',
      d: 7,
    };
    expect(referencesIn(value)).toEqual([
      { address: 'aws_sqs_queue.main', attribute: 'arn' },
      { address: 'aws_sqs_queue.bare', attribute: 'url' },
    ]);
    const [main, bare] = model.resources;
    expect([refersTo(value, main), refersTo(value, main, 'url'), refersTo(value, bare, 'url')]).toEqual([true, false, true]);
    expect(model.referenced(value, 'aws_sqs_queue').map((r) => r.name)).toEqual(['main', 'bare']);
    expect(model.referenced('${aws_sqs_queue.main.arn} ${aws_sqs_queue.main.arn}', 'aws_sqs_queue', 'arn')).toHaveLength(1);
    expect(model.referenced('${aws_sqs_queue.main.arn}', 'aws_sns_topic')).toEqual([]);
  });

  test('reads single blocks written as objects or one-element lists', () => {
    expect(block({ mode: 'Active' })).toEqual({ mode: 'Active' });
    expect(block([{ mode: 'Active' }])).toEqual({ mode: 'Active' });
    expect([block(undefined), block([]), block('x')]).toEqual([undefined, undefined, undefined]);
  });
});

describe('rules on configurations the stack never builds', () => {
  const violations = (resource: SynthesizedConfig['resource'], provider?: SynthesizedConfig['provider'], onlyPrefix = '') =>
    evaluatePolicy(
      new TerraformModel({ resource, provider }),
      POLICY_RULES.filter((rule) => rule.id.startsWith(onlyPrefix)),
    ).map((v) => `${v.ruleId} ${v.address}: ${v.message}`);
  const tlsOnly = (queue: string) => ({
    policy: JSON.stringify({
      Statement: [{ Effect: 'Deny', Principal: '*', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': false } } }],
    }),
    queue_url: `\${aws_sqs_queue.${queue}.id}`,
  });

  test('an empty configuration passes, and every rule has a requirement and an id', () => {
    expect(violations(undefined)).toEqual([]);
    expect(POLICY_RULES.every((rule) => rule.id && rule.requirement)).toBe(true);
  });

  test('unset queue and function attributes take AWS defaults: 30 s visibility, 3 s timeout, 4 days retention', () => {
    const resource = {
      aws_sqs_queue: {
        q: { sqs_managed_sse_enabled: true, redrive_policy: '{"deadLetterTargetArn":"${aws_sqs_queue.d.arn}","maxReceiveCount":"5"}' },
        d: { sqs_managed_sse_enabled: true },
      },
      aws_sqs_queue_policy: { qp: tlsOnly('q'), dp: tlsOnly('d') },
      aws_lambda_function: { f: {} },
      aws_lambda_event_source_mapping: {
        linked: { event_source_arn: '${aws_sqs_queue.q.arn}', function_name: '${aws_lambda_function.f.arn}' },
        byName: { event_source_arn: '${aws_sqs_queue.q.arn}', function_name: 'not-a-reference' },
        elsewhere: { event_source_arn: 'arn:aws:sqs:us-east-1:1:elsewhere', function_name: 'x' },
      },
    };
    expect(violations(resource, undefined, 'sqs-')).toEqual([]);
  });

  test('a queue declared a DLQ by its own aws_sqs_queue_redrive_allow_policy need not redrive; other queues must', () => {
    const resource = {
      aws_sqs_queue: { d: { sqs_managed_sse_enabled: true }, lone: { sqs_managed_sse_enabled: true } },
      aws_sqs_queue_policy: { dp: tlsOnly('d'), lp: tlsOnly('lone') },
      aws_sqs_queue_redrive_allow_policy: {
        a: { queue_url: '${aws_sqs_queue.d.url}', redrive_allow_policy: '{"redrivePermission":"allowAll"}' },
      },
    };
    expect(violations(resource, undefined, 'sqs-').map((v) => v.split(':')[0])).toEqual(['sqs-redrive aws_sqs_queue.lone']);
  });

  test('a KMS statement without principal, a method without parameters, providers of other clouds', () => {
    const resource = {
      aws_kms_key: {
        k: {
          enable_key_rotation: true,
          policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*' }] }),
        },
      },
      aws_api_gateway_request_validator: { v: { validate_request_parameters: false } },
      aws_api_gateway_method: { m: { request_validator_id: '${aws_api_gateway_request_validator.v.id}' } },
    };
    expect(violations(resource, { google: [{ project: 'p' }] })).toEqual([]);
  });

  test('an identity policy statement that denies is not judged; a trust policy without principal is', () => {
    const resource = {
      aws_iam_policy: { p: { policy: JSON.stringify({ Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] }) } },
      aws_iam_role: { r: { assume_role_policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole' }] }) } },
    };
    expect(violations(resource)).toEqual([
      'iam-trust-policy aws_iam_role.r: assume_role_policy statement #1 lets undefined assume the role; only AWS service principals (Principal.Service) may',
    ]);
  });

  test('a stage without method settings is neither throttled nor measured', () => {
    const resource = {
      aws_cloudwatch_log_group: { g: { retention_in_days: '${var.days}' } },
      aws_api_gateway_stage: {
        s: {
          access_log_settings: { destination_arn: '${aws_cloudwatch_log_group.g.arn}', format: '{}' },
          xray_tracing_enabled: '${var.enable_xray}',
        },
      },
    };
    expect(violations(resource)).toEqual([
      'api-throttling aws_api_gateway_stage.s: is not throttled: its "*/*" method settings need positive throttling_rate_limit and throttling_burst_limit (got unset, unset)',
      'api-metrics-and-logging aws_api_gateway_stage.s: its "*/*" method settings need metrics_enabled = true and logging_level ERROR or INFO (got unset, unset)',
    ]);
  });

  test('default tags given as a literal map pass; a bare variable does not', () => {
    const tagged = (tags: unknown) => ({ aws: [{ default_tags: [{ tags }] }] });
    expect(violations({}, tagged({ Project: 'p', Environment: 'e', ManagedBy: 'm', Team: 't' }))).toEqual([]);
    expect(violations({}, tagged('${{"Project" = "p", Environment = var.e, "ManagedBy" = "m"}}'))).toEqual([]);
    expect(violations({}, tagged('${var.tags}'))).toEqual([
      'tags-provider-defaults provider.aws: default_tags do not fix Project, Environment, ManagedBy (give them in a literal map, last in merge())',
    ]);
    expect(violations({}, { aws: [{}] })).toHaveLength(1);
  });
});

describe('the rule catalogue and docs/POLICY.md', () => {
  const section = fs.readFileSync(path.resolve(__dirname, '../../../docs/POLICY.md'), 'utf8');

  test('keeps its ids and order, each id once, with the new tracing-consistent after api-tracing', () => {
    expect(POLICY_RULES.map((rule) => rule.id)).toEqual([
      'sqs-encrypted',
      'sqs-tls-only',
      'sqs-redrive',
      'sqs-visibility-timeout',
      'sqs-dlq-retention',
      'sqs-retry-schedule-fits',
      'lambda-reserved-concurrency',
      'lambda-event-source-concurrency',
      'lambda-tracing',
      'lambda-log-group',
      'lambda-own-role',
      'iam-no-wildcard-actions',
      'iam-wildcard-resource',
      'iam-trust-policy',
      'kms-key-policy',
      'kms-rotation',
      'resource-policy-not-public',
      'api-access-logging',
      'api-throttling',
      'api-metrics-and-logging',
      'api-no-data-trace',
      'api-tracing',
      'tracing-consistent',
      'api-request-validation',
      'sns-encrypted',
      'logs-retention',
      'dynamodb-pitr',
      'tags-provider-defaults',
      'tags-no-override',
    ]);
    expect([MIN_MAX_RECEIVE_COUNT, VISIBILITY_TIMEOUT_MULTIPLE]).toEqual([5, 6]);
  });

  test('the rule table lists every rule with its public scanner ids', () => {
    for (const rule of POLICY_RULES) {
      const row = section.split('\n').find((line) => line.startsWith(`| \`${rule.id}\` |`));
      expect({ rule: rule.id, row }).toEqual({ rule: rule.id, row: expect.any(String) });
      for (const id of rule.scanners.filter((s) => /^(CKV|AVD)/.test(s))) expect(row).toContain(`\`${id}\``);
    }
  });

  test('every Resource "*" exception is listed, and the default tags are named', () => {
    for (const action of Object.keys(WILDCARD_RESOURCE_ACTIONS)) expect(section).toContain(`| \`${action}\` |`);
    for (const key of DEFAULT_TAG_KEYS) expect(section).toContain(`\`${key}\``);
  });
});
