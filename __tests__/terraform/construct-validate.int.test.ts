/**
 * The construct contract, checked by the real `terraform validate`: `WebhookPipeline` in a stack
 * that holds only a provider, and each building block as `Testing.synthScope` renders it, name no
 * Terraform variable they did not declare (a reference to an undeclared variable fails validate).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DeliveryMetrics } from '../../src/metrics/delivery-metrics';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { App, TerraformStack, TerraformVariable, Testing, Token } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Construct } from 'constructs';
import { bundleHandler } from '../../src/bundling/bundle-handler';
import { AlarmFactory } from '../../src/alarms/alarm-factory';
import { buildAlarmDefinitions } from '../../src/alarms/catalogue';
import { AlarmTopic } from '../../src/constructs/alarm-topic';
import { EventArchive } from '../../src/constructs/event-archive';
import { IdempotencyTable } from '../../src/constructs/idempotency-table';
import { PipelineDashboard } from '../../src/constructs/pipeline-dashboard';
import { PipelineFunction } from '../../src/constructs/pipeline-function';
import { QueueWithDlq } from '../../src/constructs/queue-with-dlq';
import { WebhookApi } from '../../src/constructs/webhook-api';
import { WebhookPipeline } from '../../src/webhook-pipeline';
import { alarmTargets } from '../support/alarm-targets';
import { tinyBundle } from '../support/construct';
import { describeIfTerraform, TerraformRunner, writeCliConfig } from '../support/terraform';

jest.setTimeout(300_000);

const BUILDING_BLOCKS: ReadonlyArray<[string, (scope: Construct) => void]> = [
  ['QueueWithDlq', (scope) => new QueueWithDlq(scope, 'ingest', { name: 'ingest' })],
  [
    'PipelineFunction',
    (scope) => new PipelineFunction(scope, 'fn', { name: 'fn', bundle: tinyBundle(), source: new QueueWithDlq(scope, 'q', { name: 'q' }) }),
  ],
  ['IdempotencyTable', (scope) => new IdempotencyTable(scope, 'table')],
  [
    'EventArchive',
    (scope) =>
      new EventArchive(scope, 'history', {
        accountId: '123456789012',
        region: 'eu-west-1',
        partition: 'aws',
        operator: {
          sendQueueArns: ['arn:aws:sqs:eu-west-1:123456789012:q'],
          eventSourceFunctionArns: ['arn:aws:lambda:eu-west-1:123456789012:function:f'],
        },
      }),
  ],
  ['AlarmTopic', (scope) => new AlarmTopic(scope, 'topic', { accountId: '123456789012', partition: 'aws', alarmEmail: 'ops@example.com' })],
  [
    'WebhookApi',
    (scope) => {
      const queue = new SqsQueue(scope, 'ingest', { name: 'ingest' });
      new WebhookApi(scope, 'api', {
        ingestQueue: queue,
        sourceSchemes: '{"github":"github","billing":"stripe"}',
        accountId: '123456789012',
        region: 'eu-west-1',
        partition: 'aws',
      });
    },
  ],
  [
    'AlarmFactory',
    (scope) =>
      new AlarmFactory(scope, 'alarms', {
        topicArn: 'arn:aws:sns:eu-west-1:123456789012:t',
        definitions: buildAlarmDefinitions(alarmTargets()),
      }),
  ],
  [
    'PipelineDashboard',
    (scope) =>
      new PipelineDashboard(scope, 'dashboard', {
        dashboardName: 'd',
        region: 'eu-west-1',
        alarmArns: ['arn:aws:cloudwatch:eu-west-1:123456789012:alarm:a'],
        functions: [],
        queues: alarmTargets().queues,
        deliveries: new DeliveryMetrics('svc-dispatcher'),
        api: {
          ...alarmTargets().api,
          metricCount: () => alarmTargets().api.metricLatency(),
          metricIntegrationLatency: () => alarmTargets().api.metricLatency(),
        },
      }),
  ],
];

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-validate-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** One `terraform init` (the provider from the mirror) shared by every validate, through TF_DATA_DIR. */
let shared: Promise<{ dataDir: string; lockFile: string; cliConfig: string }> | undefined;
function initOnce(mirror: string) {
  shared ??= (async () => {
    const dir = path.join(root, 'init');
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, 'main.tf.json'),
      JSON.stringify({ terraform: { required_providers: { aws: { source: 'hashicorp/aws' } } } }),
    );
    const cliConfig = writeCliConfig(dir, mirror);
    await new TerraformRunner(dir, cliConfig).runOrThrow(['init', '-backend=false', '-input=false', '-no-color']);
    return { dataDir: path.join(dir, '.terraform'), lockFile: path.join(dir, '.terraform.lock.hcl'), cliConfig };
  })();
  return shared;
}

