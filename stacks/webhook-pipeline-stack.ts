import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Aspects, CloudBackend, Fn, LocalBackend, NamedCloudWorkspace, TerraformLocal, TerraformOutput, TerraformStack, Token } from 'cdktf';
import { Construct } from 'constructs';
import { AlarmFactory } from '../src/alarms/alarm-factory';
import { buildAlarmDefinitions } from '../src/alarms/catalogue';
import { bundleHandler, HandlerBundle } from '../src/bundling/bundle-handler';
import { resourceName } from '../src/config/naming';
import { SynthSettings } from '../src/config/settings';
import { PipelineVariables } from '../src/config/variables';
import { FUNCTION_NAMES, FunctionName, HANDLER_ENV, METRICS_NAMESPACE } from '../src/contract';
import { AlarmTopic } from '../src/constructs/alarm-topic';
import { IdempotencyTable } from '../src/constructs/idempotency-table';
import { PipelineDashboard } from '../src/constructs/pipeline-dashboard';
import { PipelineFunction } from '../src/constructs/pipeline-function';
import { MAX_MESSAGE_BYTES, QueueWithDlq } from '../src/constructs/queue-with-dlq';
import { WebhookApi } from '../src/constructs/webhook-api';
import { renderWithHclSafeStrings } from '../src/hcl/hcl-strings';
import { PolicyStatement } from '../src/iam/policy-document';
import { PolicyCheck } from '../src/policy/policy-check';

export const STACK_NAME = 'webhook-pipeline';
/** SQS advice for Lambda consumers: visibility timeout at least six times the function timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;
/** Records per dispatcher invocation; the delivery timeout is derived from it. */
export const DISPATCHER_BATCH_SIZE = 10;

export interface WebhookPipelineStackProps {
  readonly settings: SynthSettings;
  /**
   * Bundles the named handler; tests pass a cached bundler to keep synth fast.
   * @default bundleHandler
   */
  readonly bundle?: (name: FunctionName) => HandlerBundle;
}

/** The whole pipeline of SPEC §1-§5: API → ingest → validator → process → processor → deliver → dispatcher. */
export class WebhookPipelineStack extends TerraformStack {
  public readonly variables: PipelineVariables;
  public readonly api: WebhookApi;
  public readonly queues: Record<'ingest' | 'process' | 'deliver', QueueWithDlq>;
  public readonly functions: Record<FunctionName, PipelineFunction>;
  public readonly alarmTopic: AlarmTopic;
  public readonly alarms: AlarmFactory;
  public readonly idempotencyTable: IdempotencyTable;
  public readonly dashboard: PipelineDashboard;

