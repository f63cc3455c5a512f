import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import type { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { Fn, type IResolvable, Lazy, TerraformLocal, TerraformStack, Token } from 'cdktf';
import { Construct } from 'constructs';
import { AlarmFactory } from './alarms/alarm-factory';
import { ALARM_THRESHOLD_DEFAULTS, type AlarmThresholds, buildAlarmDefinitions } from './alarms/catalogue';
import { defaultBundle, type HandlerBundle } from './bundling/handler-bundle';
import { validateLogRetentionDays } from './config/aws-limits';
import { type AwsProviderFeatures, awsProviderFeaturesOf, describeProvider, type LambdaRuntime } from './config/aws-provider';
import {
  DEFAULT_DELIVERY_RETRY_SCHEDULE,
  type DeliveryDestinations,
  destinationsJson,
  destinationTimeoutsFitCondition,
  retryMaxReceiveCount,
  retryRetentionSeconds,
  scheduleAsString,
  validateDelivery,
} from './config/delivery';
import { DEFAULT_HISTORY_RETENTION_DAYS, historyEnabled, validateHistoryRetention } from './config/history';
import { ResourceNames } from './config/naming';
import { AlarmTopic } from './constructs/alarm-topic';
import { DeliveryLanes } from './constructs/delivery-lanes';
import { EventArchive } from './constructs/event-archive';
import { DRAIN_MAPPING_CONCURRENCY, laneSettings, validateLaneConcurrency } from './config/lanes';
import { IdempotencyTable } from './constructs/idempotency-table';
import { PipelineDashboard } from './constructs/pipeline-dashboard';
import { type FunctionSizing, PipelineFunction, validateRuntime, validateSizing } from './constructs/pipeline-function';
import { QueueWithDlq, VISIBILITY_TIMEOUT_FACTOR } from './constructs/queue-with-dlq';
import { WebhookApi } from './constructs/webhook-api';
import {
  DEFAULT_WEBHOOK_SOURCES,
  secretParameterOverrides,
  sourceSchemesJson,
  SSM_PARAMETER_NAME,
  validateWebhookSources,
  type WebhookSources,
  webhookSourcesJson,
} from './config/webhook-sources';
import {
  FUNCTION_NAMES,
  type FunctionName,
  HANDLER_ENV,
  LANE_DLQ_STEM,
  LANE_NAME_PLACEHOLDER,
  LANE_QUEUE_STEM,
  METRICS_NAMESPACE,
} from './contract';
import { isToken, numberAsString, requirePlain, type Switch, switchAsString, times } from './core/values';
import type { IGrantable } from './iam/policy-document';
import { DeliveryMetrics } from './metrics/delivery-metrics';
import { resolvableOnce, resolvedOnce } from './hcl/resolve-once';
import { PolicyCheck, suppressPolicyRule } from './policy/policy-check';
import { POLICY_RULES } from './policy/rules';

export { DEFAULT_WEBHOOK_SOURCES, type WebhookSource } from './config/webhook-sources';

/**
 * Each function's default timeout, in seconds. The dispatcher's leaves room for two rounds of
 * concurrent deliveries at their own timeout (records of one event and destination go one after another).
 */
export const FUNCTION_TIMEOUT_DEFAULTS: Readonly<Record<FunctionName, number>> = { validator: 10, processor: 15, dispatcher: 60 };
export const DEFAULT_IDEMPOTENCY_TTL_SECONDS = 86400;
/**
 * The rules the pipeline applies to a user's stack: all but the provider default-tags convention,
 * which belongs to whoever configures the provider (`WebhookPipelineStack` applies every rule).
 */
export const COMPOSED_STACK_RULES = POLICY_RULES.filter((rule) => rule.id !== 'tags-provider-defaults');
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
   * Whether the CloudWatch alarms of the catalogue exist: 24, and 2 more (archive writes) while
   * the event archive does.
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
   * Accepted sources (the `{source}` path segment), each with its signature scheme and options;
   * or a plan-time token holding that map with the same camelCase keys. API Gateway answers 400
   * to any other source without storing the request.
   * @default github, stripe, shopify (their own schemes) and generic (hmac-sha256)
   */
  readonly webhookSources?: WebhookSources;
  /**
   * Named destinations, each with its HTTPS URL and route (which sources and event types it
   * receives); or a plan-time token holding that map (camelCase keys, `sources` and `eventTypes`
   * null for all). Each destination's signing secret is `<secretsPath>/delivery/destinations/<name>`.
   * @default none
   */
  readonly destinations?: DeliveryDestinations;
  /**
   * HTTPS endpoint of the destination named `default`, which receives every event (0.1.0's single
   * target); empty for none.
   * @default ''
   */
  readonly deliveryUrl?: string;
  /**
   * Seconds before each retry of a failed delivery, by attempt (4-20 steps, each at most 43200,
   * at most 6 days in all); or a plan-time token holding the list. The deliver queue's
   * maxReceiveCount (steps + 1) and retention (twice the total) follow from it. The default
   * spans about 27.6 h, as Svix's does.
   * @default [5, 300, 1800, 7200, 18000, 36000, 36000]
   */
  readonly deliveryRetrySchedule?: readonly number[] | IResolvable;
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
   * SSM Parameter Store path under which the secrets live: `<path>/sources/<source>`,
   * `<path>/delivery/signing-secret` (the `default` destination's) and
   * `<path>/delivery/destinations/<name>`. The functions may read exactly those (and the sources'
   * own `secretParameter`s).
   * @default '/<prefix>-pipeline/<suffix>'
   */
  readonly secretsPath?: string;
  /**
   * Checks the finished stack against the policy rules on every synth (docs/POLICY.md).
   * @default true
   */
  readonly policyCheck?: boolean;
  /**
   * Largest webhook body the pipeline accepts, in bytes: the validator rejects (and logs) a larger
   * one. At most what the stack's AWS provider lets a queue take, which every queue is sized to.
   * @default the provider's limit: 1048576 (1 MiB) on hashicorp/aws 6.8 and later, 262144 (256 KiB) before
   */
  readonly maxWebhookBytes?: number;
  /**
   * Node.js runtime of the three functions (`nodejs24.x` needs hashicorp/aws 6.19 or later).
   * @default 'nodejs22.x'
   */
  readonly runtime?: LambdaRuntime;
  /**
   * Days the event archive keeps every first-seen webhook and every delivery attempt (S3 through
   * Firehose, queryable with Athena; whole days, at most 3650); 0 for no archive at all. A plain
   * number or a plan-time token (then every archive resource has a `count`).
   * @default 30
   */
  readonly historyRetentionDays?: number;
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
  /** Physical names' prefix and suffix (`<prefix>-<name>-<suffix>`). */
  public readonly names: ResourceNames;
  /** The ingest API: `POST /webhooks/{source}` stored in the ingest queue. */
  public readonly api: WebhookApi;
  /** The three queues, each with its dead-letter queue. */
  public readonly queues: Readonly<Record<'ingest' | 'process' | 'deliver', QueueWithDlq>>;
  /** The validator, processor and dispatcher, each with its role, log group and event source mapping. */
  public readonly functions: Readonly<Record<FunctionName, PipelineFunction>>;
  /** The processor's de-duplication table. */
  public readonly idempotencyTable: IdempotencyTable;
  /** The alarm topic this pipeline created; absent when `alarmTopicArn` was given. */
  public readonly alarmTopic?: AlarmTopic;
  /** Where alarm and OK notifications go. */
  public readonly alarmTopicArn: string;
  /** The catalogue's alarms (`alarms.alarms`), notifying `alarmTopicArn`. */
  public readonly alarms: AlarmFactory;
  /** The dispatcher's delivery metrics, overall and by destination. */
  public readonly deliveries: DeliveryMetrics;
  /** The CloudWatch dashboard of the whole pipeline. */
  public readonly dashboard: PipelineDashboard;
  /** SSM path prefix of the source secrets (ends with `/`): the secret of `s` is `<prefix><s>`. */
  public readonly sourceSecretsPath: string;
  /** SSM parameter holding the signing secret(s) of the `default` destination (`deliveryUrl`). */
  public readonly deliverySecretParameter: string;
  /** SSM prefix of the named destinations' secrets: the secret of `d` is `<prefix><d>`. */
  public readonly destinationSecretsPath: string;
  /** The account id, read from the ingest queue's ARN (no data source needs STS). */
  public readonly accountId: string;
  /** Each destination's delivery lane: its queue, DLQ, event source mapping and alarms (one `for_each`). */
  public readonly lanes: DeliveryLanes;
  /** The stack's AWS provider version and what the pipeline synthesized for it. */
  public readonly awsProvider: AwsProviderFeatures;
  /** Largest webhook body accepted, in bytes. */
  public readonly maxWebhookBytes: number;
  /**
   * The event archive: bucket, Firehose streams, Glue tables, Athena workgroup and the operator
   * policy. Absent when `historyRetentionDays` is a plain 0.
   */
  public readonly history?: EventArchive;

  constructor(scope: Construct, id: string, props: WebhookPipelineProps = {}) {
    super(scope, id);
    const provider = (this.awsProvider = awsProviderFeaturesOf(this));
    validateProps(props, provider);
    this.maxWebhookBytes = props.maxWebhookBytes ?? provider.maxMessageBytes;
    const names = (this.names = new ResourceNames({ prefix: props.namePrefix, suffix: props.environmentSuffix }));
    const tracing = props.tracing ?? true;
    const logRetentionDays = props.logRetentionDays ?? 30;
    const bundle = props.bundle ?? defaultBundle;
    const sizing = (fn: FunctionName): FunctionSizing => ({
      timeoutSeconds: FUNCTION_TIMEOUT_DEFAULTS[fn],
      ...definedOnly(props[fn] ?? {}),
    });

    // Setup queues: each visibility timeout follows its consumer's timeout; the deliver queue's
    // receives and retention follow the retry schedule, whose delays the dispatcher sets per message.
    const visibility = (fn: FunctionName) => times(sizing(fn).timeoutSeconds!, VISIBILITY_TIMEOUT_FACTOR);
    const retrySchedule = props.deliveryRetrySchedule ?? DEFAULT_DELIVERY_RETRY_SCHEDULE;
    // Every queue takes the provider's largest message: an envelope carries the webhook's body and more.
    const maxMessageBytes = provider.maxMessageBytes;
    this.queues = {
      ingest: new QueueWithDlq(this, 'ingest', {
        name: 'ingest',
        names,
        visibilityTimeoutSeconds: visibility('validator'),
        maxMessageBytes,
      }),
      process: new QueueWithDlq(this, 'process', {
        name: 'process',
        names,
        visibilityTimeoutSeconds: visibility('processor'),
        maxMessageBytes,
      }),
      deliver: new QueueWithDlq(this, 'deliver', {
        name: 'deliver',
        names,
        visibilityTimeoutSeconds: visibility('dispatcher'),
        maxReceiveCount: retryMaxReceiveCount(retrySchedule),
        backsOff: true,
        retentionSeconds: retryRetentionSeconds(retrySchedule),
        maxMessageBytes,
      }),
    };
    this.idempotencyTable = new IdempotencyTable(this, 'idempotency', { names });
    const partition = new DataAwsPartition(this, 'partition').partition;
    // The provider's region, known at plan time without an API call, by the attribute the provider
    // does not deprecate (hashicorp/aws 6 moved it from `name` to `region`).
    const region = new DataAwsRegion(this, 'region').getStringAttribute(provider.regionAttribute);
    // The account id is read from a queue ARN instead of data.aws_caller_identity, so that
    // no data source needs STS: with the provider's skip flags, plans run offline.
    this.accountId = new TerraformLocal(this, 'account_id', Fn.element(Fn.split(':', this.queues.ingest.queue.arn), 4)).asString;
    const arn = (service: string, resource: string) => `arn:${partition}:${service}:${region}:${this.accountId}:${resource}`;
    const sqsArnPrefix = `arn:${partition}:sqs:${region}:${this.accountId}:`;
    const queueList = Object.values(this.queues);

    // Setup the archive: the processor archives each first-seen webhook, the dispatcher each
    // attempt. Built before the functions, which take its stream names; the operator policy names
    // the functions and lanes by their (deterministic) names.
    const historyRetentionDays = props.historyRetentionDays ?? DEFAULT_HISTORY_RETENTION_DAYS;
    if (historyEnabled(historyRetentionDays) !== false) {
      this.history = new EventArchive(this, 'history', {
        retentionDays: historyRetentionDays,
        accountId: this.accountId,
        region,
        partition,
        names,
        logRetentionDays,
        operator: {
          sendQueueArns: [`${sqsArnPrefix}${names.of(LANE_QUEUE_STEM, '*')}`, ...queueList.map((q) => q.queue.arn)],
          deadLetterQueueArns: [`${sqsArnPrefix}${names.of(LANE_DLQ_STEM, '*')}`, ...queueList.map((q) => q.deadLetterQueue.arn)],
          eventSourceFunctionArns: FUNCTION_NAMES.map((fn) => arn('lambda', `function:${names.of(fn)}`)),
        },
      });
    }

    // Setup functions
    const secretsPath = props.secretsPath ?? `/${names.prefix}-pipeline/${names.suffix}`;
    this.sourceSecretsPath = `${secretsPath}/sources/`;
    this.deliverySecretParameter = `${secretsPath}/delivery/signing-secret`;
    this.destinationSecretsPath = `${secretsPath}/delivery/destinations/`;
    const sources = props.webhookSources ?? DEFAULT_WEBHOOK_SOURCES;
    // Plan-time configuration is a local: computed once for both functions, and readable in
    // `terraform console` (the functions' environment is unknown until the queues exist).
    // Resolved once per synth: these `Fn` trees are the slowest part of cdktf's two resolving passes.
    const planTimeLocal = (localId: string, value: string) =>
      isToken(value) ? new TerraformLocal(this, localId, resolvedOnce(value)).asString : value;
    // A plan-time map is read by both locals and a precondition: its `for` expression is resolved once.
    const destinationProps: DeliveryDestinations = isToken(props.destinations)
      ? (resolvableOnce(props.destinations) as DeliveryDestinations)
      : (props.destinations ?? {});
    const destinations = planTimeLocal(
      'delivery_destinations',
      destinationsJson({
        destinations: destinationProps,
        deliveryUrl: props.deliveryUrl ?? '',
        defaultSecretParameter: this.deliverySecretParameter,
        destinationSecretsPrefix: this.destinationSecretsPath,
      }),
    );
    // The `service` dimension of the handlers' EMF metrics, which the dashboard charts. Suffixed,
    // so two environments in one account and region never share metrics.
    const serviceName = (fn: FunctionName) => names.of(fn);
    const pipelineFunction = (fn: FunctionName, source: QueueWithDlq, environment: Record<string, string>) =>
      new PipelineFunction(this, fn, {
        ...sizing(fn),
        // The dispatcher's own mapping drains the shared deliver queue; the lanes get the rest of its reserve.
        ...(fn === 'dispatcher' ? { maximumConcurrency: DRAIN_MAPPING_CONCURRENCY } : {}),
        name: fn,
        names,
        bundle: bundle(fn),
        runtime: props.runtime,
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
    this.deliveries = new DeliveryMetrics(serviceName('dispatcher'));
    // Each destination's lane URL has the shared deliver queue's form, with the lane's name in it:
    // the handlers fill in the destination, so no per-destination URL crowds their environment.
    const laneUrl = (stem: string) =>
      Fn.replace(this.queues.deliver.queue.url, this.queues.deliver.queue.name, names.of(stem, LANE_NAME_PLACEHOLDER));
    this.functions = {
      validator: pipelineFunction('validator', this.queues.ingest, {
        [HANDLER_ENV.nextQueueUrl]: this.queues.process.queue.url,
        [HANDLER_ENV.webhookSources]: planTimeLocal('webhook_sources', webhookSourcesJson(sources)),
        [HANDLER_ENV.sourceSecretsPath]: this.sourceSecretsPath,
        [HANDLER_ENV.stripeToleranceSeconds]: '300',
        [HANDLER_ENV.maxBodyBytes]: String(this.maxWebhookBytes),
        [HANDLER_ENV.maxMessageBytes]: String(maxMessageBytes),
      }),
      processor: pipelineFunction('processor', this.queues.process, {
        [HANDLER_ENV.laneQueueUrl]: laneUrl(LANE_QUEUE_STEM),
        [HANDLER_ENV.idempotencyTable]: this.idempotencyTable.table.name,
        [HANDLER_ENV.idempotencyTtlSeconds]: numberAsString(props.idempotencyTtlSeconds ?? DEFAULT_IDEMPOTENCY_TTL_SECONDS),
        [HANDLER_ENV.deliveryDestinations]: destinations,
        [HANDLER_ENV.maxMessageBytes]: String(maxMessageBytes),
        [HANDLER_ENV.archiveWebhookStream]: this.history?.streamName('webhook') ?? '',
      }),
      dispatcher: pipelineFunction('dispatcher', this.queues.deliver, {
        [HANDLER_ENV.deliveryDestinations]: destinations,
        [HANDLER_ENV.deliveryRetrySchedule]: scheduleAsString(retrySchedule),
        [HANDLER_ENV.sourceQueueUrl]: this.queues.deliver.queue.url,
        [HANDLER_ENV.deadLetterQueueUrl]: this.queues.deliver.deadLetterQueue.url,
        [HANDLER_ENV.laneQueueUrl]: laneUrl(LANE_QUEUE_STEM),
        [HANDLER_ENV.laneDeadLetterQueueUrl]: laneUrl(LANE_DLQ_STEM),
        [HANDLER_ENV.deliveryTimeoutMs]: numberAsString(deliveryTimeoutMs(dispatcherSizing.timeoutSeconds!)),
        [HANDLER_ENV.archiveAttemptStream]: this.history?.streamName('attempt') ?? '',
      }),
    };

    // A destination's timeout must leave room in the dispatcher's: plain values are checked with the
    // props, plan-time ones here, failing the plan.
    const timeoutsFit = destinationTimeoutsFitCondition(destinationProps, dispatcherSizing.timeoutSeconds!);
    if (timeoutsFit !== undefined) {
      this.functions.dispatcher.function.lifecycle = {
        ...this.functions.dispatcher.function.lifecycle,
        precondition: [
          {
            condition: timeoutsFit,
            errorMessage:
              "A destination's timeout_seconds must be at most 40 % of the dispatcher's function timeout (two rounds of attempts must fit in 80 % of it): lower it or raise the dispatcher's timeout.",
          },
        ],
      };
    }

    // Setup grants: each function may reach exactly the next queue and its own secrets or table.
    this.queues.process.grantSend(this.functions.validator);
    grantReadParameters(this.functions.validator, arn('ssm', `parameter${this.sourceSecretsPath}*`));
    this.functions.validator.grantReadParameterEach('source-secret', secretParameterOverrides(sources), (name) =>
      arn('ssm', `parameter${name}`),
    );
    this.idempotencyTable.grantIdempotencyRecords(this.functions.processor);
    grantReadParameters(this.functions.dispatcher, arn('ssm', `parameter${secretsPath}/delivery/*`));
    // A delivery answered 410 Gone, or for a destination no longer configured, is dead-lettered at once.
    this.queues.deliver.grantSendToDeadLetterQueue(this.functions.dispatcher);
    // Each writer may put records on its own kind's stream only.
    this.history?.grantWrite(this.functions.processor, 'webhook');
    this.history?.grantWrite(this.functions.dispatcher, 'attempt');

    // Setup the delivery lanes: a queue, DLQ and mapping per destination. The shared deliver queue
    // stays, drained by its own mapping, for deliveries queued before lanes existed.
    const laneValues = laneSettings({
      destinations: destinationProps,
      deliveryUrl: props.deliveryUrl ?? '',
      retrySchedule,
      dispatcherReservedConcurrency: this.functions.dispatcher.reservedConcurrency,
    });
    const lanes = new TerraformLocal(this, 'delivery_lanes', isToken(laneValues) ? resolvableOnce(laneValues) : laneValues);
    validateLaneConcurrency('WebhookPipeline', laneValues, this.functions.dispatcher.reservedConcurrency);
    this.lanes = new DeliveryLanes(this, 'lanes', {
      lanes: lanes.asAnyMap as never,
      planTime: isToken(laneValues),
      names,
      lanesExpression: `local.${lanes.friendlyUniqueId}`,
      dispatcherReservedConcurrency: this.functions.dispatcher.reservedConcurrency,
      drainConcurrency: DRAIN_MAPPING_CONCURRENCY,
      dispatcherArn: this.functions.dispatcher.function.arn,
      dependsOn: [this.functions.dispatcher.policy],
      visibilityTimeoutSeconds: visibility('dispatcher'),
      maxMessageBytes,
      sqsArnPrefix,
      alarms: {
        enabled: props.alarmsEnabled ?? true,
        topicArn: Lazy.stringValue({ produce: () => this.alarmTopicArn }),
        deliveries: this.deliveries,
        failureRatePercent: props.alarmThresholds?.deliveryFailureRatePercent ?? ALARM_THRESHOLD_DEFAULTS.deliveryFailureRatePercent,
      },
    });
    this.lanes.grantSend(this.functions.processor);
    this.lanes.grantConsume(this.functions.dispatcher);
    // The functions address the lanes by a URL template, which Terraform cannot see: without these,
    // an apply could update the processor before a new destination's lane exists (its deliveries
    // failing until it does), or destroy a removed one's lane before the processor stops sending.
    const dependOn = (fn: PipelineFunction, ...queues: SqsQueue[]) =>
      (fn.function.dependsOn = [...(fn.function.dependsOn ?? []), ...queues.map((queue) => `aws_sqs_queue.${queue.friendlyUniqueId}`)]);
    dependOn(this.functions.processor, this.lanes.queue);
    dependOn(this.functions.dispatcher, this.lanes.queue, this.lanes.deadLetterQueue);

    // Setup the API
    this.api = new WebhookApi(this, 'api', {
      ingestQueue: this.queues.ingest.queue,
      sourceSchemes: sourceSchemesJson(sources),
      accountId: this.accountId,
      region,
      partition,
      names,
      tracing,
      logRetentionDays,
      throttleRateLimit: props.apiThrottleRateLimit,
      throttleBurstLimit: props.apiThrottleBurstLimit,
      manageAccountLogging: props.manageApiGatewayAccount,
      maxMessageBytes,
    });

    // Setup alarms
    if (props.alarmTopicArn === undefined) {
      this.alarmTopic = new AlarmTopic(this, 'alarm-topic', { accountId: this.accountId, partition, names, alarmEmail: props.alarmEmail });
    }
    this.alarmTopicArn = props.alarmTopicArn ?? this.alarmTopic!.topic.arn;
    const queues = queueList;
    const functions = FUNCTION_NAMES.map((fn) => this.functions[fn]);
    const alarmsEnabled = props.alarmsEnabled ?? true;
    const archiveWriter = (fn: FunctionName) => ({
      name: fn,
      metricArchiveWriteFailed: () => EventArchive.metricArchiveWriteFailed(serviceName(fn)),
    });
    const alarmDefinitions = buildAlarmDefinitions(
      {
        functions,
        queues,
        api: this.api,
        delivery: this.deliveries,
        archive: this.history && { writers: [archiveWriter('processor'), archiveWriter('dispatcher')], exists: this.history.enabled },
      },
      props.alarmThresholds,
    );
    this.alarms = new AlarmFactory(this, 'alarms', {
      topicArn: this.alarmTopicArn,
      enabled: alarmsEnabled,
      names,
      definitions: alarmDefinitions,
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
      deliveries: this.deliveries,
      // Alarms whose existence is decided at plan time (the archive's) stay off the status widget,
      // which must not name an alarm that may not exist.
      alarmArns: alarmDefinitions
        .filter((definition) => alarmsEnabled !== false && definition.exists === undefined)
        .map((definition) => arn('cloudwatch', `alarm:${names.of(definition.id)}`)),
      alarmsEnabled,
      dependsOn: this.alarms.alarms,
      lanes: { prefix: names.prefix, suffix: names.suffix },
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
 * The dispatcher's per-delivery timeout. A batch's records are delivered concurrently, but records
 * of one event and destination go one after another, so two rounds must fit in 80 % of the
 * function timeout: a batch of hung targets fails its records instead of timing out the
 * invocation (which would re-send the batch's delivered events). At most 10 s, at least 1 s.
 */
export function deliveryTimeoutMs(timeoutSeconds: number): number {
  if (!isToken(timeoutSeconds)) return Math.max(1000, Math.min(10_000, Math.floor(timeoutSeconds * 400)));
  return Token.asNumber(Fn.max([1000, Fn.min([10_000, Fn.floor(times(timeoutSeconds, 400))])]));
}

function grantReadParameters(grantee: IGrantable, resource: string): void {
  grantee.addToPrincipalPolicy({ Sid: 'ReadOwnParameters', Effect: 'Allow', Action: 'ssm:GetParameter', Resource: resource });
}

const definedOnly = <T extends object>(value: T): Partial<T> =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;

/** Plain props are checked here, before anything is built; tokens are checked at plan time. */
function validateProps(props: WebhookPipelineProps, provider: AwsProviderFeatures): void {
  const owner = 'WebhookPipeline';
  requirePlain(
    owner,
    'maxWebhookBytes',
    props.maxWebhookBytes,
    (n) => Number.isInteger(n) && n >= 1024 && n <= provider.maxMessageBytes,
    `a whole number of bytes from 1024 to ${provider.maxMessageBytes}, the largest message ${describeProvider(provider)} lets a queue take (1 MiB needs hashicorp/aws 6.8 or later)`,
  );
  for (const fn of FUNCTION_NAMES) validateSizing(`${owner} ${fn}`, props[fn] ?? {});
  if (props.runtime !== undefined) validateRuntime(owner, props.runtime, provider);
  requirePlain(owner, 'deliveryUrl', props.deliveryUrl, (url) => url === '' || HTTPS_URL.test(url), 'empty or an https:// URL');
  requirePlain(
    owner,
    'idempotencyTtlSeconds',
    props.idempotencyTtlSeconds,
    (n) => Number.isInteger(n) && n >= 86400,
    'a whole number of at least 86400 (24 h)',
  );
  validateLogRetentionDays(owner, props.logRetentionDays);
  requirePlain(
    owner,
    'secretsPath',
    props.secretsPath,
    (p) => SSM_PARAMETER_NAME.test(p),
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
  validateHistoryRetention(owner, props.historyRetentionDays);
  validateWebhookSources(owner, props.webhookSources);
  validateDelivery(
    owner,
    props.destinations,
    props.deliveryRetrySchedule,
    props.dispatcher?.timeoutSeconds ?? FUNCTION_TIMEOUT_DEFAULTS.dispatcher,
  );
}
