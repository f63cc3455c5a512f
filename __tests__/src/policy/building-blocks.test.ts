/**
 * The policy check's building blocks, on hand-written Terraform JSON: expression reading,
 * policy documents, the resource model, and rule edge cases the real stack never shows.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MAX_RECEIVE_COUNT } from '../../../src/constructs/queue-with-dlq';
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
import { VISIBILITY_TIMEOUT_FACTOR } from '../../../stacks/webhook-pipeline-stack';
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
    expect([isWildcardPrincipal('*'), isWildcardPrincipal({ AWS: ['x', '*'] }), isWildcardPrincipal({ Service: 'sns.amazonaws.com' })]).toEqual([true, true, false]);
    expect([isWildcardPrincipal(undefined), isWildcardPrincipal('arn:aws:iam::1:root')]).toEqual([false, false]);
    expect([statementName({ Sid: 'A' }, 0), statementName({}, 2)]).toEqual(['statement "A"', 'statement #3']);
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

  test('a KMS statement without principal, a method without parameters, providers of other clouds', () => {
    const resource = {
      aws_kms_key: {
        k: { enable_key_rotation: true, policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*' }] }) },
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
        s: { access_log_settings: { destination_arn: '${aws_cloudwatch_log_group.g.arn}', format: '{}' }, xray_tracing_enabled: '${var.enable_xray}' },
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

describe('the README and the stack agree with the rules', () => {
  const readme = fs.readFileSync(path.resolve(__dirname, '../../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Policy checks'), readme.indexOf('## Bad input'));

  test('the rule table lists every rule with its public scanner ids', () => {
    for (const rule of POLICY_RULES) {
      const row = section.split('\n').find((line) => line.startsWith(`| \`${rule.id}\` |`));
      expect(row).toBeDefined();
      for (const id of rule.scanners.filter((s) => /^(CKV|AVD)/.test(s))) expect(row).toContain(`\`${id}\``);
    }
  });

  test('every Resource "*" exception is listed, and the default tags are named', () => {
    for (const action of Object.keys(WILDCARD_RESOURCE_ACTIONS)) expect(section).toContain(`| \`${action}\` |`);
    for (const key of DEFAULT_TAG_KEYS) expect(section).toContain(`\`${key}\``);
  });

  test('the stack’s own constants meet the policy', () => {
    expect(VISIBILITY_TIMEOUT_FACTOR).toBeGreaterThanOrEqual(VISIBILITY_TIMEOUT_MULTIPLE);
    expect(MAX_RECEIVE_COUNT).toBeGreaterThanOrEqual(MIN_MAX_RECEIVE_COUNT);
  });
});
