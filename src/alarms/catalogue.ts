import { dividedBy, type Switch, times } from '../core/values';
import type { MetricMathSpec, MetricSpec } from '../metrics/metric';

/**
 * The alarm catalogue as data: one entry per alarm kind and the scope it applies to.
 * `buildAlarmDefinitions` expands it over the pipeline's functions, queues, DLQs and API into the
 * 24 concrete alarms, and 2 more while the event archive exists (its writers); `AlarmFactory` turns each definition into one CloudWatch alarm. Metrics come
 * from the building blocks' `metric…()` methods, which the dashboard uses too.
 */

/**
 * Tunable thresholds (numbers or plan-time tokens). The "> 0" alarms (throttles, any DLQ message)
 * are not tunable: any throttle and any dead letter is worth a page.
 */
export interface AlarmThresholds {
  /**
   * Share of a function's invocations that failed, in percent (each function's error-rate alarm).
   * @default 5
   */
  readonly lambdaErrorRatePercent?: number;
  /** p99 duration as a percentage of the function's timeout. @default 80 */
  readonly lambdaDurationPercentOfTimeout?: number;
  /**
   * Concurrent executions of a function that page before its reserve is exhausted (each
   * function's concurrency alarm); keep it below the functions' reserved concurrency.
   * @default 90 (of a reserved concurrency of 100)
   */
  readonly lambdaConcurrency?: number;
  /**
   * Age of a queue's oldest message, in seconds (the ingest and process queues' age alarms; the
   * deliver queue backs off by design and has the delivery failure rate alarm instead).
   * @default 300
   */
  readonly queueOldestMessageAgeSeconds?: number;
  /**
   * Visible messages on a queue: a backlog its consumer is not keeping up with (each queue's
   * depth alarm).
   * @default 100
   */
  readonly queueDepth?: number;
  /**
   * Share of webhook requests the API answered 4xx, in percent: unknown sources, bad bodies,
   * messages over the queue's limit.
   * @default 10
   */
  readonly api4xxRatePercent?: number;
  /**
   * Share of webhook requests the API answered 5xx, in percent: webhooks that may not have been stored.
   * @default 1
   */
  readonly api5xxRatePercent?: number;
  /**
   * The API's p99 latency, in milliseconds: the SendMessage integration slowing the providers' requests.
   * @default 1000
   */
  readonly apiLatencyP99Ms?: number;
  /**
   * Share of delivery attempts (retries included) that failed, sustained for 15 minutes.
   * @default 50
   */
  readonly deliveryFailureRatePercent?: number;
}
export type AlarmThresholdKey = keyof AlarmThresholds;

export const ALARM_THRESHOLD_DEFAULTS: Required<AlarmThresholds> = {
  lambdaErrorRatePercent: 5,
  lambdaDurationPercentOfTimeout: 80,
  lambdaConcurrency: 90,
  queueOldestMessageAgeSeconds: 300,
  queueDepth: 100,
  api4xxRatePercent: 10,
  api5xxRatePercent: 1,
  apiLatencyP99Ms: 1000,
  deliveryFailureRatePercent: 50,
};

