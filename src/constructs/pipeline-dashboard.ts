import { CloudwatchDashboard } from '@cdktf/provider-aws/lib/cloudwatch-dashboard';
import { Fn, ITerraformDependable, Token } from 'cdktf';
import { Construct } from 'constructs';
import {
  FunctionName,
  HANDLER_METRICS,
  LANE_DLQ_STEM,
  LANE_QUEUE_STEM,
  METRICS_NAMESPACE,
  REJECTION_REASON_DIMENSION,
  REJECTION_REASONS,
} from '../contract';
import { Switch, whenOn } from '../core/values';
import { templateAsExpression } from '../hcl/expression-tokens';
import { mapStrings } from '../hcl/hcl-strings';
import type { DeliveryMetrics } from '../metrics/delivery-metrics';
import { expressionLine, handlerMetric, MetricLine, metricLine, MetricSpec } from '../metrics/metric';

/** One pipeline function as the dashboard shows it. */
export interface DashboardFunction {
  /** Which pipeline function: the label of its lines, and which of the handlers' metrics it emits. */
  readonly name: FunctionName;
  /** Its log group, queried by the logs widget. */
  readonly logGroupName: string;
  /** POWERTOOLS_SERVICE_NAME: the `service` dimension of its EMF metrics. */
  readonly serviceName: string;
  readonly reservedConcurrency: number;
  /** Its Lambda metrics: a `PipelineFunction`. */
  readonly metrics: FunctionMetrics;
}

/** The Lambda metrics the dashboard charts; `PipelineFunction` provides them. */
export interface FunctionMetrics {
  metricInvocations(): MetricSpec;
  metricErrors(): MetricSpec;
  metricThrottles(): MetricSpec;
  metricDuration(stat?: string): MetricSpec;
  metricConcurrentExecutions(): MetricSpec;
}

/** One main queue and its dead-letter queue: `QueueWithDlq`. */
export interface DashboardQueue {
  /** Short name, e.g. `ingest`: the label of its lines. */
  readonly name: string;
  metricVisibleMessages(): MetricSpec;
  metricAgeOfOldestMessage(): MetricSpec;
  metricDeadLetters(): MetricSpec;
}

/** The API: `WebhookApi`. */
export interface DashboardApi {
  metricCount(): MetricSpec;
  metricClientErrors(stat?: string): MetricSpec;
  metricServerErrors(stat?: string): MetricSpec;
  metricLatency(stat?: string): MetricSpec;
  metricIntegrationLatency(stat?: string): MetricSpec;
}

export interface PipelineDashboardProps {
  /** Physical name, e.g. `webhook-pipeline-dev`. */
  readonly dashboardName: string;
  /** Region of every metric and log widget. */
  readonly region: string;
  /** In pipeline order: validator, processor, dispatcher. */
  readonly functions: readonly DashboardFunction[];
  /** In pipeline order: ingest, process, deliver. */
  readonly queues: readonly DashboardQueue[];
  readonly api: DashboardApi;
  /** The dispatcher's delivery metrics, charted by destination. */
  readonly deliveries: DeliveryMetrics;
  /** ARNs of the alarms the alarm-status widget lists. */
  readonly alarmArns: readonly string[];
  /**
   * Whether the alarms exist. While they do not, the alarm-status widget gives way to a note:
   * CloudWatch rejects an alarm widget without alarms.
   * @default true
   */
  readonly alarmsEnabled?: Switch;
  /** What the dashboard waits for, e.g. the alarms its widget lists. */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * The delivery lanes' queue names, `<prefix>-lane-<destination>-<suffix>`: their depth and age
   * are charted one line per lane, found by a search on the name's parts.
   * @default no lane rows
   */
  readonly lanes?: { readonly prefix: string; readonly suffix: string };
}

/** Dashboards are laid out on a grid 24 units wide. */
export const GRID_WIDTH = 24;
const PERIOD_SECONDS = 60;

/** A widget of the dashboard body (CloudWatch's dashboard body structure). */
export interface Widget {
  readonly type: 'metric' | 'alarm' | 'text' | 'log';
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: Record<string, unknown>;
}

type Placement = Pick<Widget, 'x' | 'y' | 'width' | 'height'>;

/** The widgets, split by whether the alarms exist. */
export interface DashboardLayout {
  readonly always: Widget[];
  readonly whenAlarmsEnabled: Widget[];
  readonly whenAlarmsDisabled: Widget[];
}

