import type { AlarmThresholdKey } from '../config/variables';

/**
 * The alarm catalogue (SPEC §4) as data: one entry per alarm kind and the scope it applies to.
 * `buildAlarmDefinitions` expands it over the stack's functions, queues, DLQs and API into the
 * 24 concrete alarms; `AlarmFactory` turns each definition into one CloudWatch alarm.
 */

export interface MetricSpec {
  readonly namespace: string;
  readonly metricName: string;
  /** A standard statistic (`Sum`, `Maximum`, `Average`) or a percentile (`p99`). */
  readonly stat: string;
  readonly dimensions: Record<string, string>;
}

/** A metric-math alarm: `expression` over the named metrics. */
export interface MetricMathSpec {
  readonly expression: string;
  readonly label: string;
  readonly metrics: Record<string, MetricSpec>;
}

export interface AlarmDefinition {
  /** Construct id and the physical name's stem, e.g. `validator-error-rate`. */
  readonly id: string;
  readonly kind: AlarmKind;
  readonly description: string;
  readonly metric: MetricSpec | MetricMathSpec;
  /** A number, or a Terraform expression (`${…}`) resolved at plan time. */
  readonly threshold: number | string;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
}

export type AlarmKind =
  | 'function-error-rate'
  | 'function-throttles'
  | 'function-duration'
  | 'function-concurrency'
  | 'queue-age'
  | 'queue-depth'
  | 'dlq-messages'
  | 'api-4xx-rate'
  | 'api-5xx-rate'
  | 'api-latency';

export interface FunctionTarget {
  /** Short name, e.g. `validator`. */
  readonly name: string;
  readonly functionName: string;
  /** Terraform expression (without `${}`) for the function's timeout in seconds. */
  readonly timeoutSecondsExpression: string;
}

export interface QueueTarget {
  /** Short name, e.g. `ingest` or `ingest-dlq`. */
  readonly name: string;
  readonly queueName: string;
}

export interface ApiTarget {
  readonly apiName: string;
  readonly stageName: string;
}

export interface AlarmTargets {
  readonly functions: readonly FunctionTarget[];
  readonly queues: readonly QueueTarget[];
  readonly deadLetterQueues: readonly QueueTarget[];
  readonly api: ApiTarget;
}

/** Where each alarm kind's section lives in the runbook. */
export const RUNBOOK_PATH = 'docs/RUNBOOK.md';

const threshold = (key: AlarmThresholdKey): string => `\${var.alarm_thresholds.${key}}`;

interface Cadence {
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
}
/** A short burst is noise for rates and latencies: two of three minutes must breach. */
const SUSTAINED: Cadence = { periodSeconds: 60, evaluationPeriods: 3, datapointsToAlarm: 2 };
/** Any single occurrence matters (throttles, dead letters). */
const IMMEDIATE: Cadence = { periodSeconds: 60, evaluationPeriods: 1, datapointsToAlarm: 1 };
/** Backlogs build slowly; five minutes in a row avoids flapping on a batch in flight. */
const BACKLOG: Cadence = { periodSeconds: 60, evaluationPeriods: 5, datapointsToAlarm: 5 };

interface CatalogueEntry<T> {
  readonly kind: AlarmKind;
  readonly idSuffix: string;
  readonly cadence: Cadence;
  readonly describe: (target: T) => string;
  readonly metric: (target: T) => MetricSpec | MetricMathSpec;
  readonly threshold: (target: T) => number | string;
}

const lambdaMetric = (fn: FunctionTarget, metricName: string, stat: string): MetricSpec => ({
  namespace: 'AWS/Lambda',
  metricName,
  stat,
  dimensions: { FunctionName: fn.functionName },
});

const sqsMetric = (queue: QueueTarget, metricName: string): MetricSpec => ({
  namespace: 'AWS/SQS',
  metricName,
  stat: 'Maximum',
  dimensions: { QueueName: queue.queueName },
});

const apiMetric = (api: ApiTarget, metricName: string, stat: string): MetricSpec => ({
  namespace: 'AWS/ApiGateway',
  metricName,
  stat,
  dimensions: { ApiName: api.apiName, Stage: api.stageName },
});