let count = 0;
async function validate(mirror: string, json: string): Promise<{ valid: boolean; error_count: number; diagnostics: unknown[] }> {
  const { dataDir, lockFile, cliConfig } = await initOnce(mirror);
  const dir = path.join(root, `config-${++count}`);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'cdk.tf.json'), json);
  fs.copyFileSync(lockFile, path.join(dir, '.terraform.lock.hcl'));
  const result = await new TerraformRunner(dir, cliConfig, { TF_DATA_DIR: dataDir }).run(['validate', '-json', '-no-color']);
  return JSON.parse(result.stdout);
}

describeIfTerraform('the construct contract (terraform validate)', (mirror) => {
  test("WebhookPipeline in a stack holding only a provider: the user's whole app", async () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-bare-'));
    const app = new App({ outdir });
    const stack = new TerraformStack(app, 'users-app');
    new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
    new WebhookPipeline(stack, 'hooks', { bundle: (name) => bundleHandler(name) });
    app.synth();
    const json = fs.readFileSync(path.join(outdir, 'stacks', 'users-app', 'cdk.tf.json'), 'utf8');
    expect(JSON.parse(json).variable).toBeUndefined();
    expect(await validate(mirror, json)).toMatchObject({ valid: true, error_count: 0 });
  });

  test('WebhookPipeline with plain destinations, a retry schedule and per-source options', async () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-options-'));
    const app = new App({ outdir });
    const stack = new TerraformStack(app, 'users-app');
    new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
    new WebhookPipeline(stack, 'hooks', {
      bundle: (name) => bundleHandler(name),
      webhookSources: {
        stripe: { scheme: 'stripe', toleranceSeconds: 600 },
        github: { scheme: 'github', secretParameter: '/shared/github-webhook-secret' },
      },
      deliveryUrl: 'https://ledger.example.com/hooks',
      destinations: { billing: { url: 'https://billing.example.com/hooks', sources: ['stripe'], eventTypes: ['invoice.*'] } },
      deliveryRetrySchedule: [10, 300, 1800, 7200, 21600, 43200, 43200, 43200],
    });
    app.synth();
    const json = fs.readFileSync(path.join(outdir, 'stacks', 'users-app', 'cdk.tf.json'), 'utf8');
    const result = await validate(mirror, json);
    expect(result.diagnostics).toEqual([]);
    expect(result).toMatchObject({ valid: true, error_count: 0 });
  });

  test.each(BUILDING_BLOCKS)('Testing.synthScope of %s', async (_name, build) => {
    const json = Testing.synthScope(build);
    expect(json).not.toMatch(/var\./);
    expect(await validate(mirror, json)).toMatchObject({ valid: true, error_count: 0 });
  });

  test('EventArchive switched by a variable: validate passes, `$${dt}` kept literal', async () => {
    const json = Testing.synthScope((scope) => {
      const days = new TerraformVariable(scope, 'history_retention_days', { type: 'number', default: 30 });
      new EventArchive(scope, 'history', {
        accountId: '123456789012',
        region: 'eu-west-1',
        partition: 'aws',
        retentionDays: days.numberValue,
      });
    });
    expect(json).toContain('/webhooks/$${dt}/');
    expect(await validate(mirror, json)).toMatchObject({ valid: true, error_count: 0 });
  });

  test('a reference to an undeclared variable does fail validate (the check can fail)', async () => {
    const json = Testing.synthScope(
      (scope) => new QueueWithDlq(scope, 'q', { name: 'q', visibilityTimeoutSeconds: Token.asNumber('${var.nope}') }),
    );
    const result = await validate(mirror, json);
    expect(result.valid).toBe(false);
    expect(JSON.stringify(result.diagnostics)).toContain('Reference to undeclared input variable');
  });
});
