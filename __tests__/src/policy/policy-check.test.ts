/**
 * The policy check on the real stack: it passes as built, and for every rule a deliberately
 * broken construct makes synth fail with that rule's id and the construct's path.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApiGatewayMethod } from '@cdktf/provider-aws/lib/api-gateway-method';
import { ApiGatewayMethodSettings } from '@cdktf/provider-aws/lib/api-gateway-method-settings';
import { ApiGatewayRequestValidator } from '@cdktf/provider-aws/lib/api-gateway-request-validator';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import { SqsQueueRedrivePolicy } from '@cdktf/provider-aws/lib/sqs-queue-redrive-policy';
import { App, Aspects, TerraformStack, Testing, Token } from 'cdktf';
import { policyDocument, type PolicyStatement } from '../../../src/iam/policy-document';
import { evaluatePolicy, modelOf, PolicyCheck, PolicyViolationError } from '../../../src/policy/policy-check';
import { POLICY_RULES } from '../../../src/policy/rules';
import type { WebhookPipelineStack } from '../../../stacks/webhook-pipeline-stack';
import { at, policyTestStack, synthViolations } from './support';

jest.setTimeout(60_000);

const doc = (...statements: PolicyStatement[]) => policyDocument(...statements);
const ROOT = 'arn:aws:iam::123456789012:root';
const overrideDocument = (stack: WebhookPipelineStack, relativePath: string, attribute: string, value: string) =>
  at<IamRolePolicy>(stack, relativePath).addOverride(attribute, value);

type Break = (stack: WebhookPipelineStack) => void;

/** Files (not folders) under `dir`: cdktf's App creates an empty `stacks/` folder before synth. */
const filesUnder = (dir: string): string[] =>
  fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => fs.statSync(path.join(dir, f)).isFile()) : [];