export const FUNCTION_ALARMS: readonly CatalogueEntry<FunctionTarget>[] = [
  {
    kind: 'function-error-rate',
    idSuffix: 'error-rate',
    cadence: SUSTAINED,
    describe: (fn) =>
      `More than the threshold percentage of ${fn.name} invocations failed. First step: read the function's recent ERROR logs.`,
    // IF() keeps the rate at 0 instead of dividing by zero in idle minutes.
    metric: (fn) => ({
      expression: 'IF(invocations > 0, 100 * errors / invocations, 0)',
      label: `${fn.name} error rate (%)`,
      metrics: {
        errors: lambdaMetric(fn, 'Errors', 'Sum'),
        invocations: lambdaMetric(fn, 'Invocations', 'Sum'),
      },
    }),
    threshold: () => threshold('lambda_error_rate_percent'),
  },
  {
    kind: 'function-throttles',
    idSuffix: 'throttles',
    cadence: IMMEDIATE,
    describe: (fn) =>
      `${fn.name} was throttled. First step: compare ConcurrentExecutions with its reserved concurrency.`,
    metric: (fn) => lambdaMetric(fn, 'Throttles', 'Sum'),
    threshold: () => 0,
  },
  {
    kind: 'function-duration',
    idSuffix: 'duration',
    cadence: SUSTAINED,
    describe: (fn) =>
      `${fn.name} p99 duration is near its timeout. First step: check the latency of what it calls (SQS, SSM, DynamoDB, the delivery target).`,
    metric: (fn) => lambdaMetric(fn, 'Duration', 'p99'),
    threshold: (fn) =>
      `\${${fn.timeoutSecondsExpression} * 1000 * var.alarm_thresholds.lambda_duration_percent_of_timeout / 100}`,
  },
  {
    kind: 'function-concurrency',
    idSuffix: 'concurrency',
    cadence: SUSTAINED,
    describe: (fn) =>
      `${fn.name} is close to its reserved concurrency. First step: check the depth and age of its source queue.`,
    metric: (fn) => lambdaMetric(fn, 'ConcurrentExecutions', 'Maximum'),
    threshold: () => threshold('lambda_concurrency'),
  },
];

export const QUEUE_ALARMS: readonly CatalogueEntry<QueueTarget>[] = [
  {
    kind: 'queue-age',
    idSuffix: 'age',
    cadence: BACKLOG,
    describe: (q) =>
      `The oldest message on the ${q.name} queue is older than the threshold. First step: check its consumer's errors and throttles.`,
    metric: (q) => sqsMetric(q, 'ApproximateAgeOfOldestMessage'),
    threshold: () => threshold('queue_oldest_message_age_seconds'),
  },
  {
    kind: 'queue-depth',
    idSuffix: 'depth',
    cadence: BACKLOG,
    describe: (q) =>
      `The ${q.name} queue holds more visible messages than the threshold. First step: check its consumer's concurrency and errors.`,
    metric: (q) => sqsMetric(q, 'ApproximateNumberOfMessagesVisible'),
    threshold: () => threshold('queue_depth'),
  },
];

export const DLQ_ALARMS: readonly CatalogueEntry<QueueTarget>[] = [
  {
    kind: 'dlq-messages',
    idSuffix: 'messages',
    cadence: IMMEDIATE,
    describe: (q) =>
      `Messages reached the ${q.name} dead-letter queue. First step: read one, find why its consumer failed, fix, then redrive.`,
    metric: (q) => sqsMetric(q, 'ApproximateNumberOfMessagesVisible'),
    threshold: () => 0,
  },
];

// API Gateway's 4XXError and 5XXError Average is already a 0-1 rate, hence the division.
export const API_ALARMS: readonly CatalogueEntry<ApiTarget>[] = [
  {
    kind: 'api-4xx-rate',
    idSuffix: '4xx-rate',
    cadence: SUSTAINED,
    describe: () =>
      'The share of webhook requests answered 4xx is above the threshold. First step: read the API access log for the status and source.',
    metric: (api) => apiMetric(api, '4XXError', 'Average'),
    threshold: () => `\${var.alarm_thresholds.api_4xx_rate_percent / 100}`,
  },
  {
    kind: 'api-5xx-rate',
    idSuffix: '5xx-rate',
    cadence: SUSTAINED,
    describe: () =>
      'The share of webhook requests answered 5xx is above the threshold: webhooks may not be stored. First step: read the API access log and the SQS service health.',
    metric: (api) => apiMetric(api, '5XXError', 'Average'),
    threshold: () => `\${var.alarm_thresholds.api_5xx_rate_percent / 100}`,
  },
  {
    kind: 'api-latency',
    idSuffix: 'latency',
    cadence: SUSTAINED,
    describe: () =>
      'API p99 latency is above the threshold. First step: check the SendMessage integration latency in the access log.',
    metric: (api) => apiMetric(api, 'Latency', 'p99'),
    threshold: () => threshold('api_latency_p99_ms'),
  },
];

const expand = <T>(
  entries: readonly CatalogueEntry<T>[],
  targets: readonly T[],
  idOf: (target: T) => string,
): AlarmDefinition[] =>
  targets.flatMap((target) =>
    entries.map((entry) => ({
      id: `${idOf(target)}-${entry.idSuffix}`,
      kind: entry.kind,
      description: `${entry.describe(target)} Runbook: ${RUNBOOK_PATH}#${entry.kind}`,
      metric: entry.metric(target),
      threshold: entry.threshold(target),
      ...entry.cadence,
    })),
  );

/** Expands the catalogue over the stack's targets: 12 function + 6 queue + 3 DLQ + 3 API alarms. */
export function buildAlarmDefinitions(targets: AlarmTargets): AlarmDefinition[] {
  return [
    ...expand(FUNCTION_ALARMS, targets.functions, (fn) => fn.name),
    ...expand(QUEUE_ALARMS, targets.queues, (q) => q.name),
    ...expand(DLQ_ALARMS, targets.deadLetterQueues, (q) => q.name),
    ...expand(API_ALARMS, [targets.api], () => 'api'),
  ];
}

export function isMetricMath(metric: MetricSpec | MetricMathSpec): metric is MetricMathSpec {
  return 'expression' in metric;
}
