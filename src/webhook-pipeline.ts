import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { Fn, type IResolvable, TerraformLocal, TerraformStack, Token } from 'cdktf';
import { Construct } from 'constructs';
import { AlarmFactory } from './alarms/alarm-factory';
import { type AlarmThresholds, buildAlarmDefinitions } from './alarms/catalogue';
import { defaultBundle, type HandlerBundle } from './bundling/handler-bundle';
import { LOG_RETENTION_DAYS } from './config/aws-limits';
import { ResourceNames } from './config/naming';
import { AlarmTopic } from './constructs/alarm-topic';
import { IdempotencyTable } from './constructs/idempotency-table';
import { PipelineDashboard } from './constructs/pipeline-dashboard';
import { type FunctionSizing, PipelineFunction, validateSizing } from './constructs/pipeline-function';
import { MAX_MESSAGE_BYTES, QueueWithDlq, VISIBILITY_TIMEOUT_FACTOR } from './constructs/queue-with-dlq';
import { WebhookApi } from './constructs/webhook-api';
import { FUNCTION_NAMES, type FunctionName, HANDLER_ENV, METRICS_NAMESPACE, SIGNATURE_SCHEMES, type SignatureScheme } from './contract';
import { dividedBy, isToken, numberAsString, requirePlain, type Switch, switchAsString, times } from './core/values';
import type { IGrantable } from './iam/policy-document';
import { PolicyCheck, suppressPolicyRule } from './policy/policy-check';
import { POLICY_RULES } from './policy/rules';

/** A webhook source: the `{source}` path segment's signature scheme. */
export interface WebhookSource {
  readonly scheme: SignatureScheme;
}

export const DEFAULT_WEBHOOK_SOURCES: Readonly<Record<string, WebhookSource>> = {
  github: { scheme: 'github' },
  stripe: { scheme: 'stripe' },
  shopify: { scheme: 'shopify' },
  generic: { scheme: 'hmac-sha256' },
};

/**
 * Each function's default timeout, in seconds. The dispatcher's leaves room for a batch of ten
 * deliveries at their own timeout, one after another.
 */
export const FUNCTION_TIMEOUT_DEFAULTS: Readonly<Record<FunctionName, number>> = { validator: 10, processor: 15, dispatcher: 60 };
export const DEFAULT_IDEMPOTENCY_TTL_SECONDS = 86400;
/**
 * The rules the pipeline applies to a user's stack: all but the provider default-tags convention,
 * which belongs to whoever configures the provider (`WebhookPipelineStack` applies every rule).
 */
