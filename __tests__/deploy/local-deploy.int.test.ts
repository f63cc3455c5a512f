/**
 * The deploy round trip on a local AWS API (moto server on loopback), with the code behind
 * `npm run deploy:local` / `destroy:local`, and the end-to-end scenario on the deployed stack:
 *
 * 1. deploy (one apply: alarm_email set, three HTTPS destinations with routes, a retry schedule
 *    of seconds, short function timeouts);
 * 2. read the deployed resources back through the AWS SDK;
 * 3. end to end: webhooks enter at the ingest queue in exactly the shape the deployed API
 *    mapping template produces, and the three deployed handler packages run under
 *    scripts/lib/esm-runner.ts with the event source mappings' semantics, against destinations
 *    that go down, throttle, disappear and come back;
 * 4. re-apply with enable_alarms=false (the 24 alarms and the lanes' go, nothing else but the dashboard changes);
 * 5. destroy: nothing left, and the moto server deploy started is stopped.
 *
 * Applies are few on purpose: moto makes the provider wait ~25 s for each SQS queue.
 */
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
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
import {
  GetEventSourceMappingCommand,
  GetFunctionCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { GetTopicAttributesCommand, ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  GetQueueAttributesCommand,
  type Message,
  type QueueAttributeName,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { Webhook } from 'standardwebhooks';
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
import { ingestRequestTemplate, UNKNOWN_SOURCE_REQUEST } from '../../src/api/ingest-template';
import { retryRetentionSeconds } from '../../src/config/delivery';
import { DEFAULT_DESTINATION, SCHEME_HEADERS } from '../../src/contract';
import { describeIfTerraform } from '../support/terraform';
import { parseSendMessageForm, renderMappingTemplate, type SendMessageForm } from '../support/velocity';
import { type HttpsReceiver, type ReceiverAnswer, startHttpsReceiver } from './https-receiver';

jest.setTimeout(20 * 60_000);

/**
 * Short timeouts keep the visibility timeouts (6 ×), and so the retries of what fails without a
 * backoff of its own (poison), short: 12 s, 18 s, 12 s. Each still leaves room for a batch of 10
 * on moto.
 */
const FUNCTION_TIMEOUTS = { validator: 2, processor: 3, dispatcher: 2 } as const;
const ALARM_EMAIL = 'ops@example.com';
const MAX_RECEIVE_COUNT = 5;
/**
 * The delivery retry schedule, compressed to seconds for the test (the default is about a day):
 * four retries, so the deliver queue's maxReceiveCount is 5 like the others'.
 */
const RETRY_SCHEDULE = [1, 1, 2, 2] as const;
const SOURCES = { github: 'github', stripe: 'stripe', shopify: 'shopify', generic: 'hmac-sha256' } as const;
type Source = keyof typeof SOURCES;
const SOURCE_NAMES = Object.keys(SOURCES) as Source[];
const secretOf = (source: Source) => `local-${source}-secret`;
/** The source whose secret is rotated mid-stream, and its new secret. */
const ROTATED: Source = 'github';
const ROTATED_NEW_SECRET = 'local-github-secret-rotated';

/**
 * The destinations: `default` (delivery_url) and `a` take everything; `b` only Stripe's invoices.
 * Each is a path of one loopback HTTPS receiver.
 */
const DESTINATIONS = ['default', 'a', 'b'] as const;
type Destination = (typeof DESTINATIONS)[number];
const DESTINATION_PATHS: Record<Destination, string> = { default: '/hooks', a: '/a', b: '/b' };
const routesTo = (source: Source, eventType: string): Destination[] =>
  DESTINATIONS.filter((d) => d !== 'b' || (source === 'stripe' && eventType.startsWith('invoice.')));
/**
 * Signing secrets, one per line: `default` keeps a 0.1.0 (raw) secret, `a` a Standard Webhooks
 * one, and `b` is mid-rotation (new, then old), so the dispatcher signs `b`'s deliveries with both.
 */
const DESTINATION_SECRETS: Record<Destination, readonly string[]> = {
  default: ['local-delivery-signing-secret'],
  a: [`whsec_${randomBytes(32).toString('base64')}`],
  b: [`whsec_${randomBytes(32).toString('base64')}`, 'local-b-previous-secret'],
};
const verifies = (secret: string, raw: Buffer, headers: Record<string, string>): boolean => {
  try {
    (secret.startsWith('whsec_') ? new Webhook(secret) : new Webhook(secret, { format: 'raw' })).verify(raw, headers);
    return true;
  } catch {
    return false;
  }
};

const SCENARIO = { signed: 200, forged: 20, duplicates: 20, processPoison: 3, deliverPoison: 2, unknownSource: 3 } as const;
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

/** What one destination's receiver saw of one request. */
interface Delivery {
  readonly destination: Destination;
  readonly webhookId: string;
  readonly attempt: number;
  readonly status: number;
  /** The destination's secrets the `webhook-signature` verified with (standardwebhooks). */
  readonly verifiedWith: readonly string[];
  readonly raw: Buffer;
  readonly headers: Record<string, string>;
  /** Epoch milliseconds the request arrived. */
  readonly at: number;
}

describeIfTerraform('local deploy round trip and end to end on moto', () => {
  let workDir: string;
  let deployment: LocalDeployment;
  let outputs: Record<string, string>;
  /** The delivery_lanes output: each destination's lane. */
  const lanes = () =>
    outputs.delivery_lanes as unknown as Record<
      string,
      {
        queue_url: string;
        queue_arn: string;
        dead_letter_queue_url: string;
        dead_letter_queue_arn: string;
        event_source_mapping_uuid: string;
      }
    >;
  let receiver: HttpsReceiver;
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
  /** Everything the destinations received, in arrival order. */
  const deliveries: Delivery[] = [];
  /** Scripted answers by `<destination> <webhook-id>`, from the attempt number; 200 otherwise. */
  const scripts = new Map<string, (attempt: number) => ReceiverAnswer>();

  const destinationUrl = (destination: Destination) => `${receiver.url}${DESTINATION_PATHS[destination]}`;
  const vars = (extra: Record<string, unknown> = {}) => ({
    alarm_email: ALARM_EMAIL,
    delivery_url: destinationUrl('default'),
    delivery_destinations: {
      a: { url: destinationUrl('a') },
      b: { url: destinationUrl('b'), sources: ['stripe'], event_types: ['invoice.*'] },
    },
    delivery_retry_schedule: RETRY_SCHEDULE,
    function_timeouts: FUNCTION_TIMEOUTS,
    ...extra,
  });

  beforeAll(async () => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-local-deploy-'));
    receiver = await startHttpsReceiver((request) => {
      const destination = DESTINATIONS.find((d) => DESTINATION_PATHS[d] === request.path);
      if (!destination) return { status: 404 };
      const headers = request.headers as Record<string, string>;
      const verifiedWith = DESTINATION_SECRETS[destination].filter((secret) => verifies(secret, request.raw, headers));
      const webhookId = String(headers['webhook-id']);
      const attempt = Number(headers['x-webhook-attempt']);
      const answer: ReceiverAnswer =
        verifiedWith.length === 0 ? { status: 401 } : (scripts.get(`${destination} ${webhookId}`)?.(attempt) ?? { status: 200 });
      deliveries.push({ destination, webhookId, attempt, status: answer.status, verifiedWith, raw: request.raw, headers, at: Date.now() });
      return answer;
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
    await receiver?.close();
    // Kept for inspection (state, logs, the functions' output) unless the round trip completed.
    if (workDir && destroyed) fs.rmSync(workDir, { recursive: true, force: true });
    const seconds = Object.fromEntries(Object.entries(timings).map(([name, ms]) => [name, `${(ms / 1000).toFixed(1)} s`]));
    console.log(`local deploy round trip timings: ${JSON.stringify(seconds)}`);
  });

  const queueAttributes = async (url: string) =>
    (await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All' as QueueAttributeName] }))).Attributes ??
    {};
  const arnOf = (queueUrl: string) => `arn:aws:sqs:us-east-1:${MOTO_ACCOUNT_ID}:${queueUrl.split('/').pop()}`;
  /** The deployed template's source table: Terraform's jsonencode of webhook_sources' schemes (keys sorted, no spaces). */
  const deployedSourceSchemes = () => JSON.stringify(Object.fromEntries(Object.entries(SOURCES).sort(([a], [b]) => a.localeCompare(b))));

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
        destination_secrets_path: '/webhook-pipeline/dev/delivery/destinations/',
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

    test("a paused destination stays paused: the next plan leaves its lane's mapping alone", async () => {
      // What `webhook-pipeline destinations pause a` does (src/cli/lanes.ts), then a plan.
      const uuid = lanes().a.event_source_mapping_uuid;
      await clients.lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }));
      try {
        const plan = await terraformLocal(['plan', '-detailed-exitcode', '-input=false', '-no-color', '-lock=false'], {
          workDir,
          terraformTimeoutMs: TERRAFORM_TIMEOUT_MS,
        });
        expect({ code: plan.code, stderr: plan.stderr }).toEqual({ code: 0, stderr: '' });
        expect(plan.stdout).toContain('No changes.');
        expect((await clients.lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State).toBe('Disabled');
      } finally {
        await clients.lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: true }));
      }
    });
  });

  describe('deployed resources, read back through the AWS SDK', () => {
    test.each(['ingest', 'process', 'deliver'] as const)(
      '%s queue: redrive to its own DLQ after 5 receives (the deliver queue: the retry schedule + 1), SSE, TLS only',
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

    /** DELIVERY_DESTINATIONS, as both the processor and the dispatcher get it (compared parsed). */
    const expectedDestinations = () => ({
      [DEFAULT_DESTINATION]: {
        url: destinationUrl('default'),
        secretParameter: outputs.delivery_secret_parameter,
        sources: null,
        eventTypes: null,
      },
      a: { url: destinationUrl('a'), secretParameter: `${outputs.destination_secrets_path}a`, sources: null, eventTypes: null },
      b: {
        url: destinationUrl('b'),
        secretParameter: `${outputs.destination_secrets_path}b`,
        sources: ['stripe'],
        eventTypes: ['invoice.*'],
      },
    });
    /** A lane's URL has the shared deliver queue's form, with the destination's name in it. */
    const laneUrlTemplate = (stem: string) => outputs.deliver_queue_url.replace('webhook-deliver-dev', `webhook-${stem}-{destination}-dev`);
    const expectedEnvironment = () => ({
      validator: {
        NEXT_QUEUE_URL: outputs.process_queue_url,
        SOURCE_SECRETS_PATH: outputs.source_secrets_path,
        STRIPE_TOLERANCE_SECONDS: '300',
        MAX_BODY_BYTES: '262144',
      },
      processor: {
        DELIVERY_LANE_QUEUE_URL: laneUrlTemplate('lane'),
        IDEMPOTENCY_TABLE_NAME: outputs.idempotency_table_name,
        IDEMPOTENCY_TTL_SECONDS: '86400',
      },
      dispatcher: {
        DELIVERY_RETRY_SCHEDULE: JSON.stringify(RETRY_SCHEDULE),
        SOURCE_QUEUE_URL: outputs.deliver_queue_url,
        DEAD_LETTER_QUEUE_URL: outputs.deliver_dlq_url,
        DELIVERY_LANE_QUEUE_URL: laneUrlTemplate('lane'),
        DELIVERY_LANE_DLQ_URL: laneUrlTemplate('lanedlq'),
        // 40 % of the dispatcher's timeout (two rounds of a batch's concurrent deliveries), 1-10 s.
        DELIVERY_TIMEOUT_MS: String(Math.max(1000, Math.min(10_000, Math.floor(FUNCTION_TIMEOUTS.dispatcher * 400)))),
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
        if (name === 'validator') {
          expect(JSON.parse(environment.WEBHOOK_SOURCES)).toEqual(
            Object.fromEntries(SOURCE_NAMES.map((s) => [s, { scheme: SOURCES[s], toleranceSeconds: null, secretParameter: null }])),
          );
        } else {
          expect(JSON.parse(environment.DELIVERY_DESTINATIONS)).toEqual(expectedDestinations());
        }
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
      '%s event source mappings: its queue, batch 10 in 1 s, ReportBatchItemFailures, maximum concurrency 100 (the dispatcher: 2 on the shared deliver queue, and a share of the rest per lane)',
      async (name, queue) => {
        const { Configuration } = await clients.lambda.send(new GetFunctionCommand({ FunctionName: outputs[`${name}_function_name`] }));
        const { EventSourceMappings = [] } = await clients.lambda.send(
          new ListEventSourceMappingsCommand({ FunctionName: Configuration!.FunctionArn }),
        );
        // The dispatcher also has one mapping per delivery lane, and its own only drains the shared
        // deliver queue (concurrency 2); the lanes share the rest of its reserve of 100.
        const own = EventSourceMappings.filter((m) => m.EventSourceArn === arnOf(outputs[`${queue}_queue_url`]));
        expect(own).toHaveLength(1);
        expect(own[0]).toMatchObject({
          FunctionArn: Configuration!.FunctionArn,
          BatchSize: 10,
          MaximumBatchingWindowInSeconds: 1,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          ScalingConfig: { MaximumConcurrency: name === 'dispatcher' ? 2 : 100 },
          State: 'Enabled',
        });
        const laneMappings = EventSourceMappings.filter((m) => m !== own[0]);
        if (name !== 'dispatcher') {
          expect(laneMappings).toEqual([]);
          return;
        }
        expect(laneMappings.map((m) => m.EventSourceArn).sort()).toEqual(DESTINATIONS.map((d) => lanes()[d].queue_arn).sort());
        for (const mapping of laneMappings) {
          expect(mapping).toMatchObject({
            BatchSize: 10,
            FunctionResponseTypes: ['ReportBatchItemFailures'],
            ScalingConfig: { MaximumConcurrency: Math.floor((100 - 2) / DESTINATIONS.length) },
            State: 'Enabled',
          });
          expect(DESTINATIONS.map((d) => lanes()[d].event_source_mapping_uuid)).toContain(mapping.UUID);
        }
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
      expect(integration.requestTemplates?.['application/json']).toBe(ingestRequestTemplate({ sourceSchemes: deployedSourceSchemes() }));
      expect(
        Object.fromEntries(Object.values(integration.integrationResponses ?? {}).map((r) => [r.statusCode, r.selectionPattern ?? null])),
      ).toEqual({ '202': '2\\d{2}', '400': '4\\d{2}', '502': '5\\d{2}', '500': null });
    });

    test('26 alarms and 3 per delivery lane, with their thresholds, notifying the alarm topic on ALARM and OK', async () => {
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
          // The deliver queue has no age alarm: its messages back off by design.
          ...(queue === 'deliver' ? {} : { [`webhook-${queue}-age-dev`]: 300 }),
          [`webhook-${queue}-depth-dev`]: 100,
          [`webhook-${queue}-dlq-messages-dev`]: 0,
        });
      }
      // Instead, the share of delivery attempts that failed (metric math over the dispatcher's EMF metrics).
      expected['webhook-dispatcher-delivery-failure-rate-dev'] = 50;
      // The archive's writers: any line Firehose did not take.
      expected['webhook-processor-archive-write-failed-dev'] = 0;
      expected['webhook-dispatcher-archive-write-failed-dev'] = 0;
      // Each lane's: its DLQ, its oldest delivery at half the lane's retention, its failure rate.
      for (const d of DESTINATIONS) {
        Object.assign(expected, {
          [`webhook-lane-${d}-dlq-dev`]: 0,
          [`webhook-lane-${d}-age-dev`]: Math.floor(retryRetentionSeconds([...RETRY_SCHEDULE]) / 2),
          [`webhook-lane-${d}-failure-rate-dev`]: 50,
        });
      }
      expect(Object.keys(expected)).toHaveLength(26 + 3 * DESTINATIONS.length);
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
        '/aws/kinesisfirehose/webhook-archive-dev': 30,
        '/aws/lambda/webhook-validator-dev': 30,
        '/aws/lambda/webhook-processor-dev': 30,
        '/aws/lambda/webhook-dispatcher-dev': 30,
      });
    });
  });

  describe('end to end: every accepted webhook reaches each destination its route matches once, or a DLQ; the rest are rejected, refused or dropped as duplicates', () => {
    interface WebhookRequest {
      readonly source: Source;
      readonly body: string;
      /** Header names as providers send them. */
      readonly headers: Record<string, string>;
      /** The delivery id the pipeline should derive (and deliver as `x-webhook-id`). */
      readonly deliveryId: string;
      readonly eventType: string;
    }
    /** The `webhook-id` the dispatcher sends: ids are unique only per provider. */
    const webhookIdOf = (request: WebhookRequest) => `${request.source}:${request.deliveryId}`;

    const hex = (secret: string, data: string) => createHmac('sha256', secret).update(data, 'utf8').digest('hex');
    const common = { 'Content-Type': 'application/json', 'User-Agent': 'local-e2e/1.0', Accept: '*/*' };

    /**
     * Bodies that a parse and re-serialize would change: integers beyond 2^53, exponents, -0,
     * trailing zeros, whitespace (tabs, CRLF, trailing), escapes (quotes, slashes, \u, surrogate
     * pairs, U+2028, controls) and non-ASCII text. Each destination must receive these bytes.
     */
    const ODD_BODIES: Record<Source, (deliveryId: string, eventType: string) => string> = {
      github: (id) =>
        '{ "action" : "opened",\t"number": 12345678901234567890123, "issue": {"title": "Gr\\u00fc\\u00dfe \\"quoted\\" \\\\ \\/ café",' +
        ` "body": "Zeilen\\r\\numbruch — 日本語 😀"}, "ref": "${id}" }\r\n`,
      stripe: (id, type) =>
        `{"id":"${id}", "type":"${type}",\n  "data":{"object":{"amount_due": 12345678901234567890123, "total": 1.0e+2, "tax": -0, "memo":"\\ud83d\\ude00 ünïcödé\\u2028"}}}   `,
      shopify: () =>
        '{"id": 12345678901234567890123 , "email":"ünïcödé@example.com", "note":"  two  spaces\\tand an escaped tab ", "line_items":[ {"price":"10.00"} ,{"price": 1E-7} ]}',
      generic: () =>
        '{"build": 12345678901234567890123.000, "status":"passed", "log":"\\u0000\\u001f escaped controls", "text":"ελληνικά"}\n\n',
    };

    interface WebhookOptions {
      /** The raw body, given the delivery id and event type (Stripe's are in the body). */
      readonly body?: (deliveryId: string, eventType: string) => string;
      /** Stripe's event type; the other sources name theirs in headers. */
      readonly stripeType?: string;
      readonly stripeTimestamp?: number;
    }

    /** A provider's webhook, signed with `secret`, in each scheme's own header casing. */
    function webhook(source: Source, n: number, secret: string, options: WebhookOptions = {}): WebhookRequest {
      const id = randomUUID();
      switch (source) {
        case 'github': {
          const eventType = 'issues';
          const body =
            options.body?.(id, eventType) ?? JSON.stringify({ action: 'opened', number: n, repository: { full_name: 'acme/widgets' } });
          return {
            source,
            body,
            headers: {
              ...common,
              'X-Hub-Signature-256': `sha256=${hex(secret, body)}`,
              'X-GitHub-Delivery': id,
              'X-GitHub-Event': eventType,
            },
            deliveryId: id,
            eventType,
          };
        }
        case 'stripe': {
          const deliveryId = `evt_${id}`;
          const eventType = options.stripeType ?? 'payment_intent.succeeded';
          const body =
            options.body?.(deliveryId, eventType) ?? JSON.stringify({ id: deliveryId, type: eventType, data: { object: { amount: n } } });
          const timestamp = options.stripeTimestamp ?? Math.floor(Date.now() / 1000);
          return {
            source,
            body,
            headers: { ...common, 'Stripe-Signature': `t=${timestamp},v1=${hex(secret, `${timestamp}.${body}`)}` },
            deliveryId,
            eventType,
          };
        }
        case 'shopify': {
          const eventType = 'orders/create';
          const body = options.body?.(id, eventType) ?? JSON.stringify({ id: n, email: `buyer${n}@example.com`, total_price: '10.00' });
          const hmac = createHmac('sha256', secret).update(body, 'utf8').digest('base64');
          return {
            source,
            body,
            headers: { ...common, 'X-Shopify-Hmac-Sha256': hmac, 'X-Shopify-Webhook-Id': id, 'X-Shopify-Topic': eventType },
            deliveryId: id,
            eventType,
          };
        }
        case 'generic': {
          const eventType = 'build.finished';
          const body = options.body?.(id, eventType) ?? JSON.stringify({ build: n, status: 'passed' });
          return {
            source,
            body,
            headers: {
              ...common,
              'X-Signature-256': `sha256=${hex(secret, body)}`,
              'X-Webhook-Id': id,
              'X-Webhook-Event': eventType,
            },
            deliveryId: id,
            eventType,
          };
        }
      }
    }

    let deployedTemplate: string;
    const render = (request: WebhookRequest, source: string, requestId: string = randomUUID()) =>
      renderMappingTemplate(deployedTemplate, { body: request.body, pathParameters: { source }, headers: request.headers, requestId });
    const toForm = (request: WebhookRequest, requestId: string = randomUUID()): SendMessageForm =>
      parseSendMessageForm(render(request, request.source, requestId));

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

    /**
     * A request for a source the stack does not know, as API Gateway's integration sends it: the
     * deployed template renders the request SQS refuses, POSTed as is (SQS's query protocol). Resolves
     * to SQS's status, which the 4xx integration response turns into the caller's 400.
     */
    async function postToUnknownSource(request: WebhookRequest, source: string): Promise<number> {
      const form = render(request, source);
      expect(form).toBe(UNKNOWN_SOURCE_REQUEST);
      const response = await fetch(outputs.ingest_queue_url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          // API Gateway signs with the integration role; moto does not verify signatures.
          Authorization: 'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0',
        },
        body: form,
      });
      await response.arrayBuffer();
      return response.status;
    }

    beforeAll(async () => {
      const restApiId = outputs.api_id;
      const { items = [] } = await clients.apigateway.send(new GetResourcesCommand({ restApiId }));
      const resourceId = items.find((item) => item.path === '/webhooks/{source}')!.id;
      const integration = await clients.apigateway.send(new GetIntegrationCommand({ restApiId, resourceId, httpMethod: 'POST' }));
      deployedTemplate = integration.requestTemplates!['application/json'];
    });

    test("the deployed mapping template turns a request into SendMessage: raw body, source, request id, then the present headers of the source's scheme, in its order", () => {
      for (const source of SOURCE_NAMES) {
        for (const request of [webhook(source, 1, secretOf(source)), webhook(source, 2, secretOf(source), { body: ODD_BODIES[source] })]) {
          const form = toForm(request, 'req-123');
          expect(form.action).toBe('SendMessage');
          expect(form.messageBody).toBe(request.body);
          const lowerCased = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value]));
          const forwarded = SCHEME_HEADERS[SOURCES[source]]
            .filter((name) => name in lowerCased)
            .map((name) => ({ name, value: lowerCased[name] }));
          expect(form.attributes.map(({ name, dataType, value }) => ({ name, dataType, value }))).toEqual([
            { name: 'source', dataType: 'String', value: source },
            { name: 'request-id', dataType: 'String', value: 'req-123' },
            ...forwarded.map(({ name, value }) => ({ name, dataType: 'String', value })),
          ]);
          expect(form.attributes.map((a) => a.index)).toEqual(form.attributes.map((_, i) => i + 1));
          expect(form.attributes.map((a) => a.name)).not.toContain('user-agent');
        }
      }
      // The odd bodies are what they claim: valid JSON that a parse and re-serialize would change.
      for (const body of Object.values(ODD_BODIES).map((b) => b('evt_x', 'invoice.paid'))) {
        expect(JSON.stringify(JSON.parse(body))).not.toBe(body);
      }
      // A source the stack does not know: the request SQS refuses, whatever it carries.
      expect(render(webhook('github', 1, secretOf('github')), 'gitlab')).toBe(UNKNOWN_SOURCE_REQUEST);
    });

    test('signed, forged, redelivered, rotated, odd and poison webhooks, three routed destinations that go down, throttle, disappear and recover: the ledger balances', async () => {
      const started = Date.now();
      const put = (name: string, value: string) =>
        clients.ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: 'SecureString', Overwrite: true }));
      // Secrets in SSM where the deployed stack reads them: one per source, one list per destination.
      for (const source of SOURCE_NAMES) await put(`${outputs.source_secrets_path}${source}`, secretOf(source));
      const secretParameters: Record<Destination, string> = {
        default: outputs.delivery_secret_parameter,
        a: `${outputs.destination_secrets_path}a`,
        b: `${outputs.destination_secrets_path}b`,
      };
      for (const destination of DESTINATIONS) await put(secretParameters[destination], DESTINATION_SECRETS[destination].join('\n'));

      const runnerLog: string[] = [];
      runner = await EsmRunner.start({
        endpoint: deployment.endpoint,
        functionNames: [outputs.validator_function_name, outputs.processor_function_name, outputs.dispatcher_function_name],
        codeFiles: deployedCodeFiles(workDir),
        workDir: path.join(workDir, 'esm-runner'),
        extraEnv: { NODE_EXTRA_CA_CERTS: receiver.caFile },
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

      // What the destinations answer, by event and attempt (x-webhook-attempt); 200 otherwise.
      const expectedAnswers = new Map<string, ReceiverAnswer[]>();
      const script = (destination: Destination, request: WebhookRequest, ...answers: (number | ReceiverAnswer)[]) => {
        const list = answers.map((answer) => (typeof answer === 'number' ? { status: answer } : answer));
        const key = `${destination} ${webhookIdOf(request)}`;
        expectedAnswers.set(key, list);
        scripts.set(key, (attempt) => list[Math.min(attempt, list.length) - 1]);
      };
      const throttle: ReceiverAnswer = { status: 429, headers: { 'Retry-After': '1' } };
      // `a` is down for a while for these: 503 to the first three attempts, then 2xx.
      const outage = (['github', 'shopify', 'generic'] as const).map((source, i) => webhook(source, 9001 + i, secretOf(source)));
      for (const request of outage) script('a', request, 503, 503, 503, 200);
      // `default` throttles: 429 with Retry-After: 1 at the first attempt, and at the third (where
      // the schedule's step is 2 s: Retry-After replaces it).
      const throttled = [webhook('shopify', 9011, secretOf('shopify')), webhook('generic', 9012, secretOf('generic'))];
      script('default', throttled[0], throttle, 200);
      script('default', throttled[1], 503, 503, throttle, 200);
      // `b` is gone for this invoice (410): to the DLQ at once, while `a` fails it once and retries
      // on its own, and `default` takes it at once.
      const gone = webhook('stripe', 9021, secretOf('stripe'), { stripeType: 'invoice.payment_failed' });
      script('b', gone, 410);
      script('a', gone, 503, 200);
      // `b` fails this invoice at every attempt: the schedule runs out, and SQS dead-letters it.
      const exhausted = webhook('stripe', 9022, secretOf('stripe'), { stripeType: 'invoice.finalized' });
      script('b', exhausted, ...Array<number>(MAX_RECEIVE_COUNT).fill(500));
      // One odd body per source (Stripe's an invoice, so `b` receives it too).
      const odd = SOURCE_NAMES.map((source, i) =>
        webhook(source, 9031 + i, secretOf(source), { body: ODD_BODIES[source], stripeType: 'invoice.paid' }),
      );
      const special = [...outage, ...throttled, gone, exhausted, ...odd];

      // The traffic. One Stripe event in two is an invoice.
      const signed = Array.from({ length: SCENARIO.signed }, (_, n) => {
        const source = SOURCE_NAMES[n % 4];
        return webhook(source, n, secretOf(source), { stripeType: n % 8 === 1 ? 'invoice.paid' : 'payment_intent.succeeded' });
      });
      // Forged ones for every source but the one rotated below: a failed verification re-reads the
      // secret at most once per 30 s and parameter (SECRET_REFRESH_INTERVAL_SECONDS), and the
      // rotation must not fall within 30 s of such a read (docs/RUNBOOK.md, "Rotate a secret").
      const forgedSources = SOURCE_NAMES.filter((source) => source !== ROTATED);
      const forged = Array.from({ length: SCENARIO.forged }, (_, n) =>
        webhook(forgedSources[n % forgedSources.length], 1000 + n, 'not-the-secret'),
      );
      for (const request of [...special, ...signed, ...forged]) await sendForm(toForm(request));

      // A rotation mid-stream: webhooks signed with the old secret are queued; the new secret goes
      // in first (new, then old), then the provider signs some with the old and some with the new.
      const rotatedBefore = Array.from({ length: 5 }, (_, n) => webhook(ROTATED, 2000 + n, secretOf(ROTATED)));
      for (const request of rotatedBefore) await sendForm(toForm(request));
      await put(`${outputs.source_secrets_path}${ROTATED}`, `${ROTATED_NEW_SECRET}\n${secretOf(ROTATED)}`);
      const rotatedAfter = Array.from({ length: 10 }, (_, n) =>
        webhook(ROTATED, 2010 + n, n % 2 === 0 ? ROTATED_NEW_SECRET : secretOf(ROTATED)),
      );
      for (const request of rotatedAfter) await sendForm(toForm(request));
      const rotation = [...rotatedBefore, ...rotatedAfter];

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
      for (const request of redeliveries) await sendForm(toForm(request));

      // A source the stack does not know never reaches the ingest queue: SQS refuses the request.
      const refusedAtEdge: number[] = [];
      for (let n = 0; n < SCENARIO.unknownSource; n += 1) {
        refusedAtEdge.push(await postToUnknownSource(webhook('github', 3000 + n, secretOf('github')), 'gitlab'));
      }
      expect(refusedAtEdge).toEqual(Array(SCENARIO.unknownSource).fill(400));
      timings.e2eSend = Date.now() - started;

      // What each destination should end with: every distinct genuine webhook its route matches,
      // delivered once, but for the two `b` dead-letters.
      const genuine = [...special, ...signed, ...rotation];
      const byWebhookId = new Map(genuine.map((request) => [webhookIdOf(request), request]));
      expect(byWebhookId.size).toBe(genuine.length);
      const routed = Object.fromEntries(
        DESTINATIONS.map((d) => [d, new Set(genuine.filter((r) => routesTo(r.source, r.eventType).includes(d)).map(webhookIdOf))]),
      ) as Record<Destination, Set<string>>;
      const deadLettered: Record<Destination, Set<string>> = {
        default: new Set(),
        a: new Set(),
        b: new Set([webhookIdOf(gone), webhookIdOf(exhausted)]),
      };
      const expectedDelivered = Object.fromEntries(
        DESTINATIONS.map((d) => [d, new Set([...routed[d]].filter((id) => !deadLettered[d].has(id)))]),
      ) as Record<Destination, Set<string>>;
      const is2xx = (status: number) => status >= 200 && status < 300;
      const deliveredIds = (d: Destination) =>
        new Set(deliveries.filter((x) => x.destination === d && is2xx(x.status)).map((x) => x.webhookId));

      // Wait (bounded) until everything has settled.
      const depth = async (url: string) => {
        const a = await queueAttributes(url);
        return (
          Number(a.ApproximateNumberOfMessages) +
          Number(a.ApproximateNumberOfMessagesNotVisible) +
          Number(a.ApproximateNumberOfMessagesDelayed)
        );
      };
      // The shared deliver queue and every lane: where a delivery waits, backs off or dead-letters.
      const depthOf = async (urls: readonly string[]) => (await Promise.all(urls.map(depth))).reduce((a, b) => a + b, 0);
      const state = async () => ({
        delivered: Object.fromEntries(DESTINATIONS.map((d) => [d, deliveredIds(d).size])),
        ingest: await depth(outputs.ingest_queue_url),
        process: await depth(outputs.process_queue_url),
        deliver: await depthOf([outputs.deliver_queue_url, ...DESTINATIONS.map((d) => lanes()[d].queue_url)]),
        ingestDlq: await depth(outputs.ingest_dlq_url),
        processDlq: await depth(outputs.process_dlq_url),
        deliverDlq: await depthOf([outputs.deliver_dlq_url, ...DESTINATIONS.map((d) => lanes()[d].dead_letter_queue_url)]),
      });
      const settled = {
        delivered: Object.fromEntries(DESTINATIONS.map((d) => [d, expectedDelivered[d].size])),
        ingest: 0,
        process: 0,
        deliver: 0,
        ingestDlq: 0,
        processDlq: SCENARIO.processPoison,
        deliverDlq: SCENARIO.deliverPoison + deadLettered.b.size,
      };
      const deadline = Date.now() + SCENARIO_TIMEOUT_MS;
      let last = await state();
      while (!isDeepStrictEqual(last, settled) && Date.now() < deadline) {
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

      const validator = outputs.validator_function_name;
      const processor = outputs.processor_function_name;
      const dispatcher = outputs.dispatcher_function_name;
      /** The dispatcher's log lines for failed attempts, by `<destination> <webhook-id> <attempt>`. */
      const failures = new Map(
        finished
          .jsonLines(dispatcher)
          .filter((line) => typeof line.message === 'string' && line.message.startsWith('Delivery failed'))
          .map((line) => [`${line.destination} ${line.source}:${line.deliveryId} ${line.attempt}`, line]),
      );
      // An answer the dispatcher never saw (a timeout after the destination answered 2xx) is the one
      // documented way a destination receives a webhook-id twice; none is expected here.
      const answerLost = new Set(
        [...failures.values()]
          .filter((line) => line.reason === 'delivery-timeout')
          .map((line) => `${line.destination} ${line.source}:${line.deliveryId}`),
      );

      // Every request: signed so the destination's secrets verify it (all of them for `b`, whose
      // parameter lists two), the provider's bytes unchanged, the delivery's metadata in headers.
      const problems: string[] = [];
      for (const x of deliveries) {
        const original = byWebhookId.get(x.webhookId);
        const where = `${x.destination} ${x.webhookId} attempt ${x.attempt}`;
        if (!original) {
          problems.push(`${where}: not a webhook that was sent`);
          continue;
        }
        const secrets = DESTINATION_SECRETS[x.destination];
        if (x.verifiedWith.length !== secrets.length)
          problems.push(`${where}: verified with ${x.verifiedWith.length} of ${secrets.length} secrets`);
        if (String(x.headers['webhook-signature'] ?? '').split(' ').length !== secrets.length)
          problems.push(`${where}: not one signature per secret`);
        if (!x.raw.equals(Buffer.from(original.body, 'utf8'))) problems.push(`${where}: body altered`);
        const expectedHeaders = {
          'content-type': 'application/json',
          'x-webhook-id': original.deliveryId,
          'x-webhook-source': original.source,
          'x-webhook-event-type': original.eventType,
          'x-signature-256': `sha256=${createHmac('sha256', secrets[0]).update(x.raw).digest('hex')}`,
        };
        for (const [name, value] of Object.entries(expectedHeaders)) {
          if (x.headers[name] !== value)
            problems.push(`${where}: ${name} is ${JSON.stringify(x.headers[name])}, expected ${JSON.stringify(value)}`);
        }
      }
      expect(problems).toEqual([]);

      // Per destination: exactly what its route matches, each webhook-id answered 2xx exactly once,
      // after exactly the attempts its script called for, numbered 1, 2, … under one webhook-id.
      for (const d of DESTINATIONS) {
        const ok = deliveries.filter((x) => x.destination === d && is2xx(x.status));
        const twice = [...new Set(ok.map((x) => x.webhookId))].filter(
          (id) => ok.filter((x) => x.webhookId === id).length > 1 && !answerLost.has(`${d} ${id}`),
        );
        expect({ destination: d, deliveredTwice: twice }).toEqual({ destination: d, deliveredTwice: [] });
        expect(deliveredIds(d)).toEqual(expectedDelivered[d]);
        const attempts: string[] = [];
        for (const id of routed[d]) {
          const key = `${d} ${id}`;
          if (answerLost.has(key)) continue;
          const seen = deliveries.filter((x) => x.destination === d && x.webhookId === id).map((x) => `${x.attempt}:${x.status}`);
          const expected = (expectedAnswers.get(key) ?? [{ status: 200 }]).map((answer, i) => `${i + 1}:${answer.status}`);
          if (seen.join() !== expected.join()) attempts.push(`${key}: ${seen.join()} instead of ${expected.join()}`);
        }
        expect(attempts).toEqual([]);
      }
      expect(deliveries.filter((x) => x.destination === 'b').every((x) => x.headers['x-webhook-source'] === 'stripe')).toBe(true);
      expect(deliveries.filter((x) => x.destination === 'b').every((x) => x.headers['x-webhook-event-type'].startsWith('invoice.'))).toBe(
        true,
      );

      // Backoff: each failed attempt's next delay is the schedule's step (jitter rounds to it at
      // 1-2 s), or Retry-After's 1 s instead of a 2 s step, or 0 after the schedule's last step;
      // and the retry came no sooner.
      const expectedDelay = (key: string, attempt: number) => {
        if (attempt > RETRY_SCHEDULE.length) return 0;
        return expectedAnswers.get(key)?.[attempt - 1]?.headers?.['Retry-After'] ? 1 : RETRY_SCHEDULE[attempt - 1];
      };
      const backoffs: string[] = [];
      for (const [key] of expectedAnswers) {
        if (answerLost.has(key)) continue;
        const [d, id] = key.split(' ') as [Destination, string];
        const seen = deliveries.filter((x) => x.destination === d && x.webhookId === id);
        seen.forEach((x, i) => {
          if (is2xx(x.status) || x.status === 410) return;
          const logged = failures.get(`${key} ${x.attempt}`);
          const wanted = expectedDelay(key, x.attempt);
          if (logged?.nextDelaySeconds !== wanted)
            backoffs.push(`${key} attempt ${x.attempt}: next delay ${logged?.nextDelaySeconds} s, expected ${wanted} s`);
          if (x.status === 429 && logged?.retryAfterSeconds !== 1) backoffs.push(`${key} attempt ${x.attempt}: Retry-After not read`);
          const next = seen[i + 1];
          if (next && next.at - x.at < wanted * 1000 - 100)
            backoffs.push(`${key}: attempt ${next.attempt} came ${next.at - x.at} ms after the previous one`);
        });
      }
      expect(backoffs).toEqual([]);
      expect(failures.get(`b ${webhookIdOf(exhausted)} ${MAX_RECEIVE_COUNT}`)?.message).toBe(
        'Delivery failed on its last attempt; the next receive moves it to the DLQ',
      );

      // The rotation: every webhook of the rotated source reached both destinations that take it,
      // whether signed with the old secret (before or after the change) or the new one.
      for (const d of ['default', 'a'] as const) expect(rotation.filter((r) => !deliveredIds(d).has(webhookIdOf(r)))).toEqual([]);

      // Dead letters: poison in the DLQ of the stage that could not process it, after exactly
      // maxReceiveCount receives; `b`'s gone delivery with its reason, at once; `b`'s exhausted
      // one after the schedule's attempts (the body, untouched, names event and destination).
      const drain = async (url: string) => {
        const messages: Message[] = [];
        for (let round = 0; round < 5; round += 1) {
          const { Messages = [] } = await clients.sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: url,
              MaxNumberOfMessages: 10,
              WaitTimeSeconds: 1,
              VisibilityTimeout: 300,
              MessageAttributeNames: ['All'],
            }),
          );
          if (Messages.length === 0) break;
          messages.push(...Messages);
        }
        return messages;
      };
      const processDlq = await drain(outputs.process_dlq_url);
      const deliverDlq = (
        await Promise.all([outputs.deliver_dlq_url, ...DESTINATIONS.map((d) => lanes()[d].dead_letter_queue_url)].map(drain))
      ).flat();
      expect(processDlq.map((m) => m.Body).sort()).toEqual([...processPoison].sort());
      const deliverPoisonInDlq = deliverDlq.filter((m) => poisonIds.has(m.MessageId!));
      expect(deliverPoisonInDlq.map((m) => m.Body).sort()).toEqual([...deliverPoison].sort());
      for (const message of [...processDlq, ...deliverPoisonInDlq]) {
        expect(poisonIds.has(message.MessageId!)).toBe(true);
        expect(finished.receiveCounts.get(message.MessageId!)).toBe(MAX_RECEIVE_COUNT);
        expect(finished.invocations.filter((i) => i.notDeleted.includes(message.MessageId!))).toHaveLength(MAX_RECEIVE_COUNT);
      }
      const deliveryDeadLetters = deliverDlq
        .filter((m) => !poisonIds.has(m.MessageId!))
        .map((m) => {
          const event = JSON.parse(m.Body!);
          return {
            destination: event.destination,
            webhookId: `${event.source}:${event.id}`,
            bodyUnchanged: event.body === byWebhookId.get(`${event.source}:${event.id}`)?.body,
            reason: m.MessageAttributes?.reason?.StringValue ?? null,
            receives: finished.receiveCounts.get(m.MessageId!) ?? null,
          };
        })
        .sort((x, y) => x.webhookId.localeCompare(y.webhookId));
      expect(deliveryDeadLetters).toEqual(
        [
          // Sent to the DLQ by the dispatcher: a new message, never received from it.
          { destination: 'b', webhookId: webhookIdOf(gone), bodyUnchanged: true, reason: 'destination-gone', receives: null },
          // Moved by SQS's redrive on the receive after the last attempt.
          { destination: 'b', webhookId: webhookIdOf(exhausted), bodyUnchanged: true, reason: null, receives: MAX_RECEIVE_COUNT },
        ].sort((x, y) => x.webhookId.localeCompare(y.webhookId)),
      );

      // Counts from the handlers' own EMF metrics. The dispatcher counts each outcome twice: with
      // the service dimension only (alarms) and with the destination's (dashboards).
      const perDestination = (metric: string) =>
        Object.fromEntries(DESTINATIONS.map((d) => [d, finished.metricSum(dispatcher, metric, (document) => document.destination === d)]));
      // One document per destination carries both dimension sets: the alarms' total is their sum.
      const overall = (metric: string) => finished.metricSum(dispatcher, metric);
      const rejections = finished
        .jsonLines(validator)
        .filter((line) => line.message === 'Webhook rejected')
        .map((line) => String(line.reason));
      const counts = {
        accepted: finished.metricSum(validator, 'Accepted'),
        rejected: finished.metricSum(validator, 'Rejected'),
        rejectedBadSignature: finished.metricSum(validator, 'Rejected', (document) => document.reason === 'bad-signature'),
        rejectionsLogged: rejections.length,
        forwarded: finished.metricSum(processor, 'Forwarded'),
        duplicates: finished.metricSum(processor, 'Duplicate'),
        unrouted: finished.metricSum(processor, 'Unrouted'),
        delivered: perDestination('Delivered'),
        deliveryFailed: perDestination('DeliveryFailed'),
        deliveryGone: perDestination('DeliveryGone'),
      };
      // Failed attempts: the destination's non-2xx answers but 410, and any answer the dispatcher lost.
      const failedAnswers = (d: Destination) =>
        deliveries.filter((x) => x.destination === d && !is2xx(x.status) && x.status !== 410).length +
        [...failures.values()].filter((line) => line.destination === d && line.reason === 'delivery-timeout').length;
      expect(counts).toEqual({
        accepted: genuine.length + redeliveries.length,
        rejected: SCENARIO.forged,
        rejectedBadSignature: SCENARIO.forged,
        rejectionsLogged: SCENARIO.forged,
        forwarded: genuine.length,
        duplicates: redeliveries.length,
        unrouted: 0,
        delivered: Object.fromEntries(DESTINATIONS.map((d) => [d, expectedDelivered[d].size])),
        deliveryFailed: Object.fromEntries(DESTINATIONS.map((d) => [d, failedAnswers(d)])),
        deliveryGone: { default: 0, a: 0, b: 1 },
      });
      expect(new Set(rejections)).toEqual(new Set(['bad-signature']));
      expect(overall('Delivered')).toBe(Object.values(counts.delivered).reduce((a, b) => a + b, 0));
      expect(overall('DeliveryFailed')).toBe(Object.values(counts.deliveryFailed).reduce((a, b) => a + b, 0));

      // The ledger. What entered at the API was refused at the edge (unknown source) or stored;
      // what was stored was rejected with a logged reason or accepted; what was accepted was a
      // duplicate or a distinct webhook; and each distinct webhook, for each destination its route
      // matches, was delivered (2xx, once) or is in the deliver DLQ.
      const sum = (record: Record<string, number>) => Object.values(record).reduce((a, b) => a + b, 0);
      const ledger = {
        enteredAtApi: special.length + signed.length + forged.length + rotation.length + redeliveries.length + SCENARIO.unknownSource,
        refusedAtEdge: refusedAtEdge.length,
        stored: special.length + signed.length + forged.length + rotation.length + redeliveries.length,
        rejected: counts.rejectionsLogged,
        accepted: counts.accepted,
        duplicates: counts.duplicates,
        distinct: counts.forwarded,
        routed: Object.fromEntries(DESTINATIONS.map((d) => [d, routed[d].size])) as Record<Destination, number>,
        delivered: Object.fromEntries(DESTINATIONS.map((d) => [d, deliveredIds(d).size])) as Record<Destination, number>,
        inDeliverDlq: Object.fromEntries(
          DESTINATIONS.map((d) => [d, deliveryDeadLetters.filter((x) => x.destination === d).length]),
        ) as Record<Destination, number>,
        poisonInDlq: { process: processDlq.length, deliver: deliverPoisonInDlq.length },
      };
      expect(ledger.enteredAtApi).toBe(ledger.refusedAtEdge + ledger.stored);
      expect(ledger.stored).toBe(ledger.rejected + ledger.accepted);
      expect(ledger.accepted).toBe(ledger.duplicates + ledger.distinct);
      for (const d of DESTINATIONS) expect(ledger.routed[d]).toBe(ledger.delivered[d] + ledger.inDeliverDlq[d]);
      expect(sum(ledger.routed)).toBe(sum(ledger.delivered) + sum(ledger.inDeliverDlq));

      // No invocation failed as a whole or timed out: failures were per record.
      const totals = Object.values(finished.stats);
      expect(totals.reduce((total, s) => total + s.errors + s.timeouts, 0)).toBe(0);
      timings.validatorMaxInvocation = finished.stats[validator].maxDurationMs;
      timings.processorMaxInvocation = finished.stats[processor].maxDurationMs;
      timings.dispatcherMaxInvocation = finished.stats[dispatcher].maxDurationMs;
      const requests = Object.fromEntries(DESTINATIONS.map((d) => [d, deliveries.filter((x) => x.destination === d).length]));
      console.log(`end-to-end: ${JSON.stringify({ ledger, counts, requests, answerLost: [...answerLost], stats: finished.stats })}`);
    });
  });

  describe('re-apply with enable_alarms=false', () => {
    test("removes the 26 alarms and the lanes', and changes nothing else but the dashboard that lists them", async () => {
      const before = await listLocalResources(deployment.endpoint);
      const alarms = 26 + 3 * DESTINATIONS.length;
      expect(before.alarms).toHaveLength(alarms);
      expect([before.queues.length, before.functions.length, before.eventSourceMappings.length, before.restApis.length]).toEqual([
        6 + 2 * DESTINATIONS.length,
        3,
        3 + DESTINATIONS.length,
        1,
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
      expect(log).toMatch(new RegExp(`Apply complete! Resources: 0 added, \\d+ changed, ${alarms} destroyed\\.`));
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