/** [rule, what is broken, construct path(s) that must be named, how to break it] */
const BROKEN: ReadonlyArray<[string, string, string[], Break]> = [
  ['sqs-encrypted', 'a queue without SSE or KMS', ['ingest/queue'], (s) => {
    s.queues.ingest.queue.sqsManagedSseEnabled = false;
  }],
  ['sqs-tls-only', 'a queue policy that denies only SendMessage without TLS', ['ingest/queue'], (s) => {
    at<SqsQueuePolicy>(s, 'ingest/queue-policy').policy = doc({
      Effect: 'Deny', Principal: '*', Action: 'sqs:SendMessage', Resource: s.queues.ingest.queue.arn,
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
  }],
  ['sqs-redrive', 'a main queue without redrive policy', ['ingest/queue'], (s) => {
    s.queues.ingest.queue.resetRedrivePolicy();
  }],
  ['sqs-redrive', 'maxReceiveCount 3', ['ingest/queue'], (s) => {
    s.queues.ingest.queue.redrivePolicy = JSON.stringify({ deadLetterTargetArn: s.queues.ingest.deadLetterQueue.arn, maxReceiveCount: 3 });
  }],
  ['sqs-redrive', 'a redrive target outside the stack', ['ingest/queue'], (s) => {
    s.queues.ingest.queue.redrivePolicy = JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:123456789012:elsewhere', maxReceiveCount: 5 });
  }],
  ['sqs-redrive', 'a redrive policy that is an expression', ['ingest/queue'], (s) => {
    s.queues.ingest.queue.redrivePolicy = '${jsonencode({maxReceiveCount = 5})}';
  }],
  ['sqs-visibility-timeout', 'visibility 5 × the consumer timeout', ['ingest/queue'], (s) => {
    s.queues.ingest.queue.visibilityTimeoutSeconds = Token.asNumber('${var.function_timeouts.validator * 5}');
  }],
  ['sqs-visibility-timeout', 'a fixed visibility against a variable timeout', ['process/queue'], (s) => {
    s.queues.process.queue.visibilityTimeoutSeconds = 900;
  }],
  ['sqs-dlq-retention', 'a DLQ keeping messages 1 hour', ['ingest/dlq'], (s) => {
    s.queues.ingest.deadLetterQueue.messageRetentionSeconds = 3600;
  }],
  ['sqs-dlq-retention', 'a DLQ retention that is an expression', ['deliver/dlq'], (s) => {
    s.queues.deliver.deadLetterQueue.messageRetentionSeconds = Token.asNumber('${var.log_retention_days * 86400}');
  }],
  ['lambda-reserved-concurrency', 'a function without reserved concurrency', ['validator/function'], (s) => {
    s.functions.validator.function.resetReservedConcurrentExecutions();
  }],
  ['lambda-event-source-concurrency', 'a mapping allowed more than the reserved concurrency', ['validator/event-source'], (s) => {
    s.functions.validator.eventSourceMapping.addOverride('scaling_config.maximum_concurrency', 200);
  }],
  ['lambda-event-source-concurrency', 'a mapping without maximum concurrency', ['processor/event-source'], (s) => {
    s.functions.processor.eventSourceMapping.resetScalingConfig();
  }],
  ['lambda-event-source-concurrency', 'two mappings that together exceed it', ['validator/function'], (s) => {
    s.functions.validator.eventSourceMapping.addOverride('scaling_config.maximum_concurrency', 60);
    new LambdaEventSourceMapping(s, 'second-mapping', {
      eventSourceArn: s.queues.ingest.queue.arn,
      functionName: s.functions.validator.function.arn,
      scalingConfig: { maximumConcurrency: 60 },
    });
  }],
  ['lambda-tracing', 'tracing always Active', ['validator/function'], (s) => {
    s.functions.validator.function.putTracingConfig({ mode: 'Active' });
  }],
  ['lambda-log-group', 'a function logging to another function’s group', ['validator/function', 'processor/function'], (s) => {
    s.functions.processor.function.putLoggingConfig({ logFormat: 'JSON', logGroup: s.functions.validator.logGroup.name });
  }],
  ['lambda-log-group', 'a function whose log group is not in the stack', ['processor/function'], (s) => {
    s.functions.processor.function.resetLoggingConfig();
    s.functions.processor.logGroup.name = '/custom/processor';
  }],
  ['lambda-own-role', 'two functions sharing a role', ['validator/function', 'processor/function'], (s) => {
    s.functions.processor.function.role = s.functions.validator.role.arn;
  }],
  ['lambda-own-role', 'a role from outside the stack', ['dispatcher/function'], (s) => {
    s.functions.dispatcher.function.role = 'arn:aws:iam::123456789012:role/shared';
  }],
  ['iam-no-wildcard-actions', 'sqs:* in a function policy', ['validator/policy'], (s) => {
    overrideDocument(s, 'validator/policy', 'policy', doc({ Effect: 'Allow', Action: 'sqs:*', Resource: s.queues.ingest.queue.arn }));
  }],
  ['iam-no-wildcard-actions', 'NotAction in a function policy', ['validator/policy'], (s) => {
    overrideDocument(s, 'validator/policy', 'policy', JSON.stringify({ Statement: { Effect: 'Allow', NotAction: 'iam:*', Resource: s.queues.ingest.queue.arn } }));
  }],
  ['iam-no-wildcard-actions', 'a policy that is not literal JSON', ['validator/policy'], (s) => {
    overrideDocument(s, 'validator/policy', 'policy', '${data.aws_iam_policy_document.elsewhere.json}');
  }],
  ['iam-wildcard-resource', 'SendMessage on Resource "*"', ['validator/policy'], (s) => {
    overrideDocument(s, 'validator/policy', 'policy', doc({ Sid: 'Send', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }));
  }],
  ['iam-wildcard-resource', 'NotResource', ['validator/policy'], (s) => {
    overrideDocument(s, 'validator/policy', 'policy', JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', NotResource: 'arn:aws:sqs:*:*:x' }] }));
  }],
  ['iam-trust-policy', 'a role anyone may assume', ['validator/role'], (s) => {
    s.functions.validator.role.assumeRolePolicy = doc({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' });
  }],
  ['iam-trust-policy', 'a role trusting an account as well as the service', ['processor/role'], (s) => {
    s.functions.processor.role.assumeRolePolicy = doc({ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com', AWS: ROOT }, Action: 'sts:AssumeRole' });
  }],
  ['iam-trust-policy', 'a trust policy allowing sts:*', ['dispatcher/role'], (s) => {
    s.functions.dispatcher.role.assumeRolePolicy = doc({ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:*' });
  }],
  ['kms-key-policy', 'a key policy allowing "*"', ['alarm-topic/key'], (s) => {
    s.alarmTopic.key.policy = doc({ Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*' });
  }],
  ['kms-key-policy', 'kms:* for a role', ['alarm-topic/key'], (s) => {
    s.alarmTopic.key.policy = doc({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:role/ops' }, Action: 'kms:*', Resource: '*' });
  }],
  ['kms-key-policy', 'a service principal without condition', ['alarm-topic/key'], (s) => {
    s.alarmTopic.key.policy = doc(
      { Effect: 'Allow', Principal: { AWS: ROOT }, Action: 'kms:*', Resource: '*' },
      { Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: '*' },
    );
  }],
  ['kms-key-policy', 'a key without policy', ['alarm-topic/key'], (s) => {
    s.alarmTopic.key.resetPolicy();
  }],
  ['kms-rotation', 'a key that never rotates', ['alarm-topic/key'], (s) => {
    s.alarmTopic.key.enableKeyRotation = false;
  }],
  ['resource-policy-not-public', 'a topic anyone may publish to', ['alarm-topic/topic-policy'], (s) => {
    at<SnsTopicPolicy>(s, 'alarm-topic/topic-policy').policy = doc({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sns:Publish', Resource: s.alarmTopic.topic.arn });
  }],
  ['resource-policy-not-public', 'a topic policy allowing sns:*', ['alarm-topic/topic-policy'], (s) => {
    at<SnsTopicPolicy>(s, 'alarm-topic/topic-policy').policy = doc({ Effect: 'Allow', Principal: { AWS: ROOT }, Action: 'sns:*', Resource: s.alarmTopic.topic.arn });
  }],
  ['api-access-logging', 'a stage without access log', ['api/stage'], (s) => {
    s.api.stage.resetAccessLogSettings();
  }],
  ['api-throttling', 'throttling switched off (-1)', ['api/stage'], (s) => {
    at<ApiGatewayMethodSettings>(s, 'api/method-settings').addOverride('settings.throttling_rate_limit', -1);
  }],
  ['api-throttling', 'no burst limit', ['api/stage'], (s) => {
    at<ApiGatewayMethodSettings>(s, 'api/method-settings').addOverride('settings.throttling_burst_limit', null);
  }],
  ['api-metrics-and-logging', 'detailed metrics off', ['api/stage'], (s) => {
    at<ApiGatewayMethodSettings>(s, 'api/method-settings').addOverride('settings.metrics_enabled', false);
  }],
  ['api-no-data-trace', 'data trace logging on', ['api/method-settings'], (s) => {
    at<ApiGatewayMethodSettings>(s, 'api/method-settings').addOverride('settings.data_trace_enabled', true);
  }],
  ['api-tracing', 'X-Ray always on', ['api/stage'], (s) => {
    s.api.stage.xrayTracingEnabled = true;
  }],
  ['api-request-validation', 'a method without validator', ['api/post'], (s) => {
    at<ApiGatewayMethod>(s, 'api/post').resetRequestValidatorId();
  }],
  ['api-request-validation', 'a validator that skips parameters', ['api/post'], (s) => {
    at<ApiGatewayRequestValidator>(s, 'api/validator').validateRequestParameters = false;
  }],
  ['sns-encrypted', 'a topic under the AWS-managed key', ['alarm-topic/topic'], (s) => {
    s.alarmTopic.topic.kmsMasterKeyId = 'alias/aws/sns';
  }],
  ['sns-encrypted', 'an unencrypted topic', ['alarm-topic/topic'], (s) => {
    s.alarmTopic.topic.resetKmsMasterKeyId();
  }],
  ['logs-retention', 'a log group kept forever', ['validator/log-group'], (s) => {
    s.functions.validator.logGroup.resetRetentionInDays();
  }],
  ['logs-retention', 'retention 0', ['api/access-log'], (s) => {
    s.api.accessLogGroup.retentionInDays = 0;
  }],
  ['dynamodb-pitr', 'a table without point-in-time recovery', ['idempotency/table'], (s) => {
    s.idempotencyTable.table.putPointInTimeRecovery({ enabled: false });
  }],
  ['tags-provider-defaults', 'default tags without Environment and ManagedBy', ['aws'], (s) => {
    at<AwsProvider>(s, 'aws').defaultTags = [{ tags: { Project: 'webhook-pipeline' } }];
  }],
  ['tags-provider-defaults', 'var.tags merged last, so it can override', ['aws'], (s) => {
    at<AwsProvider>(s, 'aws').defaultTags = [
      { tags: Token.asStringMap('${merge({"Project" = "webhook-pipeline", "Environment" = var.environment_suffix, "ManagedBy" = "cdktf"}, var.tags)}') },
    ];
  }],
  ['tags-provider-defaults', 'a second provider without default tags', ['eu'], (s) => {
    new AwsProvider(s, 'eu', { region: 'eu-west-1', alias: 'eu' });
  }],
  ['tags-no-override', 'a resource overriding Environment', ['ingest/queue'], (s) => {
    s.queues.ingest.queue.tags = { Environment: 'prod', Team: 'payments' };
  }],
  ['tags-no-override', 'resource tags from a variable', ['ingest/dlq'], (s) => {
    s.queues.ingest.deadLetterQueue.tags = Token.asStringMap('${var.tags}');
  }],
];

/** Other ways to satisfy the rules, which must pass too. */
const COMPLIANT: ReadonlyArray<[string, Break]> = [
  ['a queue encrypted with a KMS key instead of SSE-SQS', (s) => {
    s.queues.ingest.queue.sqsManagedSseEnabled = false;
    s.queues.ingest.queue.kmsMasterKeyId = 'alias/aws/sqs';
  }],
  ['a function found by its /aws/lambda/<name> log group, without logging_config', (s) => {
    s.functions.processor.function.resetLoggingConfig();
  }],
  ['a redrive policy in its own aws_sqs_queue_redrive_policy', (s) => {
    s.queues.process.queue.resetRedrivePolicy();
    new SqsQueueRedrivePolicy(s, 'process-redrive', {
      queueUrl: s.queues.process.queue.url,
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: s.queues.process.deadLetterQueue.arn, maxReceiveCount: 10 }),
    });
  }],
  ['fixed timeouts: 60 s visibility for a 10 s function', (s) => {
    s.functions.validator.function.timeout = 10;
    s.queues.ingest.queue.visibilityTimeoutSeconds = 60;
  }],
  ['cloudwatch:PutMetricData on Resource "*", a listed exception', (s) => {
    at<IamRolePolicy>(s, 'validator/xray-policy').policy = doc({ Effect: 'Allow', Action: ['xray:PutTraceSegments', 'cloudwatch:PutMetricData'], Resource: '*' });
  }],
  ['an inline role policy and a queue policy given on the queue itself', (s) => {
    s.functions.validator.role.putInlinePolicy([{ name: 'extra', policy: doc({ Effect: 'Allow', Action: 'sqs:GetQueueUrl', Resource: s.queues.ingest.queue.arn }) }]);
    s.queues.deliver.deadLetterQueue.policy = doc({
      Effect: 'Deny', Principal: { AWS: '*' }, Action: '*', Resource: s.queues.deliver.deadLetterQueue.arn,
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
  }],
  ['resource tags that leave the default tags alone', (s) => {
    s.queues.ingest.queue.tags = { Team: 'payments' };
  }],
];

describe('policy check on the real stack', () => {
  test('the stack as built passes every rule', () => {
    const stack = policyTestStack();
    expect(evaluatePolicy(modelOf(stack))).toEqual([]);
    expect(synthViolations(stack).violations).toEqual([]);
  });

  test('every rule has a broken-construct case below', () => {
    expect(new Set(BROKEN.map(([rule]) => rule))).toEqual(new Set(POLICY_RULES.map((rule) => rule.id)));
  });

  test.each(BROKEN)('%s: %s fails synth naming the rule and the construct', (rule, _what, paths, breakIt) => {
    const stack = policyTestStack();
    breakIt(stack);
    const { violations, message } = synthViolations(stack);
    expect(violations.map((v) => [v.ruleId, v.path])).toEqual(paths.map((p) => [rule, `webhook-pipeline/${p}`]));
    for (const p of paths) expect(message).toContain(`[${rule}] webhook-pipeline/${p} (`);
  });

  test.each(COMPLIANT)('passes with %s', (_what, change) => {
    const stack = policyTestStack();
    change(stack);
    expect(synthViolations(stack).violations).toEqual([]);
  });
});

describe('how the policy check fails synth', () => {
  const breakEncryption = (stack: WebhookPipelineStack) => {
    stack.queues.ingest.queue.sqsManagedSseEnabled = false;
  };

  test('marks the offending construct with an error annotation', () => {
    const stack = policyTestStack();
    breakEncryption(stack);
    expect(() => Testing.synth(stack)).toThrow(PolicyViolationError);
    const errors = stack.queues.ingest.queue.node.metadata.filter((entry) => entry.type === '@cdktf/error');
    expect(errors.map((entry) => entry.data)).toEqual([expect.stringMatching(/^\[sqs-encrypted\] is not encrypted at rest/)]);
  });

  test('app.synth() throws before writing the stack’s JSON or assets', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-synth-'));
    const app = new App({ outdir });
    breakEncryption(policyTestStack(app));
    expect(() => app.synth()).toThrow(/\[sqs-encrypted\] webhook-pipeline\/ingest\/queue \(aws_sqs_queue\.ingest_queue_\w+\)/);
    expect(filesUnder(outdir)).toEqual([]);
  });

  test('a process synthesizing a broken stack exits non-zero, naming rule and construct on stderr', () => {
    const outdir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'policy-process-')), 'cdktf.out');
    const result = spawnSync(process.execPath, ['-r', 'esbuild-register', path.join(__dirname, 'fixtures', 'broken-app.ts')], {
      cwd: path.resolve(__dirname, '../../..'),
      env: { ...process.env, CDKTF_OUTDIR: outdir },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('PolicyViolationError');
    expect(result.stderr).toMatch(/\[sqs-encrypted\] webhook-pipeline\/ingest\/queue \(aws_sqs_queue\.ingest_queue_\w+\): is not encrypted at rest/);
    expect(filesUnder(outdir)).toEqual([]);
  });

  test('applies to any stack it is added to, with any rule set, and ignores other constructs', () => {
    const stack = new TerraformStack(Testing.app(), 'other');
    const noisy = {
      id: 'always',
      requirement: 'for the test',
      scanners: [],
      check: () => [{ subject: { type: 'x', address: 'provider.x', path: 'nowhere', config: {} }, message: 'fails' }],
    };
    Aspects.of(stack).add(new PolicyCheck([noisy]));
    expect(() => Testing.synth(stack)).toThrow('[always] nowhere (provider.x): fails');
    // A violation that names no construct of the stack is annotated on the stack itself.
    expect(stack.node.metadata.map((entry) => entry.data)).toEqual(['[always] fails']);
    expect(() => Testing.synth(new TerraformStack(Testing.app(), 'empty'))).not.toThrow();
  });
});
