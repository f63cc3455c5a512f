/**
 * The deploy round trip on a local AWS API (moto server on loopback), with the code behind
 * `npm run deploy:local` / `destroy:local`, and the end-to-end scenario on the deployed stack:
 *
 * 1. deploy (one apply: alarm_email set, an HTTPS delivery target, short function timeouts);
 * 2. read the deployed resources back through the AWS SDK;
 * 3. end to end: webhooks enter at the ingest queue in exactly the shape the deployed API
 *    mapping template produces, and the three deployed handler packages run under
 *    scripts/lib/esm-runner.ts with the event source mappings' semantics;
 * 4. re-apply with enable_alarms=false (the 24 alarms go, nothing else but the dashboard changes);
 * 5. destroy: nothing left, and the moto server deploy started is stopped.
 *
 * Applies are few on purpose: moto makes the provider wait ~25 s for each SQS queue.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  APIGatewayClient,
  GetIntegrationCommand,
  GetMethodCommand,
  GetResourcesCommand,
  GetStageCommand,
} from '@aws-sdk/client-api-gateway';
import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { GetFunctionCommand, LambdaClient, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { GetTopicAttributesCommand, ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  GetQueueAttributesCommand,
  type QueueAttributeName,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { EsmRunner } from '../../scripts/lib/esm-runner';
import {
  deployedCodeFiles,
  deployLocal,
  destroyLocal,
  type LocalDeployment,
  LOCAL_OVERRIDE_FILE,
  MOTO_ACCOUNT_ID,
  OUTPUTS_FILE,
  readSession,
  terraformLocal,
} from '../../scripts/lib/local-deploy';
import { listLocalResources, localClientConfig } from '../../scripts/lib/local-resources';
import { freeLoopbackPort, motoAnswers, stopMoto } from '../../scripts/lib/moto-server';
import { ingestRequestTemplate } from '../../src/api/ingest-template';
import { FORWARDED_HEADERS } from '../../src/contract';
import { type HttpsTarget, startHttpsTarget } from '../support/https-target';
import { describeIfTerraform } from '../support/terraform';
import { parseSendMessageForm, renderMappingTemplate, type SendMessageForm } from '../support/velocity';

jest.setTimeout(20 * 60_000);

/**
 * Short timeouts keep the visibility timeouts (6 ×), and so the retries, short: 12 s, 18 s, 12 s.
 * Each still leaves room for a batch of 10 on moto: the processor makes three calls per record
 * (idempotency record in, SendMessage, record completed), 70-100 ms per record here.
 */
const FUNCTION_TIMEOUTS = { validator: 2, processor: 3, dispatcher: 2 } as const;
const ALARM_EMAIL = 'ops@example.com';
const MAX_RECEIVE_COUNT = 5;
const DELIVERY_SECRET = 'local-delivery-signing-secret';
const SOURCES = { github: 'github', stripe: 'stripe', shopify: 'shopify', generic: 'hmac-sha256' } as const;
type Source = keyof typeof SOURCES;
const SOURCE_NAMES = Object.keys(SOURCES) as Source[];
const secretOf = (source: Source) => `local-${source}-secret`;

const SCENARIO = { signed: 200, forged: 20, duplicates: 20, processPoison: 3, deliverPoison: 2 } as const;
/** Bound on the scenario's wait: a poison message needs 5 receives, 18 s apart on the process queue. */
const SCENARIO_TIMEOUT_MS = 240_000;
/** Bound on each terraform command: an apply here takes about 100 s. */
const TERRAFORM_TIMEOUT_MS = 6 * 60_000;

