/**
 * A small stack that meets every policy rule, built straight from provider resources: a queue
 * with its dead-letter queue, two functions (one fed by the queue), an API stage, a KMS-encrypted
 * topic and a table. The policy tests break one thing at a time. It uses deep imports only: the
 * `@cdktf/provider-aws` barrel alone takes seconds to load.
 */
import { ApiGatewayDeployment } from '@cdktf/provider-aws/lib/api-gateway-deployment';
import { ApiGatewayMethod } from '@cdktf/provider-aws/lib/api-gateway-method';
import { ApiGatewayMethodSettings } from '@cdktf/provider-aws/lib/api-gateway-method-settings';
import { ApiGatewayRequestValidator } from '@cdktf/provider-aws/lib/api-gateway-request-validator';
import { ApiGatewayRestApi } from '@cdktf/provider-aws/lib/api-gateway-rest-api';
import { ApiGatewayStage } from '@cdktf/provider-aws/lib/api-gateway-stage';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import { App, Fn, Op, TerraformStack, TerraformVariable, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { PolicyCheck } from '../../../src/policy/policy-check';

export const STACK = 'policy-test';
export const ACCOUNT_ROOT = 'arn:aws:iam::123456789012:root';
export const RESERVED_CONCURRENCY = 10;

/** A policy document as constructs write them: literal JSON with `${…}` references inside. */
export const doc = (...statements: object[]): string => JSON.stringify({ Version: '2012-10-17', Statement: statements });

export const tlsOnlyPolicy = (queue: SqsQueue): string =>
  doc({ Effect: 'Deny', Principal: '*', Action: 'sqs:*', Resource: queue.arn, Condition: { Bool: { 'aws:SecureTransport': 'false' } } });

export interface FunctionParts {
  readonly scope: Construct;
  readonly role: IamRole;
  readonly policy: IamRolePolicy;
  readonly logGroup: CloudwatchLogGroup;
  readonly function: LambdaFunction;
}

export interface CompliantStack {
  readonly stack: TerraformStack;
  readonly provider: AwsProvider;
  readonly enableXray: TerraformVariable;
  readonly functionTimeout: TerraformVariable;
  readonly ingest: Construct;
  readonly queue: SqsQueue;
  readonly dlq: SqsQueue;
  readonly queuePolicy: SqsQueuePolicy;
  readonly validator: FunctionParts;
  readonly processor: FunctionParts;
  readonly eventSource: LambdaEventSourceMapping;
  readonly accessLog: CloudwatchLogGroup;
  readonly validatorResource: ApiGatewayRequestValidator;
  readonly post: ApiGatewayMethod;
  readonly stage: ApiGatewayStage;
  readonly methodSettings: ApiGatewayMethodSettings;
  readonly key: KmsKey;
  readonly topic: SnsTopic;
  readonly topicPolicy: SnsTopicPolicy;
  readonly table: DynamodbTable;
}

/** A function with its own role, policy (`statements` plus logs and X-Ray) and log group, traced as `var.enable_xray` says. */
export function addFunction(
  scope: Construct,
  id: string,
  enableXray: TerraformVariable,
  timeout: number,
  ...statements: object[]
): FunctionParts {
  const parts = new Construct(scope, id);
  const name = `webhook-${id}`;
  const role = new IamRole(parts, 'role', {
    name,
    assumeRolePolicy: doc({ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }),
  });
  const logGroup = new CloudwatchLogGroup(parts, 'log-group', { name: `/aws/lambda/${name}`, retentionInDays: 30 });
  const fn = new LambdaFunction(parts, 'function', {
    functionName: name,
    role: role.arn,
    runtime: 'nodejs22.x',
    handler: 'index.handler',
    filename: 'handler.zip',
    timeout,
    reservedConcurrentExecutions: RESERVED_CONCURRENCY,
    tracingConfig: { mode: Fn.conditional(enableXray.booleanValue, 'Active', 'PassThrough') },
    loggingConfig: { logFormat: 'JSON', logGroup: logGroup.name },
  });
  const policy = new IamRolePolicy(parts, 'policy', {
    role: role.id,
    policy: doc(
      ...statements,
      { Sid: 'Logs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${logGroup.arn}:*` },
      { Sid: 'Xray', Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
    ),
  });
  return { scope: parts, role, policy, logGroup, function: fn };
}

/** Builds the compliant set into `stack` (no check applied). */
export function buildCompliant(stack: TerraformStack): CompliantStack {
  const provider = new AwsProvider(stack, 'aws', {
    region: 'us-east-1',
    defaultTags: [{ tags: { Project: 'webhook-pipeline', Environment: 'test', ManagedBy: 'cdktf' } }],
  });
  const enableXray = new TerraformVariable(stack, 'enable_xray', { type: 'bool', default: true });
  const functionTimeout = new TerraformVariable(stack, 'function_timeout', { type: 'number', default: 10 });

  const ingest = new Construct(stack, 'ingest');
  const dlq = new SqsQueue(ingest, 'dlq', { name: 'ingest-dlq', sqsManagedSseEnabled: true, messageRetentionSeconds: 1_209_600 });
  const queue = new SqsQueue(ingest, 'queue', {
    name: 'ingest',
    sqsManagedSseEnabled: true,
    // What cdktf's Op.mul renders: `${(var.function_timeout * 6)}`.
    visibilityTimeoutSeconds: Op.mul(functionTimeout.numberValue, 6),
    redrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 5 }),
  });
  dlq.redriveAllowPolicy = JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: [queue.arn] });
  const queuePolicy = new SqsQueuePolicy(ingest, 'queue-policy', { queueUrl: queue.url, policy: tlsOnlyPolicy(queue) });
  new SqsQueuePolicy(ingest, 'dlq-policy', { queueUrl: dlq.url, policy: tlsOnlyPolicy(dlq) });

  const validator = addFunction(stack, 'validator', enableXray, functionTimeout.numberValue, {
    Sid: 'Consume',
    Effect: 'Allow',
    Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
    Resource: queue.arn,
  });
  const processor = addFunction(stack, 'processor', enableXray, 30);
  const eventSource = new LambdaEventSourceMapping(validator.scope, 'event-source', {
    eventSourceArn: queue.arn,
    functionName: validator.function.arn,
    scalingConfig: { maximumConcurrency: RESERVED_CONCURRENCY },
  });

  const apiScope = new Construct(stack, 'api');
  const api = new ApiGatewayRestApi(apiScope, 'rest-api', { name: 'webhooks' });
  const validatorResource = new ApiGatewayRequestValidator(apiScope, 'validator', {
    restApiId: api.id,
    name: 'body-and-parameters',
    validateRequestBody: true,
    validateRequestParameters: true,
  });
  const post = new ApiGatewayMethod(apiScope, 'post', {
    restApiId: api.id,
    resourceId: api.rootResourceId,
    httpMethod: 'POST',
    authorization: 'NONE',
    requestValidatorId: validatorResource.id,
    requestParameters: { 'method.request.header.X-Signature': true },
  });
  const deployment = new ApiGatewayDeployment(apiScope, 'deployment', { restApiId: api.id, dependsOn: [post] });
  const accessLog = new CloudwatchLogGroup(apiScope, 'access-log', { name: '/webhooks/access', retentionInDays: 30 });
  const stage = new ApiGatewayStage(apiScope, 'stage', {
    restApiId: api.id,
    deploymentId: deployment.id,
    stageName: 'v1',
    xrayTracingEnabled: enableXray.booleanValue,
    accessLogSettings: { destinationArn: accessLog.arn, format: '{"requestId":"$context.requestId"}' },
  });
  const methodSettings = new ApiGatewayMethodSettings(apiScope, 'method-settings', {
    restApiId: api.id,
    stageName: stage.stageName,
    methodPath: '*/*',
    settings: { metricsEnabled: true, loggingLevel: 'ERROR', dataTraceEnabled: false, throttlingRateLimit: 50, throttlingBurstLimit: 100 },
  });

  const alarms = new Construct(stack, 'alarm-topic');
  const key = new KmsKey(alarms, 'key', {
    enableKeyRotation: true,
    policy: doc(
      { Sid: 'Root', Effect: 'Allow', Principal: { AWS: ACCOUNT_ROOT }, Action: 'kms:*', Resource: '*' },
      {
        Sid: 'CloudWatch',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
      },
    ),
  });
  const topic = new SnsTopic(alarms, 'topic', { name: 'alarms', kmsMasterKeyId: key.arn });
  const topicPolicy = new SnsTopicPolicy(alarms, 'topic-policy', {
    arn: topic.arn,
    policy: doc({
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: topic.arn,
      Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
    }),
  });

  const table = new DynamodbTable(stack, 'table', {
    name: 'idempotency',
    billingMode: 'PAY_PER_REQUEST',
    hashKey: 'id',
    attribute: [{ name: 'id', type: 'S' }],
    pointInTimeRecovery: { enabled: true },
  });

  return {
    stack,
    provider,
    enableXray,
    functionTimeout,
    ingest,
    queue,
    dlq,
    queuePolicy,
    validator,
    processor,
    eventSource,
    accessLog,
    validatorResource,
    post,
    stage,
    methodSettings,
    key,
    topic,
    topicPolicy,
    table,
  };
}

/** A new stack in `app` holding the compliant set, with the policy check applied. */
export function checkedCompliantStack(app: App = Testing.app()): CompliantStack {
  const parts = buildCompliant(new TerraformStack(app, STACK));
  PolicyCheck.applyTo(parts.stack);
  return parts;
}
