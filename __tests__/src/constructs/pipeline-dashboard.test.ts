import { DeliveryMetrics } from '../../../src/metrics/delivery-metrics';
import { CloudwatchDashboard } from '@cdktf/provider-aws/lib/cloudwatch-dashboard';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { TerraformVariable, Testing } from 'cdktf';
import { FUNCTION_NAMES, HANDLER_METRICS, METRICS_NAMESPACE, REJECTION_REASONS } from '../../../src/contract';
import {
  assertJsonencodeSafe,
  dashboardLayout,
  evenly,
  GRID_WIDTH,
  PipelineDashboard,
  PipelineDashboardProps,
  Widget,
} from '../../../src/constructs/pipeline-dashboard';
import { apiGatewayMetric, lambdaMetric, sqsMetric } from '../../../src/metrics/metric';

const lambda = (name: string) => ({
  metricInvocations: () => lambdaMetric(`fn-${name}`, 'Invocations', 'Sum'),
  metricErrors: () => lambdaMetric(`fn-${name}`, 'Errors', 'Sum'),
  metricThrottles: () => lambdaMetric(`fn-${name}`, 'Throttles', 'Sum'),
  metricDuration: (stat = 'p99') => lambdaMetric(`fn-${name}`, 'Duration', stat),
  metricConcurrentExecutions: () => lambdaMetric(`fn-${name}`, 'ConcurrentExecutions', 'Maximum'),
});
const queue = (name: string, queueName = `q-${name}`) => ({
  name,
  metricVisibleMessages: () => sqsMetric(queueName, 'ApproximateNumberOfMessagesVisible'),
  metricAgeOfOldestMessage: () => sqsMetric(queueName, 'ApproximateAgeOfOldestMessage'),
  metricDeadLetters: () => sqsMetric(`${queueName}-dlq`, 'ApproximateNumberOfMessagesVisible'),
});
const api = (apiName = 'api') => ({
  metricCount: () => apiGatewayMetric(apiName, 'v1', 'Count', 'Sum'),
  metricClientErrors: (stat = 'Average') => apiGatewayMetric(apiName, 'v1', '4XXError', stat),
  metricServerErrors: (stat = 'Average') => apiGatewayMetric(apiName, 'v1', '5XXError', stat),
  metricLatency: (stat = 'p99') => apiGatewayMetric(apiName, 'v1', 'Latency', stat),
  metricIntegrationLatency: (stat = 'p99') => apiGatewayMetric(apiName, 'v1', 'IntegrationLatency', stat),
});
const props: PipelineDashboardProps = {
  dashboardName: 'webhook-pipeline-dev',
  region: 'eu-west-1',
  deliveries: new DeliveryMetrics('webhook-dispatcher'),
  functions: FUNCTION_NAMES.map((name) => ({
    name,
    logGroupName: `/aws/lambda/fn-${name}`,
    serviceName: `webhook-${name}`,
    reservedConcurrency: 100,
    metrics: lambda(name),
  })),
  queues: ['ingest', 'process', 'deliver'].map((name) => queue(name)),
  api: api(),
  alarmArns: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:a', 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:b'],
};
const layout = dashboardLayout(props);
const metricWidgets = layout.always.filter((w) => w.type === 'metric');
const byTitle = (title: string) => {
  const widget = layout.always.find((w) => w.properties.title === title);
  if (!widget) throw new Error(`no widget "${title}"`);
  return widget;
};
type Line = (string | Record<string, unknown>)[];
const lines = (title: string) => byTitle(title).properties.metrics as Line[];
const cells = (w: Widget) => {
  const out: string[] = [];
  for (let x = w.x; x < w.x + w.width; x++) for (let y = w.y; y < w.y + w.height; y++) out.push(`${x},${y}`);
  return out;
};

