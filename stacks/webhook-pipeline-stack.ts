import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import {
  CloudBackend,
  Fn,
  LocalBackend,
  NamedCloudWorkspace,
  propertyAccess,
  TerraformIterator,
  TerraformOutput,
  TerraformStack,
  Token,
} from 'cdktf';
import { Construct } from 'constructs';
import type { AlarmThresholdKey, AlarmThresholds } from '../src/alarms/catalogue';
import type { HandlerBundle } from '../src/bundling/handler-bundle';
import type { SynthSettings } from '../src/config/settings';
import { FUNCTION_NAMES, type FunctionName } from '../src/contract';
import { HISTORY_OUTPUTS } from '../src/history/archive-records';
import type { FunctionSizing } from '../src/constructs/pipeline-function';
import { renderWithHclSafeStrings } from '../src/hcl/hcl-strings';
import { PolicyCheck } from '../src/policy/policy-check';
import { WebhookPipeline } from '../src/webhook-pipeline';
import { ALARM_THRESHOLD_VARIABLE_KEYS, PipelineVariables } from './pipeline-variables';

export const STACK_NAME = 'webhook-pipeline';
export const TERRAFORM_VERSION_CONSTRAINT = '>= 1.5.0, < 2.0.0';

export interface WebhookPipelineStackProps {
  /** What synth reads from the environment (backend, state path, local endpoint): `readSynthSettings()`. */
  readonly settings: SynthSettings;
  /**
   * Bundles the named handler; tests pass a cached bundler to keep synth fast.
   * @default the package's prebuilt zips (in this repository: bundled from src/handlers)
   */
  readonly bundle?: (name: FunctionName) => HandlerBundle;
}

/** What each output tells its reader, and what to do with it. */
const OUTPUT_DESCRIPTIONS = {
  webhook_base_url: 'Base URL of the webhook API: providers POST to <this>/<source>, one of webhook_sources.',
  api_id: 'Id of the REST API (aws apigateway …).',
  api_stage: 'Stage of the REST API serving the webhooks.',
  alarm_topic_arn: 'SNS topic receiving alarm and OK notifications: subscribe your pager to it.',
  idempotency_table_name: 'DynamoDB table of processed delivery ids (de-duplication); delete an item to let a delivery through again.',
  source_secrets_path: 'SSM path prefix of the source secrets: put one SecureString per source at <this><source>.',
  delivery_secret_parameter:
    'SSM SecureString the dispatcher signs deliveries to delivery_url (the "default" destination) with: create it before the first delivery; one secret per line during a rotation.',
  destination_secrets_path:
    'SSM prefix of the delivery_destinations secrets: create <prefix><name> (a whsec_… secret, one per line during a rotation) before the first delivery.',
  dashboard_name: 'CloudWatch dashboard of the pipeline (alarm status, traffic, queues, functions).',
  delivery_lanes:
    "Each destination's delivery lane: queue_url, queue_arn, dead_letter_queue_url, dead_letter_queue_arn, event_source_mapping_uuid. webhook-pipeline destinations list|pause|resume reads it (docs/CLI.md).",
  [HISTORY_OUTPUTS.bucket]:
    'S3 bucket of the event archive: webhooks/ and attempts/ by UTC hour (YYYY/MM/DD/HH/), Athena results under athena-results/. Empty when history_retention_days is 0.',
  [HISTORY_OUTPUTS.glueDatabase]:
    'Glue database of the event archive, with the tables webhooks and attempts (partition dt, yyyy/MM/dd/HH, projected: no crawler). Empty when the archive is off.',
  [HISTORY_OUTPUTS.athenaWorkgroup]:
    'Athena workgroup to query the archive in (athena start-query-execution --work-group <this>); results are encrypted and kept 7 days. Empty when the archive is off.',
  [HISTORY_OUTPUTS.operatorPolicyArn]:
    'IAM policy to attach to the operators who read the archive, replay and redrive (webhook-pipeline history|replay, docs/CLI.md). Empty when the archive is off.',
  [HISTORY_OUTPUTS.retentionDays]: 'Days an archived webhook or attempt is kept (history_retention_days); 0: no archive.',
} as const;

