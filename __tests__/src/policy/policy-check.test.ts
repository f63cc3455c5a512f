/**
 * The policy check on small stacks built from provider resources: the compliant set passes, and
 * for every rule a deliberately broken resource makes synth fail with that rule's id and the
 * construct's path. Then how the check hooks into synth, and suppressions.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SqsQueueRedrivePolicy } from '@cdktf/provider-aws/lib/sqs-queue-redrive-policy';
import { App, Aspects, Fn, Op, TerraformStack, TerraformVariable, Testing, Token } from 'cdktf';
import type { IConstruct } from 'constructs';
import {
  evaluatePolicy,
  formatSuppressed,
  MIN_REASON_LENGTH,
  modelOf,
  PolicyCheck,
  PolicyViolationError,
  type PolicyViolation,
  suppressPolicyRule,
} from '../../../src/policy/policy-check';
import { POLICY_RULES, type PolicyRule } from '../../../src/policy/rules';
import { ACCOUNT_ROOT, buildCompliant, checkedCompliantStack, type CompliantStack, doc, STACK } from './compliant-stack';

type Change = (c: CompliantStack) => void;

const SUPPRESSIONS = Symbol.for('webhook-pipeline.policy-suppressions');
const REASON = 'the queue holds only public test fixtures';

/** Synthesizes with `Testing.synth`; returns the policy violations it failed with (none if it passed). */
function synthViolations(stack: TerraformStack): { violations: readonly PolicyViolation[]; message: string } {
  try {
    Testing.synth(stack);
    return { violations: [], message: '' };
  } catch (error) {
    if (error instanceof PolicyViolationError) return { violations: error.violations, message: error.message };
    throw error;
  }
}

/** Files (not folders) under `dir`: cdktf's App creates an empty `stacks/` folder before synth. */
const filesUnder = (dir: string): string[] =>
  fs.existsSync(dir)
    ? fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => fs.statSync(path.join(dir, f)).isFile())
    : [];

const warningsOn = (construct: IConstruct): unknown[] =>
  construct.node.metadata.filter((entry) => entry.type === '@cdktf/warn').map((entry) => entry.data);