describe('dashboardLayout', () => {
  test('widgets tile the 24-unit grid without overlapping, in either alarm state', () => {
    for (const alarmWidgets of [layout.whenAlarmsEnabled, layout.whenAlarmsDisabled]) {
      const widgets = [...layout.always, ...alarmWidgets];
      const all = widgets.flatMap(cells);
      expect(new Set(all).size).toBe(all.length);
      for (const w of widgets) expect(w.x + w.width).toBeLessThanOrEqual(GRID_WIDTH);
    }
  });

  test('alarm status sits right under the header; while alarms are off a note takes its place', () => {
    const [header] = layout.always;
    expect(header.type).toBe('text');
    const [status] = layout.whenAlarmsEnabled;
    const [note] = layout.whenAlarmsDisabled;
    expect(status).toMatchObject({ type: 'alarm', x: 0, y: header.height, width: GRID_WIDTH });
    expect(status.properties.alarms).toEqual(props.alarmArns);
    expect(note).toMatchObject({ type: 'text', x: status.x, y: status.y, width: status.width, height: status.height });
    expect(note.properties.markdown).toContain('enable_alarms = false');
  });

  test('every metric widget names its region and a one-minute period', () => {
    expect(metricWidgets.length).toBeGreaterThan(10);
    for (const w of metricWidgets) expect(w.properties).toMatchObject({ region: props.region, period: 60 });
  });

  test.each([
    ['Lambda invocations', 'Invocations', 'Sum'],
    ['Lambda errors', 'Errors', 'Sum'],
    ['Lambda throttles', 'Throttles', 'Sum'],
    ['Lambda duration p99 (ms)', 'Duration', 'p99'],
    ['Lambda concurrent executions', 'ConcurrentExecutions', 'Maximum'],
  ])('%s: one line per function', (title, metric, stat) => {
    expect(lines(title)).toEqual(FUNCTION_NAMES.map((name) => ['AWS/Lambda', metric, 'FunctionName', `fn-${name}`, { label: name, stat }]));
  });

  test('concurrency is drawn against the reserved concurrency: one line per distinct value', () => {
    expect(byTitle('Lambda concurrent executions').properties.annotations).toEqual({
      horizontal: [{ label: 'reserved concurrency', value: 100 }],
    });
    const mixed = dashboardLayout({
      ...props,
      functions: props.functions.map((fn, i) => ({ ...fn, reservedConcurrency: i === 0 ? 20 : 100 })),
    });
    const widget = mixed.always.find((w) => w.properties.title === 'Lambda concurrent executions')!;
    expect(widget.properties.annotations).toEqual({
      horizontal: [
        { label: 'reserved concurrency', value: 20 },
        { label: 'reserved concurrency', value: 100 },
      ],
    });
  });

  test.each([
    ['Queue depth (visible messages)', 'ApproximateNumberOfMessagesVisible', ['q-ingest', 'q-process', 'q-deliver']],
    ['Oldest message age (s)', 'ApproximateAgeOfOldestMessage', ['q-ingest', 'q-process', 'q-deliver']],
    ['Dead-letter queue depth', 'ApproximateNumberOfMessagesVisible', ['q-ingest-dlq', 'q-process-dlq', 'q-deliver-dlq']],
  ])('%s: one line per queue', (title, metric, queueNames) => {
    expect(lines(title).map((line) => line.slice(0, 4))).toEqual(queueNames.map((q) => ['AWS/SQS', metric, 'QueueName', q]));
  });

  test('the API: requests, 4XX, 5XX and p99 latency of the stage', () => {
    const api = (title: string) => lines(title).map((line) => [line[1], ...line.slice(2, 6), (line[6] as { stat: string }).stat]);
    expect(api('API requests')).toEqual([['Count', 'ApiName', 'api', 'Stage', 'v1', 'Sum']]);
    expect(api('API 4XX answers')).toEqual([['4XXError', 'ApiName', 'api', 'Stage', 'v1', 'Sum']]);
    expect(api('API 5XX answers (webhooks not stored)')).toEqual([['5XXError', 'ApiName', 'api', 'Stage', 'v1', 'Sum']]);
    expect(api('API latency p99 (ms)').map((l) => [l[0], l[5]])).toEqual([
      ['Latency', 'p99'],
      ['IntegrationLatency', 'p99'],
    ]);
  });

  test("the handlers' EMF metrics, with the service dimension Powertools adds", () => {
    const emf = (title: string) => lines(title).map((line) => line.slice(0, 4));
    expect(emf('Validator: accepted webhooks')).toEqual([[METRICS_NAMESPACE, HANDLER_METRICS.accepted, 'service', 'webhook-validator']]);
    expect(emf('Processor: forwarded and duplicates')).toEqual([
      [METRICS_NAMESPACE, HANDLER_METRICS.forwarded, 'service', 'webhook-processor'],
      [METRICS_NAMESPACE, HANDLER_METRICS.duplicate, 'service', 'webhook-processor'],
    ]);
    expect(emf('Dispatcher: delivered and failed deliveries')).toEqual([
      [METRICS_NAMESPACE, HANDLER_METRICS.delivered, 'service', 'webhook-dispatcher'],
      [METRICS_NAMESPACE, HANDLER_METRICS.deliveryFailed, 'service', 'webhook-dispatcher'],
    ]);
  });

  test("each delivery lane's depth, oldest delivery and DLQ: one search per chart over the lanes' queue names", () => {
    const withLanes = dashboardLayout({ ...props, lanes: { prefix: 'webhook', suffix: 'dev' } });
    const search = (title: string) => {
      const widget = withLanes.always.find((w) => w.properties.title === title);
      return ((widget?.properties.metrics as Line[])[0]![0] as { expression: string }).expression;
    };
    expect(search('Deliveries waiting, by lane')).toBe(
      `SEARCH('{AWS/SQS,QueueName} MetricName="ApproximateNumberOfMessagesVisible" QueueName=webhook QueueName=lane NOT QueueName=lanedlq QueueName=dev', 'Maximum', 300)`,
    );
    expect(search('Oldest delivery by lane (s)')).toContain('MetricName="ApproximateAgeOfOldestMessage"');
    expect(search("Deliveries in each lane's DLQ")).toContain('QueueName=lanedlq QueueName=dev');
    // Without lanes (a QueueWithDlq-only dashboard), no lane row.
    expect(layout.always.some((w) => String(w.properties.title).includes('lane'))).toBe(false);
  });

  test('rejections: one stacked line per reason, with both dimensions the validator emits', () => {
    const widget = byTitle('Validator: rejected webhooks by reason');
    expect(widget.properties.stacked).toBe(true);
    expect(lines('Validator: rejected webhooks by reason')).toEqual(
      REJECTION_REASONS.map((reason) => [
        METRICS_NAMESPACE,
        HANDLER_METRICS.rejected,
        'service',
        'webhook-validator',
        'reason',
        reason,
        { label: reason, stat: 'Sum' },
      ]),
    );
  });

  test('the logs widget queries the three function log groups for errors and warnings', () => {
    const logs = layout.always.find((w) => w.type === 'log')!;
    const query = logs.properties.query as string;
    for (const name of FUNCTION_NAMES) expect(query).toContain(`SOURCE '/aws/lambda/fn-${name}'`);
    expect(query).toContain("filter level = 'ERROR' or level = 'WARN'");
  });

  test('fewer functions: the outcome row still fills the grid', () => {
    const small = dashboardLayout({ ...props, functions: props.functions.slice(1) });
    const outcomes = small.always.filter((w) => /^(Processor|Dispatcher)/.test(String(w.properties.title)));
    expect(outcomes.map((w) => w.width)).toEqual([12, 12]);
    expect(small.always.some((w) => String(w.properties.title).startsWith('Validator'))).toBe(false);
  });
});