/**
 * The deployable app around `WebhookPipeline`: backend, provider and default tags, Terraform
 * variables mapped to the pipeline's props (one JSON for every workspace), and outputs. The
 * pipeline's construct id is `Default`, which cdktf leaves out of logical ids, so every resource
 * keeps the address it had when the stack built the resources itself.
 */
export class WebhookPipelineStack extends TerraformStack {
  public readonly variables: PipelineVariables;
  public readonly pipeline: WebhookPipeline;

  constructor(scope: Construct, id: string, props: WebhookPipelineStackProps) {
    super(scope, id);
    const vars = (this.variables = new PipelineVariables(this, 'variables'));

    // Setup backend and provider (the Terraform version is pinned in toTerraform below).
    const { backend } = props.settings;
    if (backend.kind === 'cloud') {
      new CloudBackend(this, {
        organization: backend.organization,
        hostname: backend.hostname,
        workspaces: new NamedCloudWorkspace(backend.workspace),
      });
    } else {
      new LocalBackend(this, { path: backend.path });
    }
    new AwsProvider(this, 'aws', {
      region: vars.awsRegion.stringValue,
      defaultTags: [
        {
          tags: Token.asStringMap(
            Fn.merge([vars.tags.value, { Project: STACK_NAME, Environment: vars.environmentSuffix.stringValue, ManagedBy: 'cdktf' }]),
          ),
        },
      ],
    });

    // Policy as code: every rule, the provider's default tags included (docs/ARCHITECTURE.md).
    PolicyCheck.applyTo(this);

    // Setup the pipeline: every prop that decides something at plan time is a variable.
    const timeout = (fn: FunctionName) => Token.asNumber(propertyAccess(vars.functionTimeouts.value, [fn]));
    const sizing = Object.fromEntries(FUNCTION_NAMES.map((fn) => [fn, { timeoutSeconds: timeout(fn) } satisfies FunctionSizing]));
    const alarmThresholds: AlarmThresholds = Object.fromEntries(
      Object.entries(ALARM_THRESHOLD_VARIABLE_KEYS).map(([key, variableKey]) => [
        key as AlarmThresholdKey,
        Token.asNumber(propertyAccess(vars.alarmThresholds.value, [variableKey])),
      ]),
    );
    this.pipeline = new WebhookPipeline(this, 'Default', {
      environmentSuffix: vars.environmentSuffix.stringValue,
      tracing: vars.enableXray.booleanValue,
      alarmsEnabled: vars.enableAlarms.booleanValue,
      alarmThresholds,
      alarmEmail: vars.alarmEmail.stringValue,
      ...sizing,
      // The variables' snake_case keys become the construct's camelCase ones.
      webhookSources: TerraformIterator.fromMap(vars.webhookSources.value).forExpressionForMap(
        'key',
        '{ scheme = val.scheme, toleranceSeconds = val.tolerance_seconds, secretParameter = val.secret_parameter }',
      ),
      destinations: TerraformIterator.fromMap(vars.deliveryDestinations.value).forExpressionForMap(
        'key',
        '{ url = val.url, sources = val.sources, eventTypes = val.event_types, timeoutSeconds = val.timeout_seconds, maxInFlight = val.max_in_flight, retrySchedule = val.retry_schedule, auth = val.auth == null ? null : { type = val.auth.type, name = val.auth.name, tokenUrl = val.auth.token_url, clientId = val.auth.client_id, scope = val.auth.scope } }',
      ),
      deliveryRetrySchedule: vars.deliveryRetrySchedule.value,
      deliveryUrl: vars.deliveryUrl.stringValue,
      logRetentionDays: vars.logRetentionDays.numberValue,
      idempotencyTtlSeconds: vars.idempotencyTtlSeconds.numberValue,
      apiThrottleRateLimit: vars.apiThrottleRateLimit.numberValue,
      apiThrottleBurstLimit: vars.apiThrottleBurstLimit.numberValue,
      manageApiGatewayAccount: vars.manageApiGatewayAccount.booleanValue,
      dashboardName: `${STACK_NAME}-${vars.environmentSuffix.stringValue}`,
      secretsPath: `/${STACK_NAME}/${vars.environmentSuffix.stringValue}`,
      historyRetentionDays: vars.historyRetentionDays.numberValue,
      bundle: props.bundle,
    });

    // Setup outputs: `cdktf deploy --outputs-file` writes these for integration tests.
    const { pipeline } = this;
    const outputs: Record<string, { value: string; description: string }> = {};
    const output = (name: keyof typeof OUTPUT_DESCRIPTIONS, value: string) =>
      (outputs[name] = { value, description: OUTPUT_DESCRIPTIONS[name] });
    output('webhook_base_url', pipeline.api.webhookBaseUrl);
    output('api_id', pipeline.api.api.id);
    output('api_stage', pipeline.api.stage.stageName);
    output('alarm_topic_arn', pipeline.alarmTopicArn);
    output('idempotency_table_name', pipeline.idempotencyTable.table.name);
    output('source_secrets_path', pipeline.sourceSecretsPath);
    output('delivery_secret_parameter', pipeline.deliverySecretParameter);
    output('destination_secrets_path', pipeline.destinationSecretsPath);
    output('dashboard_name', pipeline.dashboard.dashboard.dashboardName);
    output('delivery_lanes', pipeline.lanes.description);
    const { history } = pipeline;
    output(HISTORY_OUTPUTS.bucket, history?.bucketName ?? '');
    output(HISTORY_OUTPUTS.glueDatabase, history?.databaseName ?? '');
    output(HISTORY_OUTPUTS.athenaWorkgroup, history?.workgroupName ?? '');
    output(HISTORY_OUTPUTS.operatorPolicyArn, history?.operatorPolicyArn ?? '');
    output(HISTORY_OUTPUTS.retentionDays, history?.retentionDaysAsString ?? '0');
    for (const q of Object.values(pipeline.queues)) {
      outputs[`${q.name}_queue_url`] = { value: q.queue.url, description: `URL of the ${q.name} queue.` };
      outputs[`${q.name}_dlq_url`] = {
        value: q.deadLetterQueue.url,
        description: `URL of the ${q.name} dead-letter queue: inspect and redrive it as docs/RUNBOOK.md says.`,
      };
    }
    for (const fn of Object.values(pipeline.functions)) {
      outputs[`${fn.name}_function_name`] = {
        value: fn.function.functionName,
        description: `Name of the ${fn.name} Lambda function (its logs: /aws/lambda/<name>).`,
      };
    }
    for (const [name, { value, description }] of Object.entries(outputs)) {
      // An output may share its name with a variable (history_retention_days): Terraform keeps
      // them apart, constructs do not, so such an output gets its own construct id.
      const taken = this.node.tryFindChild(name) !== undefined;
      const terraformOutput = new TerraformOutput(this, taken ? `${name}_output` : name, { value, description });
      if (taken) terraformOutput.overrideLogicalId(name);
    }
  }

  /**
   * Pins the Terraform version: `moved` blocks and `optional()` object attributes need 1.5, and 2.x
   * may change the JSON syntax this was tested with. (cdktf's `addOverride` on the terraform block
   * renders broken HCL, hence here.)
   */
  public override toTerraform(): any {
    const config = super.toTerraform();
    return { ...config, terraform: { required_version: TERRAFORM_VERSION_CONSTRAINT, ...config.terraform } };
  }

  /** `cdktf synth --hcl`: cdktf's renderer needs help with strings that mix text and references. */
  public override toHclTerraform(): Record<string, any> {
    const rendered = renderWithHclSafeStrings(this, () => super.toHclTerraform());
    return {
      ...rendered,
      hcl: rendered.hcl.replace(/^terraform \{\n/m, `terraform {\nrequired_version = "${TERRAFORM_VERSION_CONSTRAINT}"\n`),
    };
  }
}