/** [rule, what is broken, construct path(s) under the stack that must be named, how to break it] */
const BROKEN: ReadonlyArray<[string, string, string[], Change]> = [
  [
    'sqs-encrypted',
    'a queue without SSE or KMS',
    ['ingest/queue'],
    (c) => {
      c.queue.sqsManagedSseEnabled = false;
    },
  ],
  [
    'sqs-tls-only',
    'a queue policy that denies only SendMessage without TLS',
    ['ingest/queue'],
    (c) => {
      c.queuePolicy.policy = doc({
        Effect: 'Deny',
        Principal: '*',
        Action: 'sqs:SendMessage',
        Resource: c.queue.arn,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      });
    },
  ],
  [
    'sqs-redrive',
    'a main queue without redrive policy',
    ['ingest/queue'],
    (c) => {
      c.queue.resetRedrivePolicy();
    },
  ],
  [
    'sqs-redrive',
    'maxReceiveCount 3',
    ['ingest/queue'],
    (c) => {
      c.queue.redrivePolicy = JSON.stringify({ deadLetterTargetArn: c.dlq.arn, maxReceiveCount: 3 });
    },
  ],
  [
    'sqs-redrive',
    'a redrive target outside the stack',
    ['ingest/queue'],
    (c) => {
      c.queue.redrivePolicy = JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:123456789012:elsewhere', maxReceiveCount: 5 });
    },
  ],
  [
    'sqs-redrive',
    'a redrive policy that is an expression',
    ['ingest/queue'],
    (c) => {
      c.queue.redrivePolicy = '${jsonencode({maxReceiveCount = 5})}';
    },
  ],
  [
    'sqs-visibility-timeout',
    'visibility 5 × the consumer timeout',
    ['ingest/queue'],
    (c) => {
      c.queue.visibilityTimeoutSeconds = Op.mul(c.functionTimeout.numberValue, 5);
    },
  ],
  [
    'sqs-visibility-timeout',
    'a fixed visibility against a variable timeout',
    ['ingest/queue'],
    (c) => {
      c.queue.visibilityTimeoutSeconds = 900;
    },
  ],
  [
    'sqs-dlq-retention',
    'a DLQ keeping messages 1 hour',
    ['ingest/dlq'],
    (c) => {
      c.dlq.messageRetentionSeconds = 3600;
    },
  ],
  [
    'sqs-dlq-retention',
    'a DLQ retention that is an expression',
    ['ingest/dlq'],
    (c) => {
      c.dlq.messageRetentionSeconds = Token.asNumber('${var.log_retention_days * 86400}');
    },
  ],
  [
    'sqs-retry-schedule-fits',
    'a an 8-step retry schedule of 6.9 days on a queue that allows 5 receives and keeps messages 4 days',
    ['ingest/queue', 'ingest/queue'],
    (c) => {
      c.validator.function.putEnvironment({ variables: { DELIVERY_RETRY_SCHEDULE: '[5,300,1800,7200,18000,36000,36000,500000]' } });
    },
  ],
  [
    'sqs-retry-schedule-fits',
    'a plan-time retry schedule on a queue whose receives and retention are constants',
    ['ingest/queue'],
    (c) => {
      c.validator.function.putEnvironment({ variables: { DELIVERY_RETRY_SCHEDULE: '${jsonencode(var.delivery_retry_schedule)}' } });
    },
  ],
  [
    'lambda-reserved-concurrency',
    'a function without reserved concurrency',
    ['validator/function'],
    (c) => {
      c.validator.function.resetReservedConcurrentExecutions();
    },
  ],
  [
    'lambda-event-source-concurrency',
    'a mapping allowed more than the reserved concurrency',
    ['validator/event-source'],
    (c) => {
      c.eventSource.addOverride('scaling_config.maximum_concurrency', 200);
    },
  ],
  [
    'lambda-event-source-concurrency',
    'a mapping without maximum concurrency',
    ['validator/event-source'],
    (c) => {
      c.eventSource.resetScalingConfig();
    },
  ],
  [
    'lambda-event-source-concurrency',
    'two mappings that together exceed it',
    ['validator/function'],
    (c) => {
      c.eventSource.addOverride('scaling_config.maximum_concurrency', 6);
      new LambdaEventSourceMapping(c.validator.scope, 'second-mapping', {
        eventSourceArn: c.queue.arn,
        functionName: c.validator.function.arn,
        scalingConfig: { maximumConcurrency: 6 },
      });
    },
  ],
  [
    'lambda-tracing',
    'tracing switched off by a literal',
    ['validator/function'],
    (c) => {
      c.validator.function.putTracingConfig({ mode: 'PassThrough' });
    },
  ],
  [
    'lambda-tracing',
    'a function without tracing config',
    ['processor/function'],
    (c) => {
      c.processor.function.resetTracingConfig();
    },
  ],
  [
    'lambda-tracing',
    'a conditional that traces when the switch is off',
    ['processor/function'],
    (c) => {
      c.processor.function.putTracingConfig({ mode: Fn.conditional(c.enableXray.booleanValue, 'PassThrough', 'Active') });
    },
  ],
  [
    'lambda-log-group',
    'a function logging to another function’s group',
    ['validator/function', 'processor/function'],
    (c) => {
      c.processor.function.putLoggingConfig({ logFormat: 'JSON', logGroup: c.validator.logGroup.name });
    },
  ],
  [
    'lambda-log-group',
    'a function whose log group is not in the stack',
    ['processor/function'],
    (c) => {
      c.processor.function.resetLoggingConfig();
      c.processor.logGroup.name = '/custom/processor';
    },
  ],
  [
    'lambda-own-role',
    'two functions sharing a role',
    ['validator/function', 'processor/function'],
    (c) => {
      c.processor.function.role = c.validator.role.arn;
    },
  ],
  [
    'lambda-own-role',
    'a role from outside the stack',
    ['validator/function'],
    (c) => {
      c.validator.function.role = 'arn:aws:iam::123456789012:role/shared';
    },
  ],
  [
    'iam-no-wildcard-actions',
    'sqs:* in a function policy',
    ['validator/policy'],
    (c) => {
      c.validator.policy.policy = doc({ Effect: 'Allow', Action: 'sqs:*', Resource: c.queue.arn });
    },
  ],
  [
    'iam-no-wildcard-actions',
    'NotAction in a function policy, set by a raw override',
    ['validator/policy'],
    (c) => {
      c.validator.policy.addOverride(
        'policy',
        JSON.stringify({ Statement: { Effect: 'Allow', NotAction: 'iam:*', Resource: c.queue.arn } }),
      );
    },
  ],
  [
    'iam-no-wildcard-actions',
    'a policy that is not literal JSON',
    ['validator/policy'],
    (c) => {
      c.validator.policy.policy = '${data.aws_iam_policy_document.elsewhere.json}';
    },
  ],
  [
    'iam-wildcard-resource',
    'SendMessage on Resource "*"',
    ['validator/policy'],
    (c) => {
      c.validator.policy.policy = doc({ Sid: 'Send', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' });
    },
  ],
  [
    'iam-wildcard-resource',
    'NotResource',
    ['validator/policy'],
    (c) => {
      c.validator.policy.policy = doc({ Effect: 'Allow', Action: 'sqs:SendMessage', NotResource: 'arn:aws:sqs:*:*:x' });
    },
  ],
  [
    'iam-trust-policy',
    'a role anyone may assume',
    ['validator/role'],
    (c) => {
      c.validator.role.assumeRolePolicy = doc({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' });
    },
  ],
  [
    'iam-trust-policy',
    'a role trusting an account as well as the service',
    ['processor/role'],
    (c) => {
      c.processor.role.assumeRolePolicy = doc({
        Effect: 'Allow',
        Principal: { Service: 'lambda.amazonaws.com', AWS: ACCOUNT_ROOT },
        Action: 'sts:AssumeRole',
      });
    },
  ],
  [
    'iam-trust-policy',
    'a trust policy allowing sts:*',
    ['processor/role'],
    (c) => {
      c.processor.role.assumeRolePolicy = doc({ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:*' });
    },
  ],
  [
    'kms-key-policy',
    'a key policy allowing "*"',
    ['alarm-topic/key'],
    (c) => {
      c.key.policy = doc({ Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*' });
    },
  ],
  [
    'kms-key-policy',
    'kms:* for a role',
    ['alarm-topic/key'],
    (c) => {
      c.key.policy = doc({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:role/ops' }, Action: 'kms:*', Resource: '*' });
    },
  ],
  [
    'kms-key-policy',
    'a service principal without condition',
    ['alarm-topic/key'],
    (c) => {
      c.key.policy = doc(
        { Effect: 'Allow', Principal: { AWS: ACCOUNT_ROOT }, Action: 'kms:*', Resource: '*' },
        {
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          Resource: '*',
        },
      );
    },
  ],
  [
    'kms-key-policy',
    'a key without policy',
    ['alarm-topic/key'],
    (c) => {
      c.key.resetPolicy();
    },
  ],
  [
    'kms-rotation',
    'a key that never rotates',
    ['alarm-topic/key'],
    (c) => {
      c.key.enableKeyRotation = false;
    },
  ],
  [
    'resource-policy-not-public',
    'a topic anyone may publish to',
    ['alarm-topic/topic-policy'],
    (c) => {
      c.topicPolicy.policy = doc({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sns:Publish', Resource: c.topic.arn });
    },
  ],
  [
    'resource-policy-not-public',
    'a topic policy allowing sns:*',
    ['alarm-topic/topic-policy'],
    (c) => {
      c.topicPolicy.policy = doc({ Effect: 'Allow', Principal: { AWS: ACCOUNT_ROOT }, Action: 'sns:*', Resource: c.topic.arn });
    },
  ],
  [
    'api-access-logging',
    'a stage without access log',
    ['api/stage'],
    (c) => {
      c.stage.resetAccessLogSettings();
    },
  ],
  [
    'api-throttling',
    'throttling switched off (-1)',
    ['api/stage'],
    (c) => {
      c.methodSettings.addOverride('settings.throttling_rate_limit', -1);
    },
  ],
  [
    'api-throttling',
    'no burst limit',
    ['api/stage'],
    (c) => {
      c.methodSettings.addOverride('settings.throttling_burst_limit', null);
    },
  ],
  [
    'api-metrics-and-logging',
    'detailed metrics off',
    ['api/stage'],
    (c) => {
      c.methodSettings.addOverride('settings.metrics_enabled', false);
    },
  ],
  [
    'api-no-data-trace',
    'data trace logging on',
    ['api/method-settings'],
    (c) => {
      c.methodSettings.addOverride('settings.data_trace_enabled', true);
    },
  ],
  [
    'api-tracing',
    'X-Ray switched off by a literal',
    ['api/stage'],
    (c) => {
      c.stage.xrayTracingEnabled = false;
    },
  ],
  [
    'tracing-consistent',
    'one function always traced while the rest follow var.enable_xray',
    ['validator/function'],
    (c) => {
      c.validator.function.putTracingConfig({ mode: 'Active' });
    },
  ],
  [
    'tracing-consistent',
    'a stage following another switch',
    ['api/stage'],
    (c) => {
      c.stage.xrayTracingEnabled = new TerraformVariable(c.stack, 'api_xray', { type: 'bool' }).booleanValue;
    },
  ],
  [
    'api-request-validation',
    'a method without validator',
    ['api/post'],
    (c) => {
      c.post.resetRequestValidatorId();
    },
  ],
  [
    'api-request-validation',
    'a validator that skips parameters',
    ['api/post'],
    (c) => {
      c.validatorResource.validateRequestParameters = false;
    },
  ],
  [
    'sns-encrypted',
    'a topic under the AWS-managed key',
    ['alarm-topic/topic'],
    (c) => {
      c.topic.kmsMasterKeyId = 'alias/aws/sns';
    },
  ],
  [
    'sns-encrypted',
    'an unencrypted topic',
    ['alarm-topic/topic'],
    (c) => {
      c.topic.resetKmsMasterKeyId();
    },
  ],
  [
    'logs-retention',
    'a log group kept forever',
    ['validator/log-group'],
    (c) => {
      c.validator.logGroup.resetRetentionInDays();
    },
  ],
  [
    'logs-retention',
    'retention 0',
    ['api/access-log'],
    (c) => {
      c.accessLog.retentionInDays = 0;
    },
  ],
  [
    'dynamodb-pitr',
    'a table without point-in-time recovery',
    ['table'],
    (c) => {
      c.table.putPointInTimeRecovery({ enabled: false });
    },
  ],
  [
    'tags-provider-defaults',
    'default tags without Environment and ManagedBy',
    ['aws'],
    (c) => {
      c.provider.defaultTags = [{ tags: { Project: 'webhook-pipeline' } }];
    },
  ],
  [
    'tags-provider-defaults',
    'var.tags merged last, so it can override',
    ['aws'],
    (c) => {
      c.provider.defaultTags = [
        {
          tags: Token.asStringMap(
            '${merge({"Project" = "webhook-pipeline", "Environment" = var.environment, "ManagedBy" = "cdktf"}, var.tags)}',
          ),
        },
      ];
    },
  ],
  [
    'tags-provider-defaults',
    'a second provider without default tags',
    ['eu'],
    (c) => {
      new AwsProvider(c.stack, 'eu', { region: 'eu-west-1', alias: 'eu' });
    },
  ],
  [
    'tags-no-override',
    'a resource overriding Environment',
    ['ingest/queue'],
    (c) => {
      c.queue.tags = { Environment: 'prod', Team: 'payments' };
    },
  ],
  [
    'tags-no-override',
    'resource tags from a variable',
    ['ingest/dlq'],
    (c) => {
      c.dlq.tags = Token.asStringMap('${var.tags}');
    },
  ],
];

/** Other ways to satisfy the rules, which must pass too. */
const COMPLIANT: ReadonlyArray<[string, Change]> = [
  [
    'a 4-step retry schedule on a queue that allows 5 receives and keeps messages 4 days',
    (c) => {
      c.validator.function.putEnvironment({ variables: { DELIVERY_RETRY_SCHEDULE: '[5,60,600,3600]' } });
    },
  ],
  [
    'a queue encrypted with a KMS key instead of SSE-SQS',
    (c) => {
      c.queue.sqsManagedSseEnabled = false;
      c.queue.kmsMasterKeyId = 'alias/aws/sqs';
    },
  ],
  [
    'a function found by its /aws/lambda/<name> log group, without logging_config',
    (c) => {
      c.processor.function.resetLoggingConfig();
    },
  ],
  [
    'a redrive policy in its own aws_sqs_queue_redrive_policy',
    (c) => {
      c.queue.resetRedrivePolicy();
      new SqsQueueRedrivePolicy(c.ingest, 'redrive', {
        queueUrl: c.queue.url,
        redrivePolicy: JSON.stringify({ deadLetterTargetArn: c.dlq.arn, maxReceiveCount: 10 }),
      });
    },
  ],
  [
    'fixed timeouts: 60 s visibility for a 10 s function',
    (c) => {
      c.validator.function.timeout = 10;
      c.queue.visibilityTimeoutSeconds = 60;
    },
  ],
  [
    'the visibility timeout written as Op.mul(6, timeout)',
    (c) => {
      c.queue.visibilityTimeoutSeconds = Op.mul(6, c.functionTimeout.numberValue);
    },
  ],
  [
    'cloudwatch:PutMetricData on Resource "*", a listed exception',
    (c) => {
      c.processor.policy.policy = doc({ Effect: 'Allow', Action: ['xray:PutTraceSegments', 'cloudwatch:PutMetricData'], Resource: '*' });
    },
  ],
  [
    'an inline role policy, and a queue policy given on the queue itself',
    (c) => {
      c.validator.role.putInlinePolicy([
        { name: 'extra', policy: doc({ Effect: 'Allow', Action: 'sqs:GetQueueUrl', Resource: c.queue.arn }) },
      ]);
      c.ingest.node.tryRemoveChild('dlq-policy');
      c.dlq.policy = doc({
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: '*',
        Resource: c.dlq.arn,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      });
    },
  ],
  [
    'resource tags that leave the default tags alone',
    (c) => {
      c.queue.tags = { Team: 'payments' };
    },
  ],
  [
    'default tags merged over var.tags, the literal map last',
    (c) => {
      c.provider.defaultTags = [
        {
          tags: Token.asStringMap(
            '${merge(var.tags, {"Project" = "webhook-pipeline", "Environment" = var.environment, "ManagedBy" = "cdktf"})}',
          ),
        },
      ];
    },
  ],
  [
    'tracing always on, everywhere',
    (c) => {
      c.validator.function.putTracingConfig({ mode: 'Active' });
      c.processor.function.putTracingConfig({ mode: 'Active' });
      c.stage.xrayTracingEnabled = true;
    },
  ],
  [
    'tracing following a compound switch that cdktf parenthesizes, everywhere',
    (c) => {
      const both = Op.and(c.enableXray.booleanValue, new TerraformVariable(c.stack, 'xray_in_this_region', { type: 'bool' }).booleanValue);
      c.validator.function.putTracingConfig({ mode: Fn.conditional(both, 'Active', 'PassThrough') });
      c.processor.function.putTracingConfig({ mode: Fn.conditional(both, 'Active', 'PassThrough') });
      c.stage.xrayTracingEnabled = both as unknown as boolean;
    },
  ],
];

describe('policy check on a compliant stack and broken copies of it', () => {
  test('the compliant stack passes every rule', () => {
    const { stack } = checkedCompliantStack();
    expect(evaluatePolicy(modelOf(stack))).toEqual([]);
    expect(synthViolations(stack).violations).toEqual([]);
    expect(PolicyCheck.of(stack)?.lastReport).toEqual({ violations: [], suppressed: [], evaluatedRules: POLICY_RULES.length });
  });

  test('every rule has a broken-construct case below', () => {
    expect(new Set(BROKEN.map(([rule]) => rule))).toEqual(new Set(POLICY_RULES.map((rule) => rule.id)));
  });

  test.each(BROKEN)('%s: %s fails synth naming the rule and the construct', (rule, _what, paths, breakIt) => {
    const parts = checkedCompliantStack();
    breakIt(parts);
    const { violations, message } = synthViolations(parts.stack);
    expect(violations.map((v) => [v.ruleId, v.path])).toEqual(paths.map((p) => [rule, `${STACK}/${p}`]));
    for (const p of paths) expect(message).toContain(`[${rule}] ${STACK}/${p} (`);
  });

  test.each(COMPLIANT)('passes with %s', (_what, change) => {
    const parts = checkedCompliantStack();
    change(parts);
    expect(synthViolations(parts.stack).violations).toEqual([]);
  });

  test('names the switch in tracing messages', () => {
    const parts = checkedCompliantStack();
    parts.validator.function.putTracingConfig({ mode: 'Active' });
    expect(synthViolations(parts.stack).message).toContain(
      `[tracing-consistent] ${STACK}/validator/function (aws_lambda_function.validator_function_`,
    );
    expect(synthViolations(parts.stack).message).toContain(
      `traces always, but 2 other function(s) and stage(s) trace when var.enable_xray (${STACK}/processor/function, ${STACK}/api/stage)`,
    );
  });
});

describe('how the policy check runs in synth', () => {
  const appIn = (outdir: string, hclOutput = false) => new App({ outdir, hclOutput });
  const breakEncryption: Change = (c) => {
    c.queue.sqsManagedSseEnabled = false;
  };

  test('app.synth() throws before writing the stack’s configuration or the manifest', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-synth-'));
    const app = appIn(outdir);
    breakEncryption(checkedCompliantStack(app));
    expect(() => app.synth()).toThrow(
      /\[sqs-encrypted\] policy-test\/ingest\/queue \(aws_sqs_queue\.ingest_queue_\w+\): is not encrypted at rest/,
    );
    expect(fs.existsSync(path.join(outdir, 'stacks', STACK, 'cdk.tf.json'))).toBe(false);
    expect(filesUnder(outdir)).toEqual([]);
  });

  test('app.synth() of a compliant stack writes the configuration the check saw, resolving it once', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-synth-'));
    const app = appIn(outdir);
    const toTerraform = jest.spyOn(TerraformStack.prototype, 'toTerraform');
    try {
      const { stack } = checkedCompliantStack(app);
      app.synth();
      expect(toTerraform).toHaveBeenCalledTimes(1);
      const written = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', STACK, 'cdk.tf.json'), 'utf8'));
      expect(written).toEqual(JSON.parse(JSON.stringify(toTerraform.mock.results[0].value)));
      expect(Object.keys(written.resource.aws_sqs_queue)).toHaveLength(2);
      expect(PolicyCheck.of(stack)?.lastReport?.violations).toEqual([]);
    } finally {
      toTerraform.mockRestore();
    }
  });

  test('cdktf synth --hcl is checked too: nothing is written for a broken stack', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-hcl-'));
    const app = appIn(outdir, true);
    breakEncryption(checkedCompliantStack(app));
    expect(() => app.synth()).toThrow(PolicyViolationError);
    expect(filesUnder(outdir)).toEqual([]);

    const compliant = checkedCompliantStack();
    expect(Testing.synthHcl(compliant.stack)).toContain('resource "aws_sqs_queue"');
    breakEncryption(compliant);
    expect(() => Testing.synthHcl(compliant.stack)).toThrow('[sqs-encrypted] policy-test/ingest/queue');
  });

  test('sees what aspects change, because it reads the final configuration', () => {
    const parts = checkedCompliantStack();
    Aspects.of(parts.stack).add({
      visit: (node) => {
        if (node instanceof SqsQueue) node.sqsManagedSseEnabled = false;
      },
    });
    expect(synthViolations(parts.stack).violations.map((v) => [v.ruleId, v.path])).toEqual([
      ['sqs-encrypted', `${STACK}/ingest/dlq`],
      ['sqs-encrypted', `${STACK}/ingest/queue`],
    ]);
  });

  test('Testing.synthScope sees the check of the stack it builds', () => {
    expect(() =>
      Testing.synthScope((scope) => {
        const stack = scope as TerraformStack;
        breakEncryption(buildCompliant(stack));
        PolicyCheck.applyTo(stack);
      }),
    ).toThrow(/\[sqs-encrypted\] stack\/ingest\/queue/);
  });

  test('a process synthesizing a broken stack exits non-zero, naming rule and construct on stderr, and writes nothing', () => {
    const outdir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'policy-process-')), 'cdktf.out');
    const result = spawnSync(process.execPath, ['-r', 'esbuild-register', path.join(__dirname, 'fixtures', 'broken-app.ts')], {
      cwd: path.resolve(__dirname, '../../..'),
      env: { ...process.env, CDKTF_OUTDIR: outdir },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('PolicyViolationError');
    expect(result.stderr).toMatch(
      /\[sqs-encrypted\] policy-test\/ingest\/queue \(aws_sqs_queue\.ingest_queue_\w+\): is not encrypted at rest/,
    );
    expect(filesUnder(outdir)).toEqual([]);
  });

  test('applyTo is idempotent, and refuses a second, different rule set', () => {
    const { stack } = checkedCompliantStack();
    const check = PolicyCheck.of(stack)!;
    expect(PolicyCheck.applyTo(stack)).toBe(check);
    expect(PolicyCheck.applyTo(stack, { rules: POLICY_RULES })).toBe(check);
    expect(() => PolicyCheck.applyTo(stack, { rules: [] })).toThrow(`stack ${STACK} already has a policy check with other rules`);
    expect(PolicyCheck.of(new TerraformStack(Testing.app(), 'unchecked'))).toBeUndefined();
  });

  test('modelOf reads a broken stack without running its check', () => {
    const parts = checkedCompliantStack();
    breakEncryption(parts);
    expect(evaluatePolicy(modelOf(parts.stack)).map((v) => v.ruleId)).toEqual(['sqs-encrypted']);
    expect(PolicyCheck.of(parts.stack)?.lastReport).toBeUndefined();
  });

  test('applies any rule set; a violation that names no construct belongs to the stack', () => {
    const stack = new TerraformStack(Testing.app(), 'other');
    const noisy: PolicyRule = {
      id: 'always',
      requirement: 'for the test',
      scanners: [],
      check: () => [{ subject: { type: 'x', address: 'provider.x', path: 'nowhere', config: {} }, message: 'fails' }],
    };
    const check = PolicyCheck.applyTo(stack, { rules: [noisy] });
    expect(() => Testing.synth(stack)).toThrow('[always] nowhere (provider.x): fails');
    expect(check.lastReport).toEqual({
      violations: [{ ruleId: 'always', path: 'nowhere', address: 'provider.x', message: 'fails' }],
      suppressed: [],
      evaluatedRules: 1,
    });
    suppressPolicyRule(stack, 'always', 'the test rule fails on purpose');
    expect(() => Testing.synth(stack)).not.toThrow();
    expect(check.lastReport?.suppressed.map((s) => [s.path, s.suppressedAt])).toEqual([['nowhere', 'other']]);

    const empty = new TerraformStack(Testing.app(), 'empty');
    PolicyCheck.applyTo(empty);
    expect(() => Testing.synth(empty)).not.toThrow();
  });
});

describe('suppressions', () => {
  test('a suppressed violation does not fail synth; it is reported with its reason and warned about', () => {
    const parts = checkedCompliantStack();
    parts.queue.sqsManagedSseEnabled = false;
    suppressPolicyRule(parts.queue, 'sqs-encrypted', `  ${REASON} `);
    expect(() => Testing.synth(parts.stack)).not.toThrow();
    const report = PolicyCheck.of(parts.stack)!.lastReport!;
    expect(report.violations).toEqual([]);
    expect(report.suppressed).toEqual([
      expect.objectContaining({
        ruleId: 'sqs-encrypted',
        path: `${STACK}/ingest/queue`,
        reason: REASON,
        suppressedAt: `${STACK}/ingest/queue`,
      }),
    ]);
    const line = formatSuppressed(report.suppressed[0]);
    expect(line).toMatch(/^\[sqs-encrypted\] policy-test\/ingest\/queue \(aws_sqs_queue\.\w+\): is not encrypted at rest/);
    expect(line).toMatch(/ \(suppressed at policy-test\/ingest\/queue: the queue holds only public test fixtures\)$/);
    expect(warningsOn(parts.queue)).toEqual([
      `Policy rule sqs-encrypted is suppressed for ${STACK}/ingest/queue and everything under it: ${REASON}`,
    ]);
  });

  test('a suppression covers its scope and everything under it; the nearest one gives the reason', () => {
    const parts = checkedCompliantStack();
    parts.queue.sqsManagedSseEnabled = false;
    parts.dlq.sqsManagedSseEnabled = false;
    suppressPolicyRule(parts.ingest, 'sqs-encrypted', 'both queues are encrypted by an organization SCP');
    suppressPolicyRule(parts.dlq, 'sqs-encrypted', 'the DLQ holds only message ids, nothing sensitive');
    Testing.synth(parts.stack);
    expect(PolicyCheck.of(parts.stack)!.lastReport!.suppressed.map((s) => [s.path, s.suppressedAt, s.reason])).toEqual([
      [`${STACK}/ingest/dlq`, `${STACK}/ingest/dlq`, 'the DLQ holds only message ids, nothing sensitive'],
      [`${STACK}/ingest/queue`, `${STACK}/ingest`, 'both queues are encrypted by an organization SCP'],
    ]);
  });

  test('a suppression on the stack covers its provider blocks; one on the app covers every stack', () => {
    const app = Testing.app();
    const parts = checkedCompliantStack(app);
    parts.provider.defaultTags = [];
    suppressPolicyRule(parts.stack, 'tags-provider-defaults', 'tags are set by the account’s tag policy');
    suppressPolicyRule(app, 'kms-rotation', 'keys are rotated by the security team’s runbook');
    parts.key.enableKeyRotation = false;
    Testing.synth(parts.stack);
    const suppressed = PolicyCheck.of(parts.stack)!.lastReport!.suppressed;
    expect(suppressed.map((s) => [s.ruleId, s.path, s.suppressedAt])).toEqual([
      ['kms-rotation', `${STACK}/alarm-topic/key`, ''],
      ['tags-provider-defaults', `${STACK}/aws`, STACK],
    ]);
    expect(formatSuppressed(suppressed[0])).toContain('(suppressed at <app>: keys are rotated');
  });

  test.each<[string, (c: CompliantStack) => void]>([
    ['another rule', (c) => suppressPolicyRule(c.queue, 'kms-rotation', REASON)],
    ['another construct', (c) => suppressPolicyRule(c.dlq, 'sqs-encrypted', REASON)],
    ['a construct under the offending one’s sibling', (c) => suppressPolicyRule(c.validator.scope, 'sqs-encrypted', REASON)],
  ])('a suppression of %s does not hide the violation', (_what, suppress) => {
    const parts = checkedCompliantStack();
    parts.queue.sqsManagedSseEnabled = false;
    suppress(parts);
    expect(synthViolations(parts.stack).violations.map((v) => [v.ruleId, v.path])).toEqual([['sqs-encrypted', `${STACK}/ingest/queue`]]);
    expect(PolicyCheck.of(parts.stack)!.lastReport!.suppressed).toEqual([]);
  });

  test('every synth lists the suppressions as warnings in the manifest the cdktf CLI prints', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-manifest-'));
    const app = new App({ outdir });
    const parts = checkedCompliantStack(app);
    parts.validator.function.putTracingConfig({ mode: 'PassThrough' });
    parts.processor.function.putTracingConfig({ mode: 'PassThrough' });
    parts.stage.xrayTracingEnabled = false;
    suppressPolicyRule(parts.stack, 'lambda-tracing', 'tracing switched off by the user: tracing: false');
    suppressPolicyRule(parts.stack, 'api-tracing', 'tracing switched off by the user: tracing: false');
    app.synth();
    const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
    expect(manifest.stacks[STACK].annotations).toEqual([
      expect.objectContaining({
        constructPath: STACK,
        level: '@cdktf/warn',
        message: expect.stringContaining('lambda-tracing is suppressed'),
      }),
      expect.objectContaining({
        constructPath: STACK,
        level: '@cdktf/warn',
        message: expect.stringContaining('api-tracing is suppressed'),
      }),
    ]);
    expect(PolicyCheck.of(parts.stack)!.lastReport!.suppressed.map((s) => [s.ruleId, s.path])).toEqual([
      ['lambda-tracing', `${STACK}/validator/function`],
      ['lambda-tracing', `${STACK}/processor/function`],
      ['api-tracing', `${STACK}/api/stage`],
    ]);
  });

  test('suppressing the same rule again on the same scope replaces the reason', () => {
    const parts = checkedCompliantStack();
    parts.key.enableKeyRotation = false;
    suppressPolicyRule(parts.key, 'kms-rotation', 'first reason, soon replaced');
    suppressPolicyRule(parts.key, 'kms-rotation', 'the key is retired next week');
    Testing.synth(parts.stack);
    expect(PolicyCheck.of(parts.stack)!.lastReport!.suppressed.map((s) => s.reason)).toEqual(['the key is retired next week']);
    const stored = (parts.key as unknown as Record<symbol, unknown>)[SUPPRESSIONS];
    expect(stored).toEqual([{ ruleId: 'kms-rotation', reason: 'the key is retired next week' }]);
  });

  test('suppressions are kept on the construct under a global symbol, so another copy of the package sees them', () => {
    const parts = checkedCompliantStack();
    parts.table.putPointInTimeRecovery({ enabled: false });
    (parts.table as unknown as Record<symbol, unknown>)[SUPPRESSIONS] = [{ ruleId: 'dynamodb-pitr', reason: 'registered by another copy' }];
    expect(() => Testing.synth(parts.stack)).not.toThrow();
    expect(PolicyCheck.of(parts.stack)!.lastReport!.suppressed.map((s) => s.reason)).toEqual(['registered by another copy']);
  });

  test.each<[string, string, string, RegExp]>([
    [
      'an unknown rule id',
      'sqs-encryption',
      REASON,
      /unknown rule id "sqs-encryption" on policy-test\/ingest\/queue; valid ids: sqs-encrypted, .*, tags-no-override$/,
    ],
    ['an empty reason', 'sqs-encrypted', '', /the reason "" for suppressing sqs-encrypted on policy-test\/ingest\/queue is empty/],
    ['a whitespace-only reason', 'sqs-encrypted', ' \n\t ', /the reason " \\n\\t " for suppressing sqs-encrypted .* is empty/],
    [
      'a reason too short',
      'sqs-encrypted',
      'legacy',
      new RegExp(`the reason "legacy" .* is 6 character\\(s\\) long; .* at least ${MIN_REASON_LENGTH} characters`),
    ],
  ])('refuses %s, naming it', (_what, ruleId, reason, message) => {
    const parts = checkedCompliantStack();
    expect(() => suppressPolicyRule(parts.queue, ruleId, reason)).toThrow(message);
    expect(warningsOn(parts.queue)).toEqual([]);
  });

  test('a custom rule can be suppressed once the check carrying it is applied', () => {
    const stack = new TerraformStack(Testing.app(), 'custom');
    const custom: PolicyRule = { id: 'custom-rule', requirement: 'for the test', scanners: [], check: () => [] };
    expect(() => suppressPolicyRule(stack, 'custom-rule', REASON)).toThrow('unknown rule id "custom-rule"');
    PolicyCheck.applyTo(stack, { rules: [...POLICY_RULES, custom] });
    expect(() => suppressPolicyRule(stack, 'custom-rule', REASON)).not.toThrow();
    const app = stack.node.scope as App;
    expect(() => suppressPolicyRule(app, 'custom-rule', REASON)).not.toThrow();
    expect(() => suppressPolicyRule(new TerraformStack(app, 'sibling'), 'custom-rule', REASON)).toThrow('unknown rule id');
  });
});