describe('evenly', () => {
  test.each([
    [1, [24]],
    [3, [8, 8, 8]],
    [5, [5, 5, 5, 5, 4]],
    [7, [4, 4, 4, 3, 3, 3, 3]],
  ])('%d widgets', (count, widths) => {
    expect(evenly(count)).toEqual(widths);
    expect(widths.reduce((a, b) => a + b, 0)).toBe(GRID_WIDTH);
  });
});

describe('assertJsonencodeSafe', () => {
  test('passes plain widgets through', () => {
    const value = { a: ['x', 1, null, true], b: { c: "SOURCE 'x'" } };
    expect(assertJsonencodeSafe(value)).toEqual(value);
  });

  test.each([['say "hi"'], ['C:\\temp']])('rejects %s, naming where it is', (text) => {
    expect(() => assertJsonencodeSafe({ widgets: [{ title: text }] })).toThrow(
      /widgets\.widgets\[0\]\.title: .* double quote or backslash/,
    );
  });

  test('a quote in a switched widget (which goes through Fn.jsonencode) fails synth; elsewhere JSON.stringify escapes it', () => {
    expect(() => dashboardLayout({ ...props, alarmArns: ['arn:aws:cloudwatch:eu-west-1:1:alarm:my "alarm"'] })).toThrow(/double quote/);
    expect(JSON.stringify(dashboardLayout({ ...props, api: api('my "api"') }).always)).toContain('my \\"api\\"');
  });
});