/** Places rows of widgets top to bottom; callers make each row's widths add up to the grid width. */
class Rows {
  private y = 0;

  row(height: number, widths: number[]): Placement[] {
    let x = 0;
    const placements = widths.map((width) => {
      const placement = { x, y: this.y, width, height };
      x += width;
      return placement;
    });
    this.y += height;
    return placements;
  }
}

/** `count` widths filling the grid, as even as whole units allow. */
export const evenly = (count: number): number[] =>
  Array.from({ length: count }, (_, i) => Math.floor(GRID_WIDTH / count) + (i < GRID_WIDTH % count ? 1 : 0));

type HandlerMetric = (typeof HANDLER_METRICS)[keyof typeof HANDLER_METRICS];

/** The EMF counts each handler emits, as the dashboard groups them (src/handlers/<name>/index.ts). */
const HANDLER_OUTCOMES: Record<FunctionName, { readonly title: string; readonly metrics: readonly HandlerMetric[] }> = {
  validator: { title: 'Validator: accepted webhooks', metrics: [HANDLER_METRICS.accepted] },
  processor: { title: 'Processor: forwarded and duplicates', metrics: [HANDLER_METRICS.forwarded, HANDLER_METRICS.duplicate] },
  dispatcher: {
    title: 'Dispatcher: delivered and failed deliveries',
    metrics: [HANDLER_METRICS.delivered, HANDLER_METRICS.deliveryFailed],
  },
};

/**
 * The widgets of the pipeline dashboard as plain data. Strings may hold tokens; none may hold a
 * double quote or a backslash, which cdktf 0.21 does not escape inside `Fn.jsonencode`.
 */