  constructor(scope: Construct, id: string, props: WebhookPipelineStackProps) {
    super(scope, id);
    const bundle = props.bundle ?? bundleHandler;
    const vars = (this.variables = new PipelineVariables(this, 'variables'));
    const suffix = '${var.environment_suffix}';

    // Setup backend and provider
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
    const partition = new DataAwsPartition(this, 'partition').partition;
    const region = vars.awsRegion.stringValue;

    // Setup queues: each visibility timeout follows its consumer's timeout.
    const timeout = (fn: FunctionName) => Token.asNumber(`\${var.function_timeouts.${fn}}`);
    const visibility = (fn: FunctionName) =>
      Token.asNumber(`\${var.function_timeouts.${fn} * ${VISIBILITY_TIMEOUT_FACTOR}}`);
    this.queues = {
      ingest: new QueueWithDlq(this, 'ingest', { name: 'ingest', visibilityTimeoutSeconds: visibility('validator') }),
      process: new QueueWithDlq(this, 'process', { name: 'process', visibilityTimeoutSeconds: visibility('processor') }),
      deliver: new QueueWithDlq(this, 'deliver', { name: 'deliver', visibilityTimeoutSeconds: visibility('dispatcher') }),
    };
    this.idempotencyTable = new IdempotencyTable(this, 'idempotency');
    // The account id is read from a queue ARN instead of data.aws_caller_identity, so that
    // `terraform plan` makes no STS call: plans work offline and with plan-only credentials.
    const accountId = new TerraformLocal(this, 'account_id', Fn.element(Fn.split(':', this.queues.ingest.queue.arn), 4)).asString;
    const arn = (service: string, resource: string) => `arn:${partition}:${service}:${region}:${accountId}:${resource}`;

    // Setup functions
    const sourceSecretsPath = `/${STACK_NAME}/${suffix}/sources/`;
    const deliverySecretParameter = `/${STACK_NAME}/${suffix}/delivery/signing-secret`;
    const sendTo = (queue: QueueWithDlq): PolicyStatement => ({
      Sid: 'SendToNextQueue',
      Effect: 'Allow',
      Action: 'sqs:SendMessage',
      Resource: queue.queue.arn,
    });
    const readParameters = (resource: string): PolicyStatement => ({
      Sid: 'ReadOwnParameters',
      Effect: 'Allow',
      Action: 'ssm:GetParameter',
      Resource: arn('ssm', `parameter${resource}`),
    });
    const common = (fn: FunctionName) => ({
      name: fn,
      bundle: bundle(fn),
      timeoutSeconds: timeout(fn),
      logRetentionDays: vars.logRetentionDays.numberValue,
      tracingEnabledExpression: 'var.enable_xray',
    });
    // The `service` dimension of the handlers' EMF metrics, which the dashboard charts.
    // Suffixed, so two environments in one account and region never share metrics.
    const serviceName = (fn: FunctionName) => resourceName(fn);
    const powertools = (fn: FunctionName) => ({
      POWERTOOLS_SERVICE_NAME: serviceName(fn),
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      POWERTOOLS_LOG_LEVEL: 'INFO',
      POWERTOOLS_TRACE_ENABLED: '${var.enable_xray}',
    });
    this.functions = {
      validator: new PipelineFunction(this, 'validator', {
        ...common('validator'),
        source: this.queues.ingest,
        environment: {
          ...powertools('validator'),
          [HANDLER_ENV.nextQueueUrl]: this.queues.process.queue.url,
          [HANDLER_ENV.webhookSources]: '${jsonencode(var.webhook_sources)}',
          [HANDLER_ENV.sourceSecretsPath]: sourceSecretsPath,
          [HANDLER_ENV.stripeToleranceSeconds]: '300',
          [HANDLER_ENV.maxBodyBytes]: String(MAX_MESSAGE_BYTES),
        },
        statements: [sendTo(this.queues.process), readParameters(`${sourceSecretsPath}*`)],
      }),
      processor: new PipelineFunction(this, 'processor', {
        ...common('processor'),
        source: this.queues.process,
        environment: {
          ...powertools('processor'),
          [HANDLER_ENV.nextQueueUrl]: this.queues.deliver.queue.url,
          [HANDLER_ENV.idempotencyTable]: this.idempotencyTable.table.name,
          [HANDLER_ENV.idempotencyTtlSeconds]: '${var.idempotency_ttl_seconds}',
        },
        statements: [
          sendTo(this.queues.deliver),
          {
            Sid: 'OwnIdempotencyRecords',
            Effect: 'Allow',
            Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
            Resource: this.idempotencyTable.table.arn,
          },
        ],
      }),
      dispatcher: new PipelineFunction(this, 'dispatcher', {
        ...common('dispatcher'),
        source: this.queues.deliver,
        batchSize: DISPATCHER_BATCH_SIZE,
        environment: {
          ...powertools('dispatcher'),
          [HANDLER_ENV.deliveryUrl]: vars.deliveryUrl.stringValue,
          [HANDLER_ENV.deliverySecretParameter]: deliverySecretParameter,
          // Deliveries run one after another: a batch of hung targets must fail its records, not
          // time out the invocation (which would re-send the batch's delivered events). 80 % of
          // the function timeout shared by the batch, at most 5 s, at least 1 s.
          [HANDLER_ENV.deliveryTimeoutMs]: `\${max(1000, min(5000, floor(var.function_timeouts.dispatcher * 800 / ${DISPATCHER_BATCH_SIZE})))}`,
        },
        statements: [readParameters(deliverySecretParameter)],
      }),
    };

    // Setup the API
    this.api = new WebhookApi(this, 'api', {
      ingestQueue: this.queues.ingest.queue,
      accountId,
      region,
      partition,
      tracingEnabledExpression: 'var.enable_xray',
      logRetentionDays: vars.logRetentionDays.numberValue,
      throttleRateLimit: vars.apiThrottleRateLimit.numberValue,
      throttleBurstLimit: vars.apiThrottleBurstLimit.numberValue,
    });

    // Setup alarms
    this.alarmTopic = new AlarmTopic(this, 'alarm-topic', { accountId, partition, emailExpression: 'var.alarm_email' });
    const queues = Object.values(this.queues);
    this.alarms = new AlarmFactory(this, 'alarms', {
      topicArn: this.alarmTopic.topic.arn,
      enabledExpression: 'var.enable_alarms',
      definitions: buildAlarmDefinitions({
        functions: Object.values(this.functions).map((fn) => ({
          name: fn.name,
          functionName: fn.function.functionName,
          timeoutSecondsExpression: `var.function_timeouts.${fn.name}`,
        })),
        queues: queues.map((q) => ({ name: q.name, queueName: q.queue.name })),
        deadLetterQueues: queues.map((q) => ({ name: `${q.name}-dlq`, queueName: q.deadLetterQueue.name })),
        api: { apiName: this.api.api.name, stageName: this.api.stage.stageName },
      }),
    });

    // Setup the dashboard. Alarm ARNs are built from the alarms' names (known at plan time) rather
    // than read from the alarms, so `terraform plan` shows the dashboard body, not "known after apply".
    this.dashboard = new PipelineDashboard(this, 'dashboard', {
      dashboardName: `${STACK_NAME}-${suffix}`,
      region,
      functions: FUNCTION_NAMES.map((name) => ({
        name,
        functionName: this.functions[name].function.functionName,
        logGroupName: this.functions[name].logGroup.name,
        serviceName: serviceName(name),
      })),
      queues: queues.map((q) => ({ name: q.name, queueName: q.queue.name, deadLetterQueueName: q.deadLetterQueue.name })),
      apiName: this.api.api.name,
      apiStageName: this.api.stage.stageName,
      alarmArns: this.alarms.alarms.map((alarm) => arn('cloudwatch', `alarm:${alarm.alarmNameInput}`)),
      alarmsEnabledExpression: 'var.enable_alarms',
      dependsOn: this.alarms.alarms,
    });

    // Setup outputs: `cdktf deploy --outputs-file` writes these for integration tests.
    const outputs: Record<string, string> = {
      webhook_base_url: this.api.webhookBaseUrl,
      api_id: this.api.api.id,
      api_stage: this.api.stage.stageName,
      alarm_topic_arn: this.alarmTopic.topic.arn,
      idempotency_table_name: this.idempotencyTable.table.name,
      source_secrets_path: sourceSecretsPath,
      delivery_secret_parameter: deliverySecretParameter,
      dashboard_name: this.dashboard.dashboard.dashboardName,
    };
    for (const q of queues) {
      outputs[`${q.name}_queue_url`] = q.queue.url;
      outputs[`${q.name}_dlq_url`] = q.deadLetterQueue.url;
    }
    for (const fn of Object.values(this.functions)) {
      outputs[`${fn.name}_function_name`] = fn.function.functionName;
    }
    for (const [name, value] of Object.entries(outputs)) {
      new TerraformOutput(this, name, { value });
    }

    // Policy as code: every synth checks the finished stack against the README's rule table and
    // fails, naming each rule and construct, before anything is written.
    Aspects.of(this).add(new PolicyCheck());
  }

  /** `cdktf synth --hcl`: cdktf's renderer needs help with strings that mix text and references. */
  public override toHclTerraform(): Record<string, any> {
    return renderWithHclSafeStrings(this, () => super.toHclTerraform());
  }
}