describe('PipelineDashboard', () => {
  const synth = (alarmsEnabled?: boolean) =>
    Testing.synthScope((scope) => {
      const sqsQueue = new SqsQueue(scope, 'queue', { name: 'q' });
      new PipelineDashboard(scope, 'dashboard', {
        ...props,
        queues: [queue('ingest', sqsQueue.name)],
        alarmsEnabled: alarmsEnabled ?? new TerraformVariable(scope, 'alarms_on', { type: 'bool' }).booleanValue,
        dependsOn: [sqsQueue],
      });
    });
  const dashboardOf = (raw: string) => Object.values<any>(JSON.parse(raw).resource.aws_cloudwatch_dashboard)[0];
  const dashboard = dashboardOf(synth());

  test('is named as given and waits for what it depends on', () => {
    expect(synth()).toHaveResourceWithProperties(CloudwatchDashboard, { dashboard_name: 'webhook-pipeline-dev' });
    expect(dashboard.depends_on).toEqual(['aws_sqs_queue.queue']);
  });

  test('the body is JSON text whose references Terraform fills in; a plan-time switch picks the alarm widget', () => {
    const body: string = dashboard.dashboard_body;
    expect(body.startsWith('{"widgets":[{"type":"text"')).toBe(true);
    expect(body).toContain('"region":"eu-west-1"');
    expect(body).toContain('"QueueName","${aws_sqs_queue.queue.name}"');
    expect(body).toContain(',${trim(var.alarms_on ? jsonencode([{"type" = "alarm"');
    expect(body).toContain(': jsonencode([{"type" = "text"');
    expect(body.endsWith(', "[]")}]}')).toBe(true);
    expect(body).not.toContain('$${');
  });

  test.each([
    [true, 'alarm'],
    [false, 'text'],
  ])('a plain alarmsEnabled %p picks the widget at synth: %s', (enabled, type) => {
    const body: string = dashboardOf(synth(enabled)).dashboard_body;
    expect(body).not.toContain('jsonencode');
    // Only the queue's name is left to Terraform; everything else is already JSON.
    const widgets = JSON.parse(body.replace(/\$\{aws_sqs_queue\.queue\.name\}/g, 'q')).widgets as Widget[];
    const status = widgets.find((w) => w.y === 3)!;
    expect(status.type).toBe(type);
    expect(widgets.filter((w) => w.type === 'alarm')).toHaveLength(enabled ? 1 : 0);
  });
});