export const COMPOSED_STACK_RULES = POLICY_RULES.filter((rule) => rule.id !== 'tags-provider-defaults');
const SOURCE_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const HTTPS_URL = /^https:\/\/[^\s/?#]+/;

export interface WebhookPipelineProps {
  /**
   * First part of every physical name (`<prefix>-ingest-<suffix>`, …).
   * @default 'webhook'
   */
  readonly namePrefix?: string;
  /**
   * Last part of every physical name: the environment. A plain string or a plan-time token.
   * @default 'dev'
   */
  readonly environmentSuffix?: string;
  /**
   * Active X-Ray tracing on the functions and the API stage (PassThrough when off).
   * @default true
   */
  readonly tracing?: Switch;
  /**
   * Whether the 24 CloudWatch alarms of the catalogue exist.
   * @default true
   */
  readonly alarmsEnabled?: Switch;
  /**
   * Alarm thresholds; any left out keeps its default (see `ALARM_THRESHOLD_DEFAULTS`).
   * @default the catalogue's defaults
   */
  readonly alarmThresholds?: AlarmThresholds;
  /**
   * An existing SNS topic for alarm and OK notifications instead of a new one. It must let
   * CloudWatch publish (an AWS-managed `aws/sns` key does not).
   * @default a new topic encrypted with its own KMS key
   */
  readonly alarmTopicArn?: string;
  /**
   * E-mail address subscribed to the new alarm topic; empty for none. Not with `alarmTopicArn`.
   * @default no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Sizing of the validator.
   * @default 256 MB, 10 s, batches of 10 within 1 s, reserved and maximum concurrency 100, arm64
   */
  readonly validator?: FunctionSizing;
  /**
   * Sizing of the processor.
   * @default as the validator, with a 15 s timeout
   */
  readonly processor?: FunctionSizing;
  /**
   * Sizing of the dispatcher. Its per-delivery timeout is derived from its timeout and batch size.
   * @default as the validator, with a 60 s timeout
   */
  readonly dispatcher?: FunctionSizing;
  /**
   * Accepted sources (the `{source}` path segment) and their signature scheme; or a plan-time
   * token holding that map (e.g. a Terraform variable's `value`).
   * @default github, stripe, shopify (their own schemes) and generic (hmac-sha256)
   */
  readonly webhookSources?: Readonly<Record<string, WebhookSource>> | IResolvable;
  /**
   * HTTPS endpoint the dispatcher POSTs events to; empty to log events instead.
   * @default ''
   */
  readonly deliveryUrl?: string;
  /**
   * Retention of every log group, in days (a value CloudWatch Logs allows).
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * How long a delivery id is remembered for de-duplication, in seconds (at least 86400).
   * @default 86400
   */
  readonly idempotencyTtlSeconds?: number;
  /**
   * Steady-state requests per second the API stage accepts.
   * @default 100
   */
  readonly apiThrottleRateLimit?: number;
  /**
   * Burst of requests the API stage accepts.
   * @default 200
   */
  readonly apiThrottleBurstLimit?: number;
  /**
   * Whether this pipeline manages the account-wide API Gateway logging setting (one per account
   * and region). With several environments in one account, exactly one sets it (or a stack of its
   * own does); the others pass `false` and log through its role.
   * @default true
   */
  readonly manageApiGatewayAccount?: Switch;
  /**
   * Name of the CloudWatch dashboard.
   * @default '<prefix>-pipeline-<suffix>'
   */
  readonly dashboardName?: string;
  /**
   * SSM Parameter Store path under which the secrets live: `<path>/sources/<source>` and
   * `<path>/delivery/signing-secret`. The functions may read exactly those.
   * @default '/<prefix>-pipeline/<suffix>'
   */
  readonly secretsPath?: string;
  /**
   * Checks the finished stack against the policy rules on every synth (docs/ARCHITECTURE.md).
   * @default true
   */
  readonly policyCheck?: boolean;
  /**
   * The zipped handler of each function.
   * @default the package's prebuilt zips (in this repository: bundled from src/handlers)
   */
  readonly bundle?: (name: FunctionName) => HandlerBundle;
}

/**
 * The whole webhook pipeline: API Gateway stores every webhook in the ingest queue; the validator,
 * processor and dispatcher each consume a queue with a dead-letter queue; alarms, an alarm topic
 * and a dashboard watch it. It needs an AWS provider in its stack and nothing else: no backend, no
 * Terraform variables of its own (pass variables' values as props to decide things at plan time).
 */
export class WebhookPipeline extends Construct {
  public readonly names: ResourceNames;
  public readonly api: WebhookApi;
  public readonly queues: Readonly<Record<'ingest' | 'process' | 'deliver', QueueWithDlq>>;
  public readonly functions: Readonly<Record<FunctionName, PipelineFunction>>;
  public readonly idempotencyTable: IdempotencyTable;
  /** The alarm topic this pipeline created; absent when `alarmTopicArn` was given. */
  public readonly alarmTopic?: AlarmTopic;
  /** Where alarm and OK notifications go. */
  public readonly alarmTopicArn: string;
  public readonly alarms: AlarmFactory;
  public readonly dashboard: PipelineDashboard;
  /** SSM path prefix of the source secrets (ends with `/`): the secret of `s` is `<prefix><s>`. */
  public readonly sourceSecretsPath: string;
  /** SSM parameter holding the dispatcher's signing key. */
  public readonly deliverySecretParameter: string;
  /** The account id, read from the ingest queue's ARN (no data source needs STS). */
  public readonly accountId: string;

  constructor(scope: Construct, id: string, props: WebhookPipelineProps = {}) {
    super(scope, id);
    validateProps(props);
    const names = (this.names = new ResourceNames({ prefix: props.namePrefix, suffix: props.environmentSuffix }));
    const tracing = props.tracing ?? true;
    const logRetentionDays = props.logRetentionDays ?? 30;
    const bundle = props.bundle ?? defaultBundle;
    const sizing = (fn: FunctionName): FunctionSizing => ({
      timeoutSeconds: FUNCTION_TIMEOUT_DEFAULTS[fn],
      ...definedOnly(props[fn] ?? {}),
    });

    // Setup queues: each visibility timeout follows its consumer's timeout.
    const visibility = (fn: FunctionName) => times(sizing(fn).timeoutSeconds!, VISIBILITY_TIMEOUT_FACTOR);
    this.queues = {
      ingest: new QueueWithDlq(this, 'ingest', { name: 'ingest', names, visibilityTimeoutSeconds: visibility('validator') }),
      process: new QueueWithDlq(this, 'process', { name: 'process', names, visibilityTimeoutSeconds: visibility('processor') }),
      deliver: new QueueWithDlq(this, 'deliver', { name: 'deliver', names, visibilityTimeoutSeconds: visibility('dispatcher') }),
    };
    this.idempotencyTable = new IdempotencyTable(this, 'idempotency', { names });
    const partition = new DataAwsPartition(this, 'partition').partition;
    // The provider's region, known at plan time without an API call.
    const region = new DataAwsRegion(this, 'region').name;
    // The account id is read from a queue ARN instead of data.aws_caller_identity, so that
    // no data source needs STS: with the provider's skip flags, plans run offline.
    this.accountId = new TerraformLocal(this, 'account_id', Fn.element(Fn.split(':', this.queues.ingest.queue.arn), 4)).asString;
    const arn = (service: string, resource: string) => `arn:${partition}:${service}:${region}:${this.accountId}:${resource}`;

    // Setup functions
    const secretsPath = props.secretsPath ?? `/${names.prefix}-pipeline/${names.suffix}`;
    this.sourceSecretsPath = `${secretsPath}/sources/`;
    this.deliverySecretParameter = `${secretsPath}/delivery/signing-secret`;
    // The `service` dimension of the handlers' EMF metrics, which the dashboard charts. Suffixed,
    // so two environments in one account and region never share metrics.
    const serviceName = (fn: FunctionName) => names.of(fn);
    const pipelineFunction = (fn: FunctionName, source: QueueWithDlq, environment: Record<string, string>) =>
      new PipelineFunction(this, fn, {
        ...sizing(fn),
        name: fn,
        names,
        bundle: bundle(fn),
        source,
        logRetentionDays,
        tracing,
        environment: {
          POWERTOOLS_SERVICE_NAME: serviceName(fn),
          POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
          POWERTOOLS_LOG_LEVEL: 'INFO',
          POWERTOOLS_TRACE_ENABLED: switchAsString(tracing),
          ...environment,
        },
      });
    const dispatcherSizing = sizing('dispatcher');
    this.functions = {
      validator: pipelineFunction('validator', this.queues.ingest, {
        [HANDLER_ENV.nextQueueUrl]: this.queues.process.queue.url,
        [HANDLER_ENV.webhookSources]: webhookSourcesJson(props.webhookSources ?? DEFAULT_WEBHOOK_SOURCES),
        [HANDLER_ENV.sourceSecretsPath]: this.sourceSecretsPath,
        [HANDLER_ENV.stripeToleranceSeconds]: '300',
        [HANDLER_ENV.maxBodyBytes]: String(MAX_MESSAGE_BYTES),
      }),
      processor: pipelineFunction('processor', this.queues.process, {
        [HANDLER_ENV.nextQueueUrl]: this.queues.deliver.queue.url,
        [HANDLER_ENV.idempotencyTable]: this.idempotencyTable.table.name,
        [HANDLER_ENV.idempotencyTtlSeconds]: numberAsString(props.idempotencyTtlSeconds ?? DEFAULT_IDEMPOTENCY_TTL_SECONDS),
      }),
      dispatcher: pipelineFunction('dispatcher', this.queues.deliver, {
        [HANDLER_ENV.deliveryUrl]: props.deliveryUrl ?? '',
        [HANDLER_ENV.deliverySecretParameter]: this.deliverySecretParameter,
        [HANDLER_ENV.deliveryTimeoutMs]: numberAsString(
          deliveryTimeoutMs(dispatcherSizing.timeoutSeconds!, dispatcherSizing.batchSize ?? 10),
        ),
      }),
    };

    // Setup grants: each function may reach exactly the next queue and its own secrets or table.
    this.queues.process.grantSend(this.functions.validator);
    grantReadParameters(this.functions.validator, arn('ssm', `parameter${this.sourceSecretsPath}*`));
    this.queues.deliver.grantSend(this.functions.processor);
    this.idempotencyTable.grantIdempotencyRecords(this.functions.processor);
    grantReadParameters(this.functions.dispatcher, arn('ssm', `parameter${this.deliverySecretParameter}`));

    // Setup the API
    this.api = new WebhookApi(this, 'api', {
      ingestQueue: this.queues.ingest.queue,
      accountId: this.accountId,
      region,
      partition,
      names,
      tracing,
      logRetentionDays,
      throttleRateLimit: props.apiThrottleRateLimit,
      throttleBurstLimit: props.apiThrottleBurstLimit,
      manageAccountLogging: props.manageApiGatewayAccount,
    });

    // Setup alarms
    if (props.alarmTopicArn === undefined) {
      this.alarmTopic = new AlarmTopic(this, 'alarm-topic', { accountId: this.accountId, partition, names, alarmEmail: props.alarmEmail });
    }
    this.alarmTopicArn = props.alarmTopicArn ?? this.alarmTopic!.topic.arn;
    const queues = Object.values(this.queues);
    const functions = FUNCTION_NAMES.map((fn) => this.functions[fn]);
    const alarmsEnabled = props.alarmsEnabled ?? true;
    this.alarms = new AlarmFactory(this, 'alarms', {
      topicArn: this.alarmTopicArn,
      enabled: alarmsEnabled,
      names,
      definitions: buildAlarmDefinitions({ functions, queues, api: this.api }, props.alarmThresholds),
    });

    // Setup the dashboard. Alarm ARNs are built from the alarms' names (known at plan time) rather
    // than read from the alarms, so `terraform plan` shows the dashboard body, not "known after apply".
    this.dashboard = new PipelineDashboard(this, 'dashboard', {
      dashboardName: props.dashboardName ?? `${names.prefix}-pipeline-${names.suffix}`,
      region,
      functions: FUNCTION_NAMES.map((name) => ({
        name,
        serviceName: serviceName(name),
        logGroupName: this.functions[name].logGroup.name,
        reservedConcurrency: this.functions[name].reservedConcurrency,
        metrics: this.functions[name],
      })),
      queues,
      api: this.api,
      alarmArns: this.alarms.alarms.map((alarm) => arn('cloudwatch', `alarm:${alarm.alarmNameInput}`)),
      alarmsEnabled,
      dependsOn: this.alarms.alarms,
    });

    // Setup the policy check: every synth checks the finished stack and fails, naming each rule
    // and construct, before anything is written. A stack that applied its own check keeps it.
    if (props.policyCheck ?? true) {
      const stack = TerraformStack.of(this);
      if (!PolicyCheck.of(stack)) PolicyCheck.applyTo(stack, { rules: COMPOSED_STACK_RULES });
    }
    if (tracing === false) {
      const reason = 'tracing: false was set on this WebhookPipeline';
      suppressPolicyRule(this, 'lambda-tracing', reason);
      suppressPolicyRule(this, 'api-tracing', reason);
    }
  }
}

/**
 * The dispatcher's per-delivery timeout: deliveries run one after another, so a batch of hung
 * targets must fail its records, not time out the invocation (which would re-send the batch's
 * delivered events). 80 % of the function timeout shared by the batch, at most 5 s, at least 1 s.
 */
export function deliveryTimeoutMs(timeoutSeconds: number, batchSize: number): number {
  if (!isToken(timeoutSeconds) && !isToken(batchSize)) {
    return Math.max(1000, Math.min(5000, Math.floor((timeoutSeconds * 800) / batchSize)));
  }
  return Token.asNumber(Fn.max([1000, Fn.min([5000, Fn.floor(dividedBy(times(timeoutSeconds, 800), batchSize))])]));
}

function grantReadParameters(grantee: IGrantable, resource: string): void {
  grantee.addToPrincipalPolicy({ Sid: 'ReadOwnParameters', Effect: 'Allow', Action: 'ssm:GetParameter', Resource: resource });
}

function webhookSourcesJson(sources: Readonly<Record<string, WebhookSource>> | IResolvable): string {
  return isToken(sources) ? Token.asString(Fn.jsonencode(sources)) : JSON.stringify(sources);
}

const definedOnly = <T extends object>(value: T): Partial<T> =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;

/** Plain props are checked here, before anything is built; tokens are checked at plan time. */
function validateProps(props: WebhookPipelineProps): void {
  const owner = 'WebhookPipeline';
  for (const fn of FUNCTION_NAMES) validateSizing(`${owner} ${fn}`, props[fn] ?? {});
  requirePlain(owner, 'deliveryUrl', props.deliveryUrl, (url) => url === '' || HTTPS_URL.test(url), 'empty or an https:// URL');
  requirePlain(
    owner,
    'idempotencyTtlSeconds',
    props.idempotencyTtlSeconds,
    (n) => Number.isInteger(n) && n >= 86400,
    'a whole number of at least 86400 (24 h)',
  );
  requirePlain(
    owner,
    'logRetentionDays',
    props.logRetentionDays,
    (n) => (LOG_RETENTION_DAYS as readonly number[]).includes(n),
    `one of ${LOG_RETENTION_DAYS.join(', ')}`,
  );
  requirePlain(
    owner,
    'secretsPath',
    props.secretsPath,
    (p) => /^\/[A-Za-z0-9_.\-/]*[A-Za-z0-9_.-]$/.test(p),
    'an SSM path starting with / and not ending with /',
  );
  if (props.alarmTopicArn !== undefined && props.alarmEmail !== undefined) {
    throw new Error(
      `${owner}: alarmEmail subscribes to the topic the pipeline creates; with alarmTopicArn ${JSON.stringify(props.alarmTopicArn)} subscribe to that topic yourself`,
    );
  }
  for (const [key, value] of Object.entries(props.alarmThresholds ?? {})) {
    requirePlain(owner, `alarmThresholds.${key}`, value as number | undefined, (n) => n > 0, 'a positive number');
  }
  const sources = props.webhookSources;
  if (sources !== undefined && !isToken(sources)) {
    const entries = Object.entries(sources as Record<string, WebhookSource>);
    if (entries.length === 0) throw new Error(`${owner}: webhookSources must name at least one source`);
    for (const [name, source] of entries) {
      if (!SOURCE_NAME.test(name)) {
        throw new Error(
          `${owner}: webhookSources key ${JSON.stringify(name)} must be 1-64 lowercase letters, digits, hyphens or underscores`,
        );
      }
      if (!SIGNATURE_SCHEMES.includes(source?.scheme)) {
        throw new Error(
          `${owner}: webhookSources.${name}.scheme must be one of ${SIGNATURE_SCHEMES.join(', ')}, got ${JSON.stringify(source?.scheme)}`,
        );
      }
    }
  }
}