const timings: Record<string, number> = {};
const timed = async <T>(name: string, body: () => Promise<T>): Promise<T> => {
  const started = Date.now();
  try {
    return await body();
  } finally {
    timings[name] = Date.now() - started;
  }
};
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeIfTerraform('local deploy round trip and end to end on moto', () => {
  let workDir: string;
  let deployment: LocalDeployment;
  let outputs: Record<string, string>;
  let target: HttpsTarget;
  let runner: EsmRunner | undefined;
  let destroyed = false;
  let clients: {
    sqs: SQSClient;
    ssm: SSMClient;
    lambda: LambdaClient;
    apigateway: APIGatewayClient;
    cloudwatch: CloudWatchClient;
    sns: SNSClient;
    dynamodb: DynamoDBClient;
    logs: CloudWatchLogsClient;
  };
  /** Delivery ids whose first delivery attempt the target answers 503. */
  const failFirst = new Set<string>();
  const attempts = new Map<string, number>();

  const vars = (extra: Record<string, unknown> = {}) => ({
    alarm_email: ALARM_EMAIL,
    delivery_url: `${target.url}/hooks`,
    function_timeouts: FUNCTION_TIMEOUTS,
    ...extra,
  });

  beforeAll(async () => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-local-deploy-'));
    target = await startHttpsTarget((request) => {
      const signature = `sha256=${createHmac('sha256', DELIVERY_SECRET).update(request.body).digest('hex')}`;
      if (request.headers['x-signature-256'] !== signature) return 401;
      const id = String(request.headers['x-webhook-id']);
      const attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      return failFirst.has(id) && attempt === 1 ? 503 : 200;
    });
    const motoPort = await freeLoopbackPort();
    deployment = await timed('apply', () =>
      deployLocal({ workDir, motoPort, vars: vars(), terraformTimeoutMs: TERRAFORM_TIMEOUT_MS, motoLifetime: 'process' }),
    );
    outputs = deployment.outputs as Record<string, string>;
    const config = localClientConfig(deployment.endpoint);
    clients = {
      sqs: new SQSClient(config),
      ssm: new SSMClient(config),
      lambda: new LambdaClient(config),
      apigateway: new APIGatewayClient(config),
      cloudwatch: new CloudWatchClient(config),
      sns: new SNSClient(config),
      dynamodb: new DynamoDBClient(config),
      logs: new CloudWatchLogsClient(config),
    };
  });

  afterAll(async () => {
    await runner?.stop();
    if (clients) Object.values(clients).forEach((client) => client.destroy());
    if (workDir && !destroyed && readSession(workDir))
      await destroyLocal({ workDir, terraformTimeoutMs: 3 * 60_000 }).catch(() => undefined);
    if (workDir) await stopMoto(workDir);
    await target?.close();
    // Kept for inspection (state, logs, the functions' output) unless the round trip completed.
    if (workDir && destroyed) fs.rmSync(workDir, { recursive: true, force: true });
    const seconds = Object.fromEntries(Object.entries(timings).map(([name, ms]) => [name, `${(ms / 1000).toFixed(1)} s`]));
    console.log(`local deploy round trip timings: ${JSON.stringify(seconds)}`);
  });

  const queueAttributes = async (url: string) =>
    (await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All' as QueueAttributeName] }))).Attributes ??
    {};
  const arnOf = (queueUrl: string) => `arn:aws:sqs:us-east-1:${MOTO_ACCOUNT_ID}:${queueUrl.split('/').pop()}`;

  describe('deploy', () => {
    test('writes the outputs, flat, to outputs.json', () => {
      const file = JSON.parse(fs.readFileSync(path.join(workDir, OUTPUTS_FILE), 'utf8'));
      expect(file).toEqual(deployment.outputs);
      for (const name of ['ingest', 'process', 'deliver']) {
        expect(file[`${name}_queue_url`]).toBe(`${deployment.endpoint}/${MOTO_ACCOUNT_ID}/webhook-${name}-dev`);
        expect(file[`${name}_dlq_url`]).toBe(`${deployment.endpoint}/${MOTO_ACCOUNT_ID}/webhook-${name}-dlq-dev`);
      }
      expect(file).toMatchObject({
        api_stage: 'v1',
        validator_function_name: 'webhook-validator-dev',
        processor_function_name: 'webhook-processor-dev',
        dispatcher_function_name: 'webhook-dispatcher-dev',
        idempotency_table_name: 'webhook-idempotency-dev',
        alarm_topic_arn: `arn:aws:sns:us-east-1:${MOTO_ACCOUNT_ID}:webhook-alarms-dev`,
        source_secrets_path: '/webhook-pipeline/dev/sources/',
        delivery_secret_parameter: '/webhook-pipeline/dev/delivery/signing-secret',
      });
      expect(file.webhook_base_url).toMatch(
        new RegExp(`^https://${file.api_id}\\.execute-api\\.us-east-1\\.amazonaws\\.com/v1/webhooks/$`),
      );
    });

    test('the product JSON is untouched: local settings live only in local_override.tf.json', () => {
      const product = fs.readFileSync(path.join(deployment.stackDir, 'cdk.tf.json'), 'utf8');
      expect(product).not.toContain(deployment.endpoint);
      expect(product).not.toContain('skip_credentials_validation');
      const override = JSON.parse(fs.readFileSync(path.join(deployment.stackDir, LOCAL_OVERRIDE_FILE), 'utf8'));
      expect(override.provider.aws[0].endpoints[0].sqs).toBe(deployment.endpoint);
      expect(override.terraform.backend.local.path).toBe(deployment.statePath);
    });

    test('a plan right after the apply shows no changes: the resources read back as configured', async () => {
      const plan = await terraformLocal(['plan', '-detailed-exitcode', '-input=false', '-no-color', '-lock=false'], {
        workDir,
        terraformTimeoutMs: TERRAFORM_TIMEOUT_MS,
      });
      expect({ code: plan.code, stderr: plan.stderr }).toEqual({ code: 0, stderr: '' });
      expect(plan.stdout).toContain('No changes.');
    });
  });

  describe('deployed resources, read back through the AWS SDK', () => {
    test.each(['ingest', 'process', 'deliver'] as const)(
      '%s queue: redrive to its own DLQ after 5 receives, SSE, TLS only',
      async (name) => {
        const queueUrl = outputs[`${name}_queue_url`];
        const dlqUrl = outputs[`${name}_dlq_url`];
        const consumer = { ingest: 'validator', process: 'processor', deliver: 'dispatcher' } as const;
        const main = await queueAttributes(queueUrl);
        const dlq = await queueAttributes(dlqUrl);
        expect(JSON.parse(main.RedrivePolicy!)).toEqual({ deadLetterTargetArn: dlq.QueueArn, maxReceiveCount: MAX_RECEIVE_COUNT });
        expect(main.VisibilityTimeout).toBe(String(6 * FUNCTION_TIMEOUTS[consumer[name]]));
        expect(main).toMatchObject({
          SqsManagedSseEnabled: 'true',
          MessageRetentionPeriod: '345600',
          ReceiveMessageWaitTimeSeconds: '20',
          MaximumMessageSize: '262144',
        });
        expect(dlq).toMatchObject({ SqsManagedSseEnabled: 'true', MessageRetentionPeriod: '1209600', MaximumMessageSize: '262144' });
        expect(dlq.RedrivePolicy).toBeUndefined();
        for (const [url, attributes] of [
          [queueUrl, main],
          [dlqUrl, dlq],
        ] as const) {
          expect(JSON.parse(attributes.Policy!).Statement).toEqual([
            {
              Sid: 'DenyInsecureTransport',
              Effect: 'Deny',
              Principal: '*',
              Action: 'sqs:*',
              Resource: arnOf(url),
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            },
          ]);
        }
        // Moto does not model RedriveAllowPolicy (GetQueueAttributes never returns it), so the local
        // override skips that resource; the product JSON keeps it, byQueue, from the main queue.
        expect(main.RedriveAllowPolicy ?? dlq.RedriveAllowPolicy).toBeUndefined();
        const product = JSON.parse(fs.readFileSync(path.join(deployment.stackDir, 'cdk.tf.json'), 'utf8'));
        const allow = Object.entries<any>(product.resource.aws_sqs_queue_redrive_allow_policy).find(([id]) =>
          id.startsWith(`${name}_`),
        )![1];
        expect(JSON.parse(allow.redrive_allow_policy)).toMatchObject({ redrivePermission: 'byQueue' });
      },
    );

    const expectedEnvironment = () => ({
      validator: {
        NEXT_QUEUE_URL: outputs.process_queue_url,
        SOURCE_SECRETS_PATH: outputs.source_secrets_path,
        STRIPE_TOLERANCE_SECONDS: '300',
        MAX_BODY_BYTES: '262144',
      },
      processor: {
        NEXT_QUEUE_URL: outputs.deliver_queue_url,
        IDEMPOTENCY_TABLE_NAME: outputs.idempotency_table_name,
        IDEMPOTENCY_TTL_SECONDS: '86400',
      },
      dispatcher: {
        DELIVERY_URL: `${target.url}/hooks`,
        DELIVERY_SECRET_PARAMETER: outputs.delivery_secret_parameter,
        // 80 % of the dispatcher's timeout shared by a batch of 10, floored at 1 s.
        DELIVERY_TIMEOUT_MS: String(Math.max(1000, Math.min(5000, Math.floor((FUNCTION_TIMEOUTS.dispatcher * 800) / 10)))),
      },
    });

    test.each(['validator', 'processor', 'dispatcher'] as const)(
      '%s function: nodejs22.x on arm64, tracing Active, reserved concurrency 100, its environment, the deployed zip',
      async (name) => {
        const functionName = outputs[`${name}_function_name`];
        const { Configuration, Concurrency, Tags } = await clients.lambda.send(new GetFunctionCommand({ FunctionName: functionName }));
        expect(Configuration).toMatchObject({
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          Handler: 'index.handler',
          MemorySize: 256,
          Timeout: FUNCTION_TIMEOUTS[name],
          TracingConfig: { Mode: 'Active' },
          Role: `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/webhook-${name}-role-dev`,
        });
        expect(Concurrency?.ReservedConcurrentExecutions).toBe(100);
        expect(Tags).toMatchObject({ Project: 'webhook-pipeline', Environment: 'dev', ManagedBy: 'cdktf' });
        const environment = Configuration!.Environment!.Variables!;
        expect(environment).toMatchObject({
          ...expectedEnvironment()[name],
          POWERTOOLS_SERVICE_NAME: functionName,
          POWERTOOLS_METRICS_NAMESPACE: 'WebhookPipeline',
          POWERTOOLS_TRACE_ENABLED: 'true',
        });
        if (name === 'validator')
          expect(JSON.parse(environment.WEBHOOK_SOURCES)).toEqual(Object.fromEntries(SOURCE_NAMES.map((s) => [s, { scheme: SOURCES[s] }])));
        // The package Terraform deployed is the zip the state names, byte for byte.
        const zip = fs.readFileSync(deployedCodeFiles(workDir)[functionName]);
        expect(Configuration!.CodeSha256).toBe(createHash('sha256').update(zip).digest('base64'));
        // Moto does not model LoggingConfig (JSON logs to the function's own group): not returned.
        expect(Configuration!.LoggingConfig).toBeUndefined();
      },
    );

    test.each([
      ['validator', 'ingest'],
      ['processor', 'process'],
      ['dispatcher', 'deliver'],
    ] as const)(
      '%s event source mapping: its queue, batch 10 in 1 s, ReportBatchItemFailures, maximum concurrency 100',
      async (name, queue) => {
        const { Configuration } = await clients.lambda.send(new GetFunctionCommand({ FunctionName: outputs[`${name}_function_name`] }));
        const { EventSourceMappings = [] } = await clients.lambda.send(
          new ListEventSourceMappingsCommand({ FunctionName: Configuration!.FunctionArn }),
        );
        expect(EventSourceMappings).toHaveLength(1);
        expect(EventSourceMappings[0]).toMatchObject({
          EventSourceArn: arnOf(outputs[`${queue}_queue_url`]),
          FunctionArn: Configuration!.FunctionArn,
          BatchSize: 10,
          MaximumBatchingWindowInSeconds: 1,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          ScalingConfig: { MaximumConcurrency: 100 },
          State: 'Enabled',
        });
      },
    );

    test('REST API: stage v1 with X-Ray, access log, throttling and metrics; POST /webhooks/{source} stores into the ingest queue', async () => {
      const restApiId = outputs.api_id;
      const stage = await clients.apigateway.send(new GetStageCommand({ restApiId, stageName: 'v1' }));
      expect(stage.tracingEnabled).toBe(true);
      expect(stage.accessLogSettings?.destinationArn).toBe(
        `arn:aws:logs:us-east-1:${MOTO_ACCOUNT_ID}:log-group:/aws/apigateway/webhook-api-dev`,
      );
      expect(JSON.parse(stage.accessLogSettings!.format!)).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
      expect(stage.methodSettings?.['*/*']).toMatchObject({
        metricsEnabled: true,
        throttlingRateLimit: 100,
        throttlingBurstLimit: 200,
        loggingLevel: 'ERROR',
      });

      const { items = [] } = await clients.apigateway.send(new GetResourcesCommand({ restApiId }));
      const resource = items.find((item) => item.path === '/webhooks/{source}')!;
      const method = await clients.apigateway.send(new GetMethodCommand({ restApiId, resourceId: resource.id, httpMethod: 'POST' }));
      expect(method.authorizationType).toBe('NONE');
      expect(method.requestParameters).toEqual({ 'method.request.path.source': true });
      expect(method.requestValidatorId).toBeTruthy();
      const integration = await clients.apigateway.send(
        new GetIntegrationCommand({ restApiId, resourceId: resource.id, httpMethod: 'POST' }),
      );
      expect(integration).toMatchObject({
        type: 'AWS',
        httpMethod: 'POST',
        uri: `arn:aws:apigateway:us-east-1:sqs:path/${MOTO_ACCOUNT_ID}/webhook-ingest-dev`,
        credentials: `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/webhook-apigw-sqs-dev`,
        passthroughBehavior: 'NEVER',
        requestParameters: { 'integration.request.header.Content-Type': "'application/x-www-form-urlencoded'" },
      });
      // What API Gateway holds is the template as written: Terraform's `$${` escaping is undone.
      expect(integration.requestTemplates?.['application/json']).toBe(ingestRequestTemplate());
      expect(
        Object.fromEntries(Object.values(integration.integrationResponses ?? {}).map((r) => [r.statusCode, r.selectionPattern ?? null])),
      ).toEqual({ '202': '2\\d{2}', '400': '4\\d{2}', '502': '5\\d{2}', '500': null });
    });

    test('24 alarms with their thresholds, notifying the alarm topic on ALARM and OK', async () => {
      const { MetricAlarms = [] } = await clients.cloudwatch.send(
        new DescribeAlarmsCommand({ AlarmNamePrefix: 'webhook-', MaxRecords: 100 }),
      );
      const byName = new Map<string, MetricAlarm>(MetricAlarms.map((alarm) => [alarm.AlarmName!, alarm]));
      const expected: Record<string, number> = {
        'webhook-api-4xx-rate-dev': 0.1,
        'webhook-api-5xx-rate-dev': 0.01,
        'webhook-api-latency-dev': 1000,
      };
      for (const fn of ['validator', 'processor', 'dispatcher'] as const) {
        Object.assign(expected, {
          [`webhook-${fn}-error-rate-dev`]: 5,
          [`webhook-${fn}-throttles-dev`]: 0,
          // 80 % of the function's timeout, in milliseconds.
          [`webhook-${fn}-duration-dev`]: FUNCTION_TIMEOUTS[fn] * 800,
          [`webhook-${fn}-concurrency-dev`]: 90,
        });
      }
      for (const queue of ['ingest', 'process', 'deliver']) {
        Object.assign(expected, {
          [`webhook-${queue}-age-dev`]: 300,
          [`webhook-${queue}-depth-dev`]: 100,
          [`webhook-${queue}-dlq-messages-dev`]: 0,
        });
      }
      expect(Object.keys(expected)).toHaveLength(24);
      expect(Object.fromEntries([...byName].map(([name, alarm]) => [name, alarm.Threshold]))).toEqual(expected);
      for (const alarm of MetricAlarms) {
        expect({
          name: alarm.AlarmName,
          actions: alarm.AlarmActions,
          ok: alarm.OKActions,
          missing: alarm.TreatMissingData,
          operator: alarm.ComparisonOperator,
        }).toEqual({
          name: alarm.AlarmName,
          actions: [outputs.alarm_topic_arn],
          ok: [outputs.alarm_topic_arn],
          missing: 'notBreaching',
          operator: 'GreaterThanThreshold',
        });
      }
      // The error rate is metric math over Errors and Invocations.
      expect(byName.get('webhook-validator-error-rate-dev')!.Metrics?.find((m) => m.ReturnData)?.Expression).toMatch(/errors.*invocations/);
    });

    test('alarm topic: KMS-encrypted, CloudWatch may publish, and the e-mail subscription exists because alarm_email is set', async () => {
      const { Attributes = {} } = await clients.sns.send(new GetTopicAttributesCommand({ TopicArn: outputs.alarm_topic_arn }));
      expect(Attributes.KmsMasterKeyId).toMatch(new RegExp(`^arn:aws:kms:us-east-1:${MOTO_ACCOUNT_ID}:key/`));
      const statements = JSON.parse(Attributes.Policy!).Statement as { Sid: string; Principal: unknown }[];
      expect(statements.find((s) => s.Sid === 'CloudWatchAlarmsPublish')?.Principal).toEqual({ Service: 'cloudwatch.amazonaws.com' });
      const { Subscriptions = [] } = await clients.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: outputs.alarm_topic_arn }));
      expect(Subscriptions.map((s) => ({ Protocol: s.Protocol, Endpoint: s.Endpoint }))).toEqual([
        { Protocol: 'email', Endpoint: ALARM_EMAIL },
      ]);
    });

    test('idempotency table and log groups', async () => {
      const TableName = outputs.idempotency_table_name;
      const { Table } = await clients.dynamodb.send(new DescribeTableCommand({ TableName }));
      expect(Table).toMatchObject({
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
      });
      const ttl = await clients.dynamodb.send(new DescribeTimeToLiveCommand({ TableName }));
      expect(ttl.TimeToLiveDescription).toMatchObject({ AttributeName: 'expiration', TimeToLiveStatus: 'ENABLED' });
      const backups = await clients.dynamodb.send(new DescribeContinuousBackupsCommand({ TableName }));
      expect(backups.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus).toBe('ENABLED');
      const { logGroups = [] } = await clients.logs.send(new DescribeLogGroupsCommand({}));
      expect(Object.fromEntries(logGroups.map((g) => [g.logGroupName, g.retentionInDays]))).toEqual({
        '/aws/apigateway/webhook-api-dev': 30,
        '/aws/lambda/webhook-validator-dev': 30,
        '/aws/lambda/webhook-processor-dev': 30,
        '/aws/lambda/webhook-dispatcher-dev': 30,
      });
    });
  });

  describe('end to end: every accepted webhook is delivered once, rejected, dropped as a duplicate, or in a DLQ', () => {
    interface WebhookRequest {
      readonly source: Source;
      readonly body: string;
      /** Header names as providers send them. */
      readonly headers: Record<string, string>;
      /** The delivery id the pipeline should derive (and deliver as the event id). */
      readonly deliveryId: string;
      readonly eventType: string;
    }

    const hex = (secret: string, data: string) => createHmac('sha256', secret).update(data, 'utf8').digest('hex');
    const common = { 'Content-Type': 'application/json', 'User-Agent': 'local-e2e/1.0', Accept: '*/*' };

    /** A provider's webhook, signed with `secret`, in each scheme's own header casing. */
    function webhook(source: Source, n: number, secret: string, stripeTimestamp = Math.floor(Date.now() / 1000)): WebhookRequest {
      const id = randomUUID();
      switch (source) {
        case 'github': {
          const body = JSON.stringify({ action: 'opened', number: n, repository: { full_name: 'acme/widgets' } });
          return {
            source,
            body,
            headers: {
              ...common,
              'X-Hub-Signature-256': `sha256=${hex(secret, body)}`,
              'X-GitHub-Delivery': id,
              'X-GitHub-Event': 'issues',
            },
            deliveryId: id,
            eventType: 'issues',
          };
        }
        case 'stripe': {
          const body = JSON.stringify({ id: `evt_${id}`, type: 'payment_intent.succeeded', data: { object: { amount: n } } });
          const signature = `t=${stripeTimestamp},v1=${hex(secret, `${stripeTimestamp}.${body}`)}`;
          return {
            source,
            body,
            headers: { ...common, 'Stripe-Signature': signature },
            deliveryId: `evt_${id}`,
            eventType: 'payment_intent.succeeded',
          };
        }
        case 'shopify': {
          const body = JSON.stringify({ id: n, email: `buyer${n}@example.com`, total_price: '10.00' });
          const hmac = createHmac('sha256', secret).update(body, 'utf8').digest('base64');
          return {
            source,
            body,
            headers: { ...common, 'X-Shopify-Hmac-Sha256': hmac, 'X-Shopify-Webhook-Id': id, 'X-Shopify-Topic': 'orders/create' },
            deliveryId: id,
            eventType: 'orders/create',
          };
        }
        case 'generic': {
          const body = JSON.stringify({ build: n, status: 'passed' });
          return {
            source,
            body,
            headers: {
              ...common,
              'X-Signature-256': `sha256=${hex(secret, body)}`,
              'X-Webhook-Id': id,
              'X-Webhook-Event': 'build.finished',
            },
            deliveryId: id,
            eventType: 'build.finished',
          };
        }
      }
    }

    let deployedTemplate: string;
    const toForm = (request: WebhookRequest, requestId: string = randomUUID()): SendMessageForm =>
      parseSendMessageForm(
        renderMappingTemplate(deployedTemplate, {
          body: request.body,
          pathParameters: { source: request.source },
          headers: request.headers,
          requestId,
        }),
      );

    /** Sends the form API Gateway would send: body and message attributes as the template produced them. */
    async function sendForm(form: SendMessageForm): Promise<string> {
      const { MessageId } = await clients.sqs.send(
        new SendMessageCommand({
          QueueUrl: outputs.ingest_queue_url,
          MessageBody: form.messageBody!,
          MessageAttributes: Object.fromEntries(form.attributes.map((a) => [a.name, { DataType: a.dataType, StringValue: a.value }])),
        }),
      );
      return MessageId!;
    }

    beforeAll(async () => {
      const restApiId = outputs.api_id;
      const { items = [] } = await clients.apigateway.send(new GetResourcesCommand({ restApiId }));
      const resourceId = items.find((item) => item.path === '/webhooks/{source}')!.id;
      const integration = await clients.apigateway.send(new GetIntegrationCommand({ restApiId, resourceId, httpMethod: 'POST' }));
      deployedTemplate = integration.requestTemplates!['application/json'];
    });

    test('the deployed mapping template turns a request into SendMessage: raw body, source, request id, then the present allow-listed headers', () => {
      for (const source of SOURCE_NAMES) {
        const request = webhook(source, 1, secretOf(source));
        const form = toForm(request, 'req-123');
        expect(form.action).toBe('SendMessage');
        expect(form.messageBody).toBe(request.body);
        const lowerCased = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value]));
        const forwarded = FORWARDED_HEADERS.filter((name) => name in lowerCased).map((name) => ({ name, value: lowerCased[name] }));
        expect(form.attributes.map(({ name, dataType, value }) => ({ name, dataType, value }))).toEqual([
          { name: 'source', dataType: 'String', value: source },
          { name: 'request-id', dataType: 'String', value: 'req-123' },
          ...forwarded.map(({ name, value }) => ({ name, dataType: 'String', value })),
        ]);
        expect(form.attributes.map((a) => a.index)).toEqual(form.attributes.map((_, i) => i + 1));
        expect(form.attributes.map((a) => a.name)).not.toContain('user-agent');
      }
    });

    test('200 signed webhooks, 20 forged, 20 redeliveries and 5 poison messages, with a target that fails some first attempts', async () => {
      const started = Date.now();
      // Secrets in SSM where the deployed stack reads them.
      for (const source of SOURCE_NAMES) {
        await clients.ssm.send(
          new PutParameterCommand({
            Name: `${outputs.source_secrets_path}${source}`,
            Value: secretOf(source),
            Type: 'SecureString',
            Overwrite: true,
          }),
        );
      }
      await clients.ssm.send(
        new PutParameterCommand({ Name: outputs.delivery_secret_parameter, Value: DELIVERY_SECRET, Type: 'SecureString', Overwrite: true }),
      );

      const runnerLog: string[] = [];
      runner = await EsmRunner.start({
        endpoint: deployment.endpoint,
        functionNames: [outputs.validator_function_name, outputs.processor_function_name, outputs.dispatcher_function_name],
        codeFiles: deployedCodeFiles(workDir),
        workDir: path.join(workDir, 'esm-runner'),
        extraEnv: { NODE_EXTRA_CA_CERTS: target.caFile },
        log: (line) => runnerLog.push(line),
      });

      // Poison: what a stage can never process, so it fails every receive and is dead-lettered.
      // The validator has none by design (whatever it cannot verify or parse is rejected and
      // deleted); the processor cannot parse a malformed envelope, the dispatcher a malformed event.
      // Injected first (as an operator or a buggy producer would, straight onto the queue), so
      // that their five receives overlap the main traffic.
      const processPoison = ['not json at all', '{"version":1,"source":"github"}', JSON.stringify({ version: 99, payload: {} })];
      const deliverPoison = ['{"id":"poison-1"}', '[1,2,3]'];
      const poisonIds = new Map<string, string>();
      for (const [queue, bodies] of [
        ['process', processPoison],
        ['deliver', deliverPoison],
      ] as const) {
        for (const body of bodies) {
          const { MessageId } = await clients.sqs.send(
            new SendMessageCommand({ QueueUrl: outputs[`${queue}_queue_url`], MessageBody: body }),
          );
          poisonIds.set(MessageId!, queue);
        }
      }

      // The traffic.
      const signed = Array.from({ length: SCENARIO.signed }, (_, n) => webhook(SOURCE_NAMES[n % 4], n, secretOf(SOURCE_NAMES[n % 4])));
      signed.forEach((request, n) => n % 10 === 3 && failFirst.add(request.deliveryId));
      const forged = Array.from({ length: SCENARIO.forged }, (_, n) => webhook(SOURCE_NAMES[n % 4], 1000 + n, 'not-the-secret'));
      // Providers retry with the same delivery id and body (Stripe signs again, with a new timestamp).
      const retriedAt = Math.floor(Date.now() / 1000) + 1;
      const redeliveries = signed.slice(0, SCENARIO.duplicates).map((request) =>
        request.source === 'stripe'
          ? {
              ...request,
              headers: {
                ...request.headers,
                'Stripe-Signature': `t=${retriedAt},v1=${hex(secretOf('stripe'), `${retriedAt}.${request.body}`)}`,
              },
            }
          : request,
      );
      for (const request of [...signed, ...forged]) await sendForm(toForm(request));
      for (const request of redeliveries) await sendForm(toForm(request));

      timings.e2eSend = Date.now() - started;

      // Wait (bounded) until everything has settled.
      const depth = async (url: string) => {
        const a = await queueAttributes(url);
        return (
          Number(a.ApproximateNumberOfMessages) +
          Number(a.ApproximateNumberOfMessagesNotVisible) +
          Number(a.ApproximateNumberOfMessagesDelayed)
        );
      };
      const delivered = () => new Set(target.requests.filter((r) => r.status === 200).map((r) => String(r.headers['x-webhook-id'])));
      const state = async () => ({
        delivered: delivered().size,
        ingest: await depth(outputs.ingest_queue_url),
        process: await depth(outputs.process_queue_url),
        deliver: await depth(outputs.deliver_queue_url),
        ingestDlq: await depth(outputs.ingest_dlq_url),
        processDlq: await depth(outputs.process_dlq_url),
        deliverDlq: await depth(outputs.deliver_dlq_url),
      });
      const settled = {
        delivered: SCENARIO.signed,
        ingest: 0,
        process: 0,
        deliver: 0,
        ingestDlq: 0,
        processDlq: SCENARIO.processPoison,
        deliverDlq: SCENARIO.deliverPoison,
      };
      const deadline = Date.now() + SCENARIO_TIMEOUT_MS;
      let last = await state();
      while (JSON.stringify(last) !== JSON.stringify(settled) && Date.now() < deadline) {
        await delay(500);
        last = await state();
      }
      // A little longer, so that a late duplicate delivery would still be seen.
      await delay(3_000);
      last = await state();
      timings.e2eWall = Date.now() - started;
      const finished = runner;
      runner = undefined;
      await finished.stop();
      expect({ state: last, runnerLog: runnerLog.filter((line) => !/polling|run locally/.test(line)) }).toEqual({
        state: settled,
        runnerLog: [],
      });

      // Every valid event reached the target exactly once, signed, with its payload.
      const ok = target.requests.filter((r) => r.status === 200);
      expect(ok).toHaveLength(SCENARIO.signed);
      expect(new Set(ok.map((r) => String(r.headers['x-webhook-id'])))).toEqual(new Set(signed.map((r) => r.deliveryId)));
      const byId = new Map(signed.map((r) => [r.deliveryId, r]));
      for (const request of ok) {
        const event = JSON.parse(request.body);
        const original = byId.get(event.id)!;
        expect({ source: event.source, type: event.type, data: event.data }).toEqual({
          source: original.source,
          type: original.eventType,
          data: JSON.parse(original.body),
        });
      }
      // The target failed the first attempt of 20 events; SQS redelivered each once more.
      expect(failFirst.size).toBe(20);
      expect(
        target.requests
          .filter((r) => r.status === 503)
          .map((r) => String(r.headers['x-webhook-id']))
          .sort(),
      ).toEqual([...failFirst].sort());
      expect(target.requests.filter((r) => r.status === 401)).toHaveLength(0);
      expect(target.requests).toHaveLength(SCENARIO.signed + failFirst.size);

      // Counts from the handlers' own EMF metrics.
      const validator = outputs.validator_function_name;
      const processor = outputs.processor_function_name;
      const dispatcher = outputs.dispatcher_function_name;
      const counts = {
        accepted: finished.metricSum(validator, 'Accepted'),
        rejected: finished.metricSum(validator, 'Rejected'),
        rejectedBadSignature: finished.metricSum(validator, 'Rejected', (document) => document.reason === 'bad-signature'),
        forwarded: finished.metricSum(processor, 'Forwarded'),
        duplicates: finished.metricSum(processor, 'Duplicate'),
        delivered: finished.metricSum(dispatcher, 'Delivered'),
        deliveryFailed: finished.metricSum(dispatcher, 'DeliveryFailed'),
      };
      expect(counts).toEqual({
        accepted: SCENARIO.signed + SCENARIO.duplicates,
        rejected: SCENARIO.forged,
        rejectedBadSignature: SCENARIO.forged,
        forwarded: SCENARIO.signed,
        duplicates: SCENARIO.duplicates,
        delivered: SCENARIO.signed,
        deliveryFailed: failFirst.size,
      });

      // Poison sits in the DLQ of the stage that could not process it, after exactly
      // maxReceiveCount receives (each a failed record of an invocation).
      const drain = async (url: string) => {
        const { Messages = [] } = await clients.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        return Messages;
      };
      const processDlq = await drain(outputs.process_dlq_url);
      const deliverDlq = await drain(outputs.deliver_dlq_url);
      expect(processDlq.map((m) => m.Body).sort()).toEqual([...processPoison].sort());
      expect(deliverDlq.map((m) => m.Body).sort()).toEqual([...deliverPoison].sort());
      for (const message of [...processDlq, ...deliverDlq]) {
        expect(poisonIds.has(message.MessageId!)).toBe(true);
        expect(finished.receiveCounts.get(message.MessageId!)).toBe(MAX_RECEIVE_COUNT);
        expect(finished.invocations.filter((i) => i.notDeleted.includes(message.MessageId!))).toHaveLength(MAX_RECEIVE_COUNT);
      }

      // Nothing lost. Messages: every one that entered left as a delivery, a dropped duplicate, a
      // rejection or a dead letter. Deliveries (distinct ids): accepted = delivered + DLQ + rejected.
      const enteredAtApi = signed.length + forged.length + redeliveries.length;
      const inDlq = processDlq.length + deliverDlq.length;
      expect(counts.delivered + counts.duplicates + counts.rejected + inDlq).toBe(enteredAtApi + poisonIds.size);
      const acceptedDeliveries = new Set([...signed, ...forged, ...redeliveries].map((r) => r.deliveryId)).size + poisonIds.size;
      expect(acceptedDeliveries).toBe(SCENARIO.signed + SCENARIO.forged + poisonIds.size);
      expect(ok.length + inDlq + counts.rejected).toBe(acceptedDeliveries);

      // No invocation failed as a whole or timed out: failures were per record.
      const totals = Object.values(finished.stats);
      expect(totals.reduce((sum, s) => sum + s.errors + s.timeouts, 0)).toBe(0);
      timings.validatorMaxInvocation = finished.stats[validator].maxDurationMs;
      timings.processorMaxInvocation = finished.stats[processor].maxDurationMs;
      timings.dispatcherMaxInvocation = finished.stats[dispatcher].maxDurationMs;
      console.log(`end-to-end: ${JSON.stringify({ counts, inDlq, requestsAtTarget: target.requests.length, stats: finished.stats })}`);
    });
  });

  describe('re-apply with enable_alarms=false', () => {
    test('removes the 24 alarms and changes nothing else but the dashboard that lists them', async () => {
      const before = await listLocalResources(deployment.endpoint);
      expect(before.alarms).toHaveLength(24);
      expect([before.queues.length, before.functions.length, before.eventSourceMappings.length, before.restApis.length]).toEqual([
        6, 3, 3, 1,
      ]);
      await timed('reapply', () =>
        deployLocal({
          workDir,
          motoPort: deployment.motoPort,
          vars: vars({ enable_alarms: false }),
          terraformTimeoutMs: TERRAFORM_TIMEOUT_MS,
        }),
      );
      const log = fs.readFileSync(path.join(workDir, 'logs', 'apply.log'), 'utf8');
      expect(log).toMatch(/Apply complete! Resources: 0 added, \d+ changed, 24 destroyed\./);
      const destroyedTypes = [...log.matchAll(/^(\w+)\.\S+: Destruction complete/gm)].map((m) => m[1]);
      expect(new Set(destroyedTypes)).toEqual(new Set(['aws_cloudwatch_metric_alarm']));
      const modifiedTypes = [...log.matchAll(/^(\w+)\.\S+: Modifications complete/gm)].map((m) => m[1]);
      expect(modifiedTypes.filter((type) => type !== 'aws_cloudwatch_dashboard')).toEqual([]);
      const after = await listLocalResources(deployment.endpoint);
      expect(after.alarms).toEqual([]);
      expect({ ...after, alarms: before.alarms }).toEqual(before);
    });
  });

  describe('destroy', () => {
    test('destroys everything, leaves nothing on the endpoint, and stops the moto server it started', async () => {
      const session = readSession(workDir)!;
      expect(session.motoPid).toBeDefined();
      const result = await timed('destroy', () => destroyLocal({ workDir, terraformTimeoutMs: TERRAFORM_TIMEOUT_MS }));
      destroyed = true;
      expect(fs.readFileSync(path.join(workDir, 'logs', 'destroy.log'), 'utf8')).toMatch(/Destroy complete! Resources: \d+ destroyed\./);
      // Listed through the SDK after `terraform destroy` and before moto stopped: queues,
      // functions, mappings, alarms, dashboards, topics, subscriptions, APIs, tables, roles, log groups.
      expect(result.leftovers).toEqual({});
      expect(result.stoppedMotoPid).toBe(session.motoPid);
      expect(await motoAnswers(deployment.endpoint)).toBe(false);
      expect(fs.existsSync(path.join(workDir, OUTPUTS_FILE))).toBe(false);
    });
  });
});