export function dashboardLayout(props: Omit<PipelineDashboardProps, 'dashboardName' | 'alarmsEnabled' | 'dependsOn'>): DashboardLayout {
  const { region, functions, queues } = props;
  const rows = new Rows();
  const metricWidget = (placement: Placement, title: string, metrics: MetricLine[], extra: Record<string, unknown> = {}): Widget => ({
    type: 'metric',
    ...placement,
    properties: { title, region, view: 'timeSeries', stacked: false, period: PERIOD_SECONDS, metrics, ...extra },
  });
  const lambda = (metric: (fn: DashboardFunction) => MetricSpec) => functions.map((fn) => metricLine(metric(fn), fn.name));
  const sqs = (metric: (q: DashboardQueue) => MetricSpec, label = (q: DashboardQueue) => q.name) =>
    queues.map((q) => metricLine(metric(q), label(q)));
  const { api } = props;
  const handler = (fn: DashboardFunction, metricName: HandlerMetric): MetricLine =>
    metricLine(handlerMetric(METRICS_NAMESPACE, fn.serviceName, metricName), metricName);
  // Rejected carries a reason dimension; one line per reason, stacked, shows the total too.
  const rejections = (fn: DashboardFunction): MetricLine[] =>
    REJECTION_REASONS.map((reason) =>
      metricLine(
        handlerMetric(METRICS_NAMESPACE, fn.serviceName, HANDLER_METRICS.rejected, { [REJECTION_REASON_DIMENSION]: reason }),
        reason,
      ),
    );

  // Header, then alarm status right under it: the first things on-call reads.
  const [header] = rows.row(3, [GRID_WIDTH]);
  const [alarmStatus] = rows.row(6, [GRID_WIDTH]);
  const always: Widget[] = [
    {
      type: 'text',
      ...header,
      properties: {
        markdown: [
          '# Webhook pipeline',
          'API Gateway → ingest queue → **validator** → process queue → **processor** → deliver queue → **dispatcher** → delivery target.',
          'Each alarm description names its section of `docs/RUNBOOK.md` (also: redriving a DLQ, replaying a webhook).',
        ].join('\n\n'),
      },
    },
  ];

  // The API: what providers see.
  const [requests, clientErrors, serverErrors, latency] = rows.row(6, evenly(4));
  always.push(
    metricWidget(requests, 'API requests', [metricLine(api.metricCount(), 'requests')]),
    metricWidget(clientErrors, 'API 4XX answers', [metricLine(api.metricClientErrors('Sum'), '4XX')]),
    metricWidget(serverErrors, 'API 5XX answers (webhooks not stored)', [metricLine(api.metricServerErrors('Sum'), '5XX')]),
    metricWidget(latency, 'API latency p99 (ms)', [
      metricLine(api.metricLatency('p99'), 'latency p99'),
      metricLine(api.metricIntegrationLatency('p99'), 'SQS integration p99'),
    ]),
  );

  // The handlers' own EMF metrics: what happened to the webhooks.
  const outcomes = functions.flatMap((fn) => [
    { title: HANDLER_OUTCOMES[fn.name].title, metrics: HANDLER_OUTCOMES[fn.name].metrics.map((m) => handler(fn, m)), extra: {} },
    ...(fn.name === 'validator'
      ? [{ title: 'Validator: rejected webhooks by reason', metrics: rejections(fn), extra: { stacked: true } }]
      : []),
  ]);
  rows
    .row(6, evenly(outcomes.length))
    .forEach((placement, i) => always.push(metricWidget(placement, outcomes[i].title, outcomes[i].metrics, outcomes[i].extra)));

  // Deliveries by destination: which destination is failing or gone.
  const byDestination = (outcome: Parameters<DeliveryMetrics['searchByDestination']>[0], id: string) =>
    expressionLine(props.deliveries.searchByDestination(outcome), id);
  const [delivered, failed, gone] = rows.row(6, evenly(3));
  always.push(
    metricWidget(delivered, 'Delivered by destination', [byDestination(HANDLER_METRICS.delivered, 'delivered')]),
    metricWidget(failed, 'Failed delivery attempts by destination (retried with backoff)', [
      byDestination(HANDLER_METRICS.deliveryFailed, 'failed'),
    ]),
    metricWidget(gone, 'Gone (410) by destination: dead-lettered at once', [byDestination(HANDLER_METRICS.deliveryGone, 'gone')]),
  );

  // Each destination's lane: what waits in it (a paused lane grows), how old its oldest delivery
  // is (its age alarm fires at half the lane's retention), and its DLQ. One search per chart, so a
  // new destination's lane appears without a change to the dashboard.
  if (props.lanes) {
    const { prefix, suffix } = props.lanes;
    const laneSearch = (metricName: string, stat: string, dlq: boolean) =>
      `SEARCH('{AWS/SQS,QueueName} MetricName="${metricName}" QueueName=${prefix} QueueName=${dlq ? LANE_DLQ_STEM : `${LANE_QUEUE_STEM} NOT QueueName=${LANE_DLQ_STEM}`} QueueName=${suffix}', '${stat}', 300)`;
    const [waiting, oldest, laneDlqs] = rows.row(6, evenly(3));
    always.push(
      metricWidget(waiting, 'Deliveries waiting, by lane', [
        expressionLine(laneSearch('ApproximateNumberOfMessagesVisible', 'Maximum', false), 'lanewaiting'),
      ]),
      metricWidget(oldest, 'Oldest delivery by lane (s)', [
        expressionLine(laneSearch('ApproximateAgeOfOldestMessage', 'Maximum', false), 'laneage'),
      ]),
      metricWidget(laneDlqs, "Deliveries in each lane's DLQ", [
        expressionLine(laneSearch('ApproximateNumberOfMessagesVisible', 'Maximum', true), 'lanedlq'),
      ]),
    );
  }

  // The functions.
  const [invocations, errors, throttles] = rows.row(6, evenly(3));
  const [duration, concurrency] = rows.row(6, evenly(2));
  always.push(
    metricWidget(
      invocations,
      'Lambda invocations',
      lambda((fn) => fn.metrics.metricInvocations()),
    ),
    metricWidget(
      errors,
      'Lambda errors',
      lambda((fn) => fn.metrics.metricErrors()),
    ),
    metricWidget(
      throttles,
      'Lambda throttles',
      lambda((fn) => fn.metrics.metricThrottles()),
    ),
    metricWidget(
      duration,
      'Lambda duration p99 (ms)',
      lambda((fn) => fn.metrics.metricDuration('p99')),
    ),
    metricWidget(
      concurrency,
      'Lambda concurrent executions',
      lambda((fn) => fn.metrics.metricConcurrentExecutions()),
      {
        annotations: {
          horizontal: [...new Set(functions.map((fn) => fn.reservedConcurrency))].map((value) => ({
            label: 'reserved concurrency',
            value,
          })),
        },
      },
    ),
  );

  // The queues.
  const [depth, age, deadLetters] = rows.row(6, evenly(3));
  always.push(
    metricWidget(
      depth,
      'Queue depth (visible messages)',
      sqs((q) => q.metricVisibleMessages()),
    ),
    metricWidget(
      age,
      'Oldest message age (s)',
      sqs((q) => q.metricAgeOfOldestMessage()),
    ),
    metricWidget(
      deadLetters,
      'Dead-letter queue depth',
      sqs(
        (q) => q.metricDeadLetters(),
        (q) => `${q.name} DLQ`,
      ),
    ),
  );

  // The logs: the latest failures and rejections across the three functions.
  const [logs] = rows.row(6, [GRID_WIDTH]);
  always.push({
    type: 'log',
    ...logs,
    properties: {
      title: 'Latest errors and rejections',
      region,
      view: 'table',
      query: [
        ...functions.map((fn) => `SOURCE '${fn.logGroupName}'`),
        'fields @timestamp, service, level, message, reason, source, deliveryId, messageId',
        "filter level = 'ERROR' or level = 'WARN'",
        'sort @timestamp desc',
        'limit 50',
      ].join(' | '),
    },
  });

  const layout: DashboardLayout = {
    always,
    whenAlarmsEnabled: [
      {
        type: 'alarm',
        ...alarmStatus,
        properties: { title: 'Alarm status', alarms: [...props.alarmArns], sortBy: 'stateUpdatedTimestamp' },
      },
    ],
    whenAlarmsDisabled: [
      {
        type: 'text',
        ...alarmStatus,
        properties: {
          markdown: 'Alarms are switched off in this workspace (`enable_alarms = false`): no alarm status to show.',
        },
      },
    ],
  };
  // Only the switched widgets go through `Fn.jsonencode`; the others are JSON.stringify'd.
  return {
    ...layout,
    whenAlarmsEnabled: assertJsonencodeSafe(layout.whenAlarmsEnabled),
    whenAlarmsDisabled: assertJsonencodeSafe(layout.whenAlarmsDisabled),
  };
}