export interface AlarmDefinition {
  /** Construct id and the physical name's stem, e.g. `validator-error-rate`. */
  readonly id: string;
  readonly kind: AlarmKind;
  readonly description: string;
  readonly metric: MetricSpec | MetricMathSpec;
  /** A number or a plan-time token. */
  readonly threshold: number;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  /**
   * Whether the alarm's subject exists (the event archive's alarms: only while it does); combined
   * with the factory's own switch.
   * @default true
   */
  readonly exists?: Switch;
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
  | 'api-latency'
  | 'delivery-failure-rate'
  | 'archive-write-failed';

/** What the catalogue needs of a function: `PipelineFunction` provides it. */
export interface AlarmedFunction {
  /** Short name, e.g. `validator`. */
  readonly name: string;
  /** Seconds (a number or a plan-time token): the duration alarm is a share of it. */
  readonly timeoutSeconds: number;
  metricErrorRate(): MetricMathSpec;
  metricThrottles(): MetricSpec;
  metricDuration(stat?: string): MetricSpec;
  metricConcurrentExecutions(): MetricSpec;
}

/** What the catalogue needs of a queue: `QueueWithDlq` provides it. */
export interface AlarmedQueue {
  /** Short name, e.g. `ingest`. */
  readonly name: string;
  metricAgeOfOldestMessage(): MetricSpec;
  metricVisibleMessages(): MetricSpec;
  metricDeadLetters(): MetricSpec;
  /**
   * Its consumer sets each failed message's next visibility from a retry schedule: its oldest
   * message is old by design, so it has no age alarm (the delivery failure rate stands in).
   */
  readonly backsOff?: boolean;
}

/** What the catalogue needs of the deliveries: the dispatcher's own metrics. */
export interface AlarmedDelivery {
  metricFailureRate(): MetricMathSpec;
}

/** What the catalogue needs of the API: `WebhookApi` provides it. */
export interface AlarmedApi {
  metricClientErrors(): MetricSpec;
  metricServerErrors(): MetricSpec;
  metricLatency(stat?: string): MetricSpec;
}

/** A function that archives lines to Firehose (the processor, the dispatcher). */
export interface AlarmedArchiveWriter {
  /** Short name, e.g. `processor`. */
  readonly name: string;
  metricArchiveWriteFailed(): MetricSpec;
}

/** What the catalogue needs of the event archive: its writers, and whether it exists. */
export interface AlarmedArchive {
  readonly writers: readonly AlarmedArchiveWriter[];
  /** A plain boolean, or a plan-time expression (`history_retention_days > 0`). */
  readonly exists: Switch;
}

export interface AlarmTargets {
  readonly functions: readonly AlarmedFunction[];
  readonly queues: readonly AlarmedQueue[];
  readonly api: AlarmedApi;
  readonly delivery: AlarmedDelivery;
  /**
   * The event archive, when the pipeline has one.
   * @default no archive alarms
   */
  readonly archive?: AlarmedArchive;
}

/** A dead-letter queue, named `<queue>-dlq` in alarm ids and descriptions. */
interface DeadLetterTarget {
  readonly name: string;
  readonly queue: AlarmedQueue;
}

/** Where each alarm kind's section lives in the runbook. */
export const RUNBOOK_PATH = 'docs/RUNBOOK.md';

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
/** A count that should stay 0: any in five minutes pages, without flapping on each minute. */
const ANY_IN_FIVE_MINUTES: Cadence = { periodSeconds: 300, evaluationPeriods: 1, datapointsToAlarm: 1 };
/** An outage, not a blip: three five-minute periods in a row. */
const OUTAGE: Cadence = { periodSeconds: 300, evaluationPeriods: 3, datapointsToAlarm: 3 };

interface CatalogueEntry<T> {
  readonly kind: AlarmKind;
  /** Targets it does not apply to are skipped. @default every target */
  readonly appliesTo?: (target: T) => boolean;
  readonly idSuffix: string;
  readonly cadence: Cadence;
  readonly describe: (target: T) => string;
  readonly metric: (target: T) => MetricSpec | MetricMathSpec;
  readonly threshold: (target: T, thresholds: Required<AlarmThresholds>) => number;
}

export const FUNCTION_ALARMS: readonly CatalogueEntry<AlarmedFunction>[] = [
  {
    kind: 'function-error-rate',
    idSuffix: 'error-rate',
    cadence: SUSTAINED,
    describe: (fn) =>
      `More than the threshold percentage of ${fn.name} invocations failed. First step: read the function's recent ERROR logs.`,
    metric: (fn) => fn.metricErrorRate(),
    threshold: (_fn, t) => t.lambdaErrorRatePercent,
  },
  {
    kind: 'function-throttles',
    idSuffix: 'throttles',
    cadence: IMMEDIATE,
    describe: (fn) => `${fn.name} was throttled. First step: compare ConcurrentExecutions with its reserved concurrency.`,
    metric: (fn) => fn.metricThrottles(),
    threshold: () => 0,
  },
  {
    kind: 'function-duration',
    idSuffix: 'duration',
    cadence: SUSTAINED,
    describe: (fn) =>
      `${fn.name} p99 duration is near its timeout. First step: check the latency of what it calls (SQS, SSM, DynamoDB, the delivery target).`,
    metric: (fn) => fn.metricDuration('p99'),
    threshold: (fn, t) => dividedBy(times(times(fn.timeoutSeconds, 1000), t.lambdaDurationPercentOfTimeout), 100),
  },
  {
    kind: 'function-concurrency',
    idSuffix: 'concurrency',
    cadence: SUSTAINED,
    describe: (fn) => `${fn.name} is close to its reserved concurrency. First step: check the depth and age of its source queue.`,
    metric: (fn) => fn.metricConcurrentExecutions(),
    threshold: (_fn, t) => t.lambdaConcurrency,
  },
];

export const QUEUE_ALARMS: readonly CatalogueEntry<AlarmedQueue>[] = [
  {
    kind: 'queue-age',
    idSuffix: 'age',
    appliesTo: (q) => !q.backsOff,
    cadence: BACKLOG,
    describe: (q) =>
      `The oldest message on the ${q.name} queue is older than the threshold. First step: check its consumer's errors and throttles.`,
    metric: (q) => q.metricAgeOfOldestMessage(),
    threshold: (_q, t) => t.queueOldestMessageAgeSeconds,
  },
  {
    kind: 'queue-depth',
    idSuffix: 'depth',
    cadence: BACKLOG,
    describe: (q) =>
      `The ${q.name} queue holds more visible messages than the threshold. First step: check its consumer's concurrency and errors.`,
    metric: (q) => q.metricVisibleMessages(),
    threshold: (_q, t) => t.queueDepth,
  },
];

export const DLQ_ALARMS: readonly CatalogueEntry<DeadLetterTarget>[] = [
  {
    kind: 'dlq-messages',
    idSuffix: 'messages',
    cadence: IMMEDIATE,
    describe: (q) =>
      `Messages reached the ${q.name} dead-letter queue. First step: read one, find why its consumer failed, fix, then redrive.`,
    metric: (dlq) => dlq.queue.metricDeadLetters(),
    threshold: () => 0,
  },
];

// API Gateway's 4XXError and 5XXError Average is already a 0-1 rate, hence the division.
export const API_ALARMS: readonly CatalogueEntry<AlarmedApi>[] = [
  {
    kind: 'api-4xx-rate',
    idSuffix: '4xx-rate',
    cadence: SUSTAINED,
    describe: () =>
      'The share of webhook requests answered 4xx is above the threshold. First step: read the API access log for the status and source.',
    metric: (api) => api.metricClientErrors(),
    threshold: (_api, t) => dividedBy(t.api4xxRatePercent, 100),
  },
  {
    kind: 'api-5xx-rate',
    idSuffix: '5xx-rate',
    cadence: SUSTAINED,
    describe: () =>
      'The share of webhook requests answered 5xx is above the threshold: webhooks may not be stored. First step: read the API access log and the SQS service health.',
    metric: (api) => api.metricServerErrors(),
    threshold: (_api, t) => dividedBy(t.api5xxRatePercent, 100),
  },
  {
    kind: 'api-latency',
    idSuffix: 'latency',
    cadence: SUSTAINED,
    describe: () => 'API p99 latency is above the threshold. First step: check the SendMessage integration latency in the access log.',
    metric: (api) => api.metricLatency('p99'),
    threshold: (_api, t) => t.apiLatencyP99Ms,
  },
];

export const DELIVERY_ALARMS: readonly CatalogueEntry<AlarmedDelivery>[] = [
  {
    kind: 'delivery-failure-rate',
    idSuffix: 'delivery-failure-rate',
    cadence: OUTAGE,
    describe: () =>
      "More than the threshold percentage of delivery attempts failed for 15 minutes: a destination is down or rejecting deliveries, which back off and retry. First step: the dashboard's failures by destination, then the dispatcher's logs for the status.",
    metric: (delivery) => delivery.metricFailureRate(),
    threshold: (_delivery, t) => t.deliveryFailureRatePercent,
  },
];

export const ARCHIVE_ALARMS: readonly CatalogueEntry<AlarmedArchiveWriter>[] = [
  {
    kind: 'archive-write-failed',
    idSuffix: 'archive-write-failed',
    cadence: ANY_IN_FIVE_MINUTES,
    describe: (writer) =>
      `${writer.name} could not hand archive lines to Firehose after retries: the deliveries went on, but the event history misses them. First step: the function's logs for the Firehose error (throttling, a missing stream, access denied).`,
    metric: (writer) => writer.metricArchiveWriteFailed(),
    threshold: () => 0,
  },
];

const expand = <T>(
  entries: readonly CatalogueEntry<T>[],
  targets: readonly T[],
  idOf: (target: T) => string,
  thresholds: Required<AlarmThresholds>,
): AlarmDefinition[] =>
  targets.flatMap((target) =>
    entries
      .filter((entry) => entry.appliesTo?.(target) ?? true)
      .map((entry) => ({
        id: `${idOf(target)}-${entry.idSuffix}`,
        kind: entry.kind,
        description: `${entry.describe(target)} Runbook: ${RUNBOOK_PATH}#${entry.kind}`,
        metric: entry.metric(target),
        threshold: entry.threshold(target, thresholds),
        ...entry.cadence,
      })),
  );

/**
 * Expands the catalogue over the pipeline's targets: 12 function + 5 queue (no age alarm on the
 * deliver queue, whose messages back off) + 3 DLQ + 3 API + 1 delivery alarm, and one
 * archive-write alarm per archive writer (existing while the archive does).
 */
export function buildAlarmDefinitions(targets: AlarmTargets, thresholds: AlarmThresholds = {}): AlarmDefinition[] {
  const all = { ...ALARM_THRESHOLD_DEFAULTS, ...definedOnly(thresholds) };
  const deadLetterQueues = targets.queues.map((queue) => ({ name: `${queue.name}-dlq`, queue }));
  return [
    ...expand(FUNCTION_ALARMS, targets.functions, (fn) => fn.name, all),
    ...expand(QUEUE_ALARMS, targets.queues, (q) => q.name, all),
    ...expand(DLQ_ALARMS, deadLetterQueues, (dlq) => dlq.name, all),
    ...expand(API_ALARMS, [targets.api], () => 'api', all),
    ...expand(DELIVERY_ALARMS, [targets.delivery], () => 'dispatcher', all),
    ...(targets.archive === undefined || targets.archive.exists === false
      ? []
      : expand(ARCHIVE_ALARMS, targets.archive.writers, (writer) => writer.name, all).map((definition) =>
          targets.archive!.exists === true ? definition : { ...definition, exists: targets.archive!.exists },
        )),
  ];
}

const definedOnly = <T extends object>(value: T): Partial<T> =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
