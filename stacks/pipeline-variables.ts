import { TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { ALARM_THRESHOLD_DEFAULTS, type AlarmThresholdKey } from '../src/alarms/catalogue';
import { LOG_RETENTION_DAYS } from '../src/config/aws-limits';
import { DEFAULT_HISTORY_RETENTION_DAYS, historyRetentionCondition, MAX_HISTORY_RETENTION_DAYS } from '../src/config/history';
import { MIN_MAX_IN_FLIGHT } from '../src/config/lanes';
import { MAX_SUFFIX_LENGTH } from '../src/config/naming';
import { MAX_RETRY_HORIZON_SECONDS, MAX_RETRY_STEPS, MIN_RETRY_STEPS } from '../src/config/delivery';
import {
  DESTINATION_AUTH_TYPES,
  HEADER_NAME,
  HTTPS_TOKEN_URL,
  MAX_DESTINATION_TIMEOUT_SECONDS,
  MIN_DESTINATION_TIMEOUT_SECONDS,
  OAUTH_TEXT,
  RESERVED_HEADER_PREFIX,
  RESERVED_HEADERS,
} from '../src/config/destination-auth';
import { MAX_TOLERANCE_SECONDS, SSM_PARAMETER_NAME } from '../src/config/webhook-sources';
import { DEFAULT_DELIVERY_RETRY_SCHEDULE, DEFAULT_DESTINATION, MAX_VISIBILITY_TIMEOUT_SECONDS, SIGNATURE_SCHEMES } from '../src/contract';
import { DEFAULT_WEBHOOK_SOURCES, FUNCTION_TIMEOUT_DEFAULTS } from '../src/webhook-pipeline';

export { LOG_RETENTION_DAYS };

/** The `alarm_thresholds` variable's keys: Terraform's snake_case for each `AlarmThresholds` prop. */
export const ALARM_THRESHOLD_VARIABLE_KEYS: Readonly<Record<AlarmThresholdKey, string>> = {
  lambdaErrorRatePercent: 'lambda_error_rate_percent',
  lambdaDurationPercentOfTimeout: 'lambda_duration_percent_of_timeout',
  lambdaConcurrency: 'lambda_concurrency',
  queueOldestMessageAgeSeconds: 'queue_oldest_message_age_seconds',
  queueDepth: 'queue_depth',
  api4xxRatePercent: 'api_4xx_rate_percent',
  api5xxRatePercent: 'api_5xx_rate_percent',
  apiLatencyP99Ms: 'api_latency_p99_ms',
  deliveryFailureRatePercent: 'delivery_failure_rate_percent',
};

/** `alarm_thresholds` defaults, keyed as the variable is. */
export const ALARM_THRESHOLD_VARIABLE_DEFAULTS: Readonly<Record<string, number>> = Object.fromEntries(
  Object.entries(ALARM_THRESHOLD_VARIABLE_KEYS).map(([key, variableKey]) => [
    variableKey,
    ALARM_THRESHOLD_DEFAULTS[key as AlarmThresholdKey],
  ]),
);

const hclList = (values: readonly (string | number)[]): string =>
  `[${values.map((v) => (typeof v === 'string' ? `"${v}"` : String(v))).join(', ')}]`;

/** A regular expression's source as an HCL string literal (backslashes and quotes escaped). */
const hclString = (text: string): string => JSON.stringify(text);

const optionalNumbers = (defaults: Record<string, number>): string =>
  `object({ ${Object.entries(defaults)
    .map(([key, value]) => `${key} = optional(number, ${value})`)
    .join(', ')} })`;

/**
 * The stack's Terraform variables: the one place that names them. The stack maps each to a
 * `WebhookPipeline` prop; they are resolved at plan time, so one synthesized JSON serves every workspace. Conditions are written as raw `${…}` HCL: cdktf's `Op` helpers render
 * falsy literals (`""`, `0`) as `undefined`, which only `terraform validate` would catch.
 */
export class PipelineVariables extends Construct {
  public readonly enableAlarms: TerraformVariable;
  public readonly enableXray: TerraformVariable;
  public readonly alarmEmail: TerraformVariable;
  public readonly environmentSuffix: TerraformVariable;
  public readonly alarmThresholds: TerraformVariable;
  public readonly logRetentionDays: TerraformVariable;
  public readonly deliveryUrl: TerraformVariable;
  public readonly webhookSources: TerraformVariable;
  public readonly deliveryDestinations: TerraformVariable;
  public readonly deliveryRetrySchedule: TerraformVariable;
  public readonly functionTimeouts: TerraformVariable;
  public readonly idempotencyTtlSeconds: TerraformVariable;
  public readonly apiThrottleRateLimit: TerraformVariable;
  public readonly apiThrottleBurstLimit: TerraformVariable;
  public readonly awsRegion: TerraformVariable;
  public readonly tags: TerraformVariable;
  public readonly manageApiGatewayAccount: TerraformVariable;
  public readonly historyRetentionDays: TerraformVariable;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    // Setup toggles
    this.enableAlarms = new TerraformVariable(scope, 'enable_alarms', {
      type: 'bool',
      default: true,
      nullable: false,
      description:
        'Create the CloudWatch alarms of the alarm catalogue: 24, and 2 more (archive writes) while history_retention_days is above 0.',
    });
    this.enableXray = new TerraformVariable(scope, 'enable_xray', {
      type: 'bool',
      default: true,
      nullable: false,
      description: 'Active X-Ray tracing on the functions and the API stage (PassThrough when false).',
    });
    this.alarmEmail = new TerraformVariable(scope, 'alarm_email', {
      type: 'string',
      default: '',
      nullable: false,
      description: 'E-mail address subscribed to the alarm topic; empty for no subscription.',
      validation: [
        {
          condition: '${var.alarm_email == "" || can(regex("^[^@\\\\s]+@[^@\\\\s]+\\\\.[^@\\\\s]+$", var.alarm_email))}',
          errorMessage: 'alarm_email must be empty or an e-mail address such as ops@example.com.',
        },
      ],
    });

    // Setup naming and environment
    this.environmentSuffix = new TerraformVariable(scope, 'environment_suffix', {
      type: 'string',
      default: 'dev',
      nullable: false,
      description: `Suffix of every resource name: lowercase letters, digits and single hyphens, 1-${MAX_SUFFIX_LENGTH} characters.`,
      validation: [
        {
          condition: `\${can(regex("^[a-z0-9]+(-[a-z0-9]+)*$", var.environment_suffix)) && length(var.environment_suffix) <= ${MAX_SUFFIX_LENGTH}}`,
          errorMessage: `environment_suffix must be 1-${MAX_SUFFIX_LENGTH} lowercase letters, digits or inner hyphens, so that every derived name fits AWS limits.`,
        },
      ],
    });
    // No default: a command that forgets the region must fail, not look for the resources in
    // another region and drop them from state (docs/ARCHITECTURE.md, "Nothing orphaned").
    this.awsRegion = new TerraformVariable(scope, 'aws_region', {
      type: 'string',
      nullable: false,
      description:
        'AWS region every resource lives in, e.g. eu-west-1. Required, with no default: give it on every command (a *.tfvars file).',
      validation: [
        {
          condition: '${can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.aws_region))}',
          errorMessage: 'aws_region must be a region code such as us-east-1.',
        },
      ],
    });
    this.manageApiGatewayAccount = new TerraformVariable(scope, 'manage_api_gateway_account', {
      type: 'bool',
      default: true,
      nullable: false,
      description:
        'Manage the account-wide API Gateway CloudWatch Logs role setting. Exactly one environment per account and region: set false in the others, and destroy the managing one last.',
    });
    this.tags = new TerraformVariable(scope, 'tags', {
      type: 'map(string)',
      default: {},
      nullable: false,
      description: 'Extra tags for every resource, merged into the provider default tags.',
    });

    // Setup tuning
    this.alarmThresholds = new TerraformVariable(scope, 'alarm_thresholds', {
      type: optionalNumbers(ALARM_THRESHOLD_VARIABLE_DEFAULTS),
      default: {},
      nullable: false,
      description: 'Alarm thresholds; any key left out keeps its default.',
      validation: [
        {
          condition: '${alltrue([for name, value in var.alarm_thresholds : value > 0])}',
          errorMessage: 'alarm_thresholds: every threshold must be a positive number.',
        },
      ],
    });
    this.logRetentionDays = new TerraformVariable(scope, 'log_retention_days', {
      type: 'number',
      default: 30,
      nullable: false,
      description: 'Retention of every log group, in days (a value CloudWatch Logs allows).',
      validation: [
        {
          condition: `\${contains(${hclList(LOG_RETENTION_DAYS)}, var.log_retention_days)}`,
          errorMessage: `log_retention_days must be one of CloudWatch Logs' retention periods: ${LOG_RETENTION_DAYS.join(', ')}.`,
        },
      ],
    });
    this.historyRetentionDays = new TerraformVariable(scope, 'history_retention_days', {
      type: 'number',
      default: DEFAULT_HISTORY_RETENTION_DAYS,
      nullable: false,
      description: `Days the event archive keeps every webhook and delivery attempt (S3 via Firehose, queried with Athena: webhook-pipeline history). 0 removes the archive: set it only after exporting what you need, since the bucket must be emptied before Terraform can delete it. Raising it keeps existing objects longer; lowering it expires older ones at S3's next lifecycle run. Whole days, 0-${MAX_HISTORY_RETENTION_DAYS}.`,
      validation: [
        {
          condition: historyRetentionCondition('var.history_retention_days'),
          errorMessage: `history_retention_days must be a whole number of days from 0 (no archive) to ${MAX_HISTORY_RETENTION_DAYS}.`,
        },
      ],
    });
    this.functionTimeouts = new TerraformVariable(scope, 'function_timeouts', {
      type: optionalNumbers(FUNCTION_TIMEOUT_DEFAULTS),
      default: {},
      nullable: false,
      description: "Each function's timeout in seconds; its queue's visibility timeout is 6 times it.",
      validation: [
        {
          condition: '${alltrue([for name, value in var.function_timeouts : value >= 1 && value <= 900 && floor(value) == value])}',
          errorMessage: 'function_timeouts: every timeout must be a whole number of seconds from 1 to 900.',
        },
      ],
    });
    this.idempotencyTtlSeconds = new TerraformVariable(scope, 'idempotency_ttl_seconds', {
      type: 'number',
      default: 86400,
      nullable: false,
      description: 'How long a delivery id is remembered for de-duplication (providers retry for up to a day).',
      validation: [
        {
          condition: '${var.idempotency_ttl_seconds >= 86400 && floor(var.idempotency_ttl_seconds) == var.idempotency_ttl_seconds}',
          errorMessage: 'idempotency_ttl_seconds must be a whole number of at least 86400 (24 h).',
        },
      ],
    });
    this.apiThrottleRateLimit = new TerraformVariable(scope, 'api_throttle_rate_limit', {
      type: 'number',
      default: 100,
      nullable: false,
      description: 'Steady-state requests per second the API stage accepts.',
      validation: [
        {
          condition: '${var.api_throttle_rate_limit > 0}',
          errorMessage: 'api_throttle_rate_limit must be a positive number.',
        },
      ],
    });
    this.apiThrottleBurstLimit = new TerraformVariable(scope, 'api_throttle_burst_limit', {
      type: 'number',
      default: 200,
      nullable: false,
      description: 'Burst of requests the API stage accepts.',
      validation: [
        {
          condition: '${var.api_throttle_burst_limit >= 1 && floor(var.api_throttle_burst_limit) == var.api_throttle_burst_limit}',
          errorMessage: 'api_throttle_burst_limit must be a whole number of at least 1.',
        },
      ],
    });

    // Setup delivery
    this.deliveryUrl = new TerraformVariable(scope, 'delivery_url', {
      type: 'string',
      default: '',
      nullable: false,
      description: `HTTPS endpoint of the destination named "${DEFAULT_DESTINATION}", which receives every event, signed with the secret in the delivery_secret_parameter output; empty for none. More destinations, with routes: delivery_destinations.`,
      validation: [
        {
          condition: '${var.delivery_url == "" || can(regex("^https://[^\\\\s/?#]+", var.delivery_url))}',
          errorMessage: 'delivery_url must be empty or an https:// URL.',
        },
      ],
    });
    this.deliveryDestinations = new TerraformVariable(scope, 'delivery_destinations', {
      type: 'map(object({ url = string, sources = optional(list(string)), event_types = optional(list(string)), timeout_seconds = optional(number), max_in_flight = optional(number), retry_schedule = optional(list(number)), auth = optional(object({ type = string, name = optional(string), token_url = optional(string), client_id = optional(string), scope = optional(string) })) }))',
      default: {},
      nullable: false,
      description: `Named destinations: each receives its own signed delivery of every event its route matches, retried and dead-lettered on its own. url: HTTPS endpoint; sources: source names it receives (all when left out); event_types: event types it receives, a trailing * matches by prefix (all when left out); timeout_seconds: seconds one attempt may take, ${MIN_DESTINATION_TIMEOUT_SECONDS}-${MAX_DESTINATION_TIMEOUT_SECONDS} and at most 40 % of function_timeouts.dispatcher (default: the dispatcher's DELIVERY_TIMEOUT_MS); max_in_flight: at most this many deliveries to it at once, at least ${MIN_MAX_IN_FLIGHT} (default: an equal share of the dispatcher's reserved concurrency); retry_schedule: its own delivery_retry_schedule, which its lane's receives and retention follow (default: delivery_retry_schedule); auth: credentials besides the signature, type "header" (with name, e.g. X-Api-Key or Authorization), "basic", or "oauth2" (client credentials, with token_url, client_id and optional scope). Each destination has its own delivery lane (queue, DLQ, event source mapping: the delivery_lanes output), paused and resumed with webhook-pipeline destinations pause|resume. Its signing secret: SSM <destination_secrets_path output><name>; its auth credential (header value, user:password, or OAuth client secret): SSM <destination_secrets_path output><name>/auth.`,
      validation: [
        {
          condition: `\${alltrue([for name, d in var.delivery_destinations : can(regex("^[a-z0-9][a-z0-9_-]{0,63}$", name)) && name != "${DEFAULT_DESTINATION}"])}`,
          errorMessage: `delivery_destinations: every name must be 1-64 lowercase letters, digits, hyphens or underscores, and not "${DEFAULT_DESTINATION}" (delivery_url's).`,
        },
        {
          condition: '${alltrue([for name, d in var.delivery_destinations : can(regex("^https://[^\\\\s/?#]+", d.url))])}',
          errorMessage: 'delivery_destinations: every url must be an https:// URL.',
        },
        {
          condition:
            '${alltrue([for name, d in var.delivery_destinations : (d.sources == null ? true : length(d.sources) > 0) && (d.event_types == null ? true : length(d.event_types) > 0)])}',
          errorMessage: 'delivery_destinations: sources and event_types are left out for all, or non-empty lists.',
        },
        {
          condition: `\${alltrue([for name, d in var.delivery_destinations : d.timeout_seconds == null ? true : (d.timeout_seconds >= ${MIN_DESTINATION_TIMEOUT_SECONDS} && d.timeout_seconds <= ${MAX_DESTINATION_TIMEOUT_SECONDS} && floor(d.timeout_seconds) == d.timeout_seconds)])}`,
          errorMessage: `delivery_destinations: timeout_seconds must be a whole number of seconds from ${MIN_DESTINATION_TIMEOUT_SECONDS} to ${MAX_DESTINATION_TIMEOUT_SECONDS} (and at most 40 % of function_timeouts.dispatcher).`,
        },
        {
          condition: `\${alltrue([for name, d in var.delivery_destinations : d.max_in_flight == null ? true : (d.max_in_flight >= ${MIN_MAX_IN_FLIGHT} && floor(d.max_in_flight) == d.max_in_flight)])}`,
          errorMessage: `delivery_destinations: max_in_flight must be a whole number of at least ${MIN_MAX_IN_FLIGHT}.`,
        },
        {
          condition: `\${alltrue([for name, d in var.delivery_destinations : d.retry_schedule == null ? true : (length(d.retry_schedule) >= ${MIN_RETRY_STEPS} && length(d.retry_schedule) <= ${MAX_RETRY_STEPS} && alltrue([for s in d.retry_schedule : s >= 1 && s <= ${MAX_VISIBILITY_TIMEOUT_SECONDS} && floor(s) == s]) && sum(d.retry_schedule) <= ${MAX_RETRY_HORIZON_SECONDS})])}`,
          errorMessage: `delivery_destinations: retry_schedule must be ${MIN_RETRY_STEPS}-${MAX_RETRY_STEPS} whole numbers of seconds, each 1-${MAX_VISIBILITY_TIMEOUT_SECONDS}, at most ${MAX_RETRY_HORIZON_SECONDS} s in all.`,
        },
        {
          condition: `\${alltrue([for name, d in var.delivery_destinations : d.auth == null ? true : contains(${hclList(DESTINATION_AUTH_TYPES)}, d.auth.type)])}`,
          errorMessage: `delivery_destinations: auth.type must be one of ${DESTINATION_AUTH_TYPES.join(', ')}.`,
        },
        {
          condition: `\${alltrue([for name, d in var.delivery_destinations : d.auth == null ? true : (d.auth.type != "header" ? d.auth.name == null : (d.auth.name == null ? false : (can(regex(${hclString(HEADER_NAME.source)}, d.auth.name)) && !contains(${hclList(RESERVED_HEADERS)}, lower(d.auth.name)) && !startswith(lower(d.auth.name), "${RESERVED_HEADER_PREFIX}"))))])}`,
          errorMessage: `delivery_destinations: auth.name is for type "header" only, and required there: a header name (letters, digits and !#$%&'*+.^_\`|~-, at most 64) other than ${RESERVED_HEADERS.join(', ')} and ${RESERVED_HEADER_PREFIX}*, which the dispatcher sets.`,
        },
        {
          condition: `\${alltrue([for name, d in var.delivery_destinations : d.auth == null ? true : (d.auth.type != "oauth2" ? d.auth.token_url == null : can(regex(${hclString(HTTPS_TOKEN_URL.source)}, d.auth.token_url)))])}`,
          errorMessage: 'delivery_destinations: auth.token_url is for type "oauth2" only, and required there: an https:// URL.',
        },
        {
          condition: `\${alltrue([for name, d in var.delivery_destinations : d.auth == null ? true : (d.auth.type != "oauth2" ? d.auth.client_id == null && d.auth.scope == null : can(regex(${hclString(OAUTH_TEXT.source)}, d.auth.client_id)) && (d.auth.scope == null ? true : can(regex(${hclString(OAUTH_TEXT.source)}, d.auth.scope))))])}`,
          errorMessage:
            'delivery_destinations: auth.client_id and auth.scope are for type "oauth2" only; client_id is required there, each 1-256 printable ASCII characters without quotes or backslashes.',
        },
      ],
    });
    this.deliveryRetrySchedule = new TerraformVariable(scope, 'delivery_retry_schedule', {
      type: 'list(number)',
      default: [...DEFAULT_DELIVERY_RETRY_SCHEDULE],
      nullable: false,
      description: `Seconds before each retry of a failed delivery, by attempt (jittered ±20 %; a Retry-After answer replaces the step, capped at the largest). ${MIN_RETRY_STEPS}-${MAX_RETRY_STEPS} steps, each 1-${MAX_VISIBILITY_TIMEOUT_SECONDS}, at most ${MAX_RETRY_HORIZON_SECONDS} s in all. The default (Svix's) retries for about 27.6 h; the deliver queue keeps messages twice as long.`,
      validation: [
        {
          condition: `\${length(var.delivery_retry_schedule) >= ${MIN_RETRY_STEPS} && length(var.delivery_retry_schedule) <= ${MAX_RETRY_STEPS}}`,
          errorMessage: `delivery_retry_schedule must have ${MIN_RETRY_STEPS} to ${MAX_RETRY_STEPS} steps.`,
        },
        {
          condition: `\${alltrue([for s in var.delivery_retry_schedule : s >= 1 && s <= ${MAX_VISIBILITY_TIMEOUT_SECONDS} && floor(s) == s])}`,
          errorMessage: `delivery_retry_schedule: every step must be a whole number of seconds from 1 to ${MAX_VISIBILITY_TIMEOUT_SECONDS} (SQS's 12 h visibility cap).`,
        },
        {
          condition: `\${sum(concat([0], var.delivery_retry_schedule)) <= ${MAX_RETRY_HORIZON_SECONDS}}`,
          errorMessage: `delivery_retry_schedule must add up to at most ${MAX_RETRY_HORIZON_SECONDS} seconds (6 days): the deliver queue keeps messages twice as long, within SQS's 14 days.`,
        },
      ],
    });
    this.webhookSources = new TerraformVariable(scope, 'webhook_sources', {
      type: 'map(object({ scheme = string, tolerance_seconds = optional(number), secret_parameter = optional(string) }))',
      default: DEFAULT_WEBHOOK_SOURCES,
      nullable: false,
      description: `Accepted sources (the {source} path segment; API Gateway answers 400 to any other without storing it). scheme: ${SIGNATURE_SCHEMES.join(', ')}; tolerance_seconds: how far a signed timestamp may be from the time of receipt (default 300); secret_parameter: an SSM SecureString parameter name replacing <source_secrets_path output><source>.`,
      validation: [
        {
          condition: `\${alltrue([for name, source in var.webhook_sources : contains(${hclList(SIGNATURE_SCHEMES)}, source.scheme)])}`,
          errorMessage: `webhook_sources: every scheme must be one of ${SIGNATURE_SCHEMES.join(', ')}.`,
        },
        {
          condition: '${alltrue([for name, source in var.webhook_sources : can(regex("^[a-z0-9][a-z0-9_-]{0,63}$", name))])}',
          errorMessage: 'webhook_sources: every source name must be 1-64 lowercase letters, digits, hyphens or underscores.',
        },
        {
          condition: `\${alltrue([for name, source in var.webhook_sources : source.tolerance_seconds == null ? true : (source.tolerance_seconds >= 1 && source.tolerance_seconds <= ${MAX_TOLERANCE_SECONDS} && floor(source.tolerance_seconds) == source.tolerance_seconds)])}`,
          errorMessage: `webhook_sources: tolerance_seconds must be a whole number from 1 to ${MAX_TOLERANCE_SECONDS}.`,
        },
        {
          condition: `\${alltrue([for name, source in var.webhook_sources : source.secret_parameter == null ? true : can(regex(${hclString(SSM_PARAMETER_NAME.source)}, source.secret_parameter))])}`,
          errorMessage: 'webhook_sources: secret_parameter must be an SSM parameter name starting with / (letters, digits, _ . - /).',
        },
      ],
    });
  }
}