/**
 * cdktf 0.21 writes the strings of a `Fn.jsonencode` argument between double quotes without
 * escaping double quotes or backslashes in them; a dashboard with either would not parse.
 */
export function assertJsonencodeSafe<T>(value: T): T {
  return mapStrings(value, (text, path) => {
    if (/["\\]/.test(text)) {
      throw new Error(
        `dashboard widgets${path}: ${JSON.stringify(text)} holds a double quote or backslash, which cdktf does not escape in Fn.jsonencode`,
      );
    }
    return text;
  });
}

/**
 * The operator's view of the pipeline: the API, the handlers' own metrics (accepted, rejected by
 * reason, duplicates, delivered, failed), each function and queue, the dead-letter queues, the
 * latest errors and the alarm status. The body is a `jsonencode` expression, so names and ARNs
 * resolve at plan time and the alarm-status widget exists only while the alarms do.
 */
export class PipelineDashboard extends Construct {
  public readonly dashboard: CloudwatchDashboard;

  constructor(scope: Construct, id: string, props: PipelineDashboardProps) {
    super(scope, id);
    const layout = dashboardLayout(props);
    const alarmsEnabled = props.alarmsEnabled ?? true;
    // The body is JSON text whose references Terraform fills in, like the IAM policies: resolving
    // the same ~20 widgets as one `jsonencode` expression cost cdktf about 0.2 s a pass. Only the
    // alarm widget, which a plan-time switch picks, is a `jsonencode` of its own.
    let body: string;
    if (typeof alarmsEnabled === 'boolean') {
      body = JSON.stringify({ widgets: [...layout.always, ...(alarmsEnabled ? layout.whenAlarmsEnabled : layout.whenAlarmsDisabled)] });
    } else {
      const switched = (widgets: Widget[]) => Fn.jsonencode(mapStrings(widgets, templateAsExpression));
      const chosen = Token.asString(whenOn(alarmsEnabled, switched(layout.whenAlarmsEnabled), switched(layout.whenAlarmsDisabled)));
      // `[always…, chosen…]`: the chosen widgets' JSON array, without its brackets, after the others.
      body = `{"widgets":${JSON.stringify(layout.always).slice(0, -1)},${Token.asString(Fn.trim(chosen, '[]'))}]}`;
    }

    this.dashboard = new CloudwatchDashboard(this, 'dashboard', {
      dashboardName: props.dashboardName,
      dashboardBody: body,
      dependsOn: props.dependsOn,
    });
  }
}
