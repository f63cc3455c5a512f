/**
 * The dashboard as Terraform plans it: its body must be valid JSON with the widgets the operator
 * needs, with an alarm-status widget listing exactly the planned alarms while alarms are on, and
 * none (CloudWatch rejects an empty one) while they are off.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FUNCTION_NAMES, REJECTION_REASONS } from '../../src/contract';
import { synthToDirectory } from '../support/stack';
import {
  copyStack,
  describeIfTerraform,
  PlanJson,
  plannedResources,
  TerraformRunner,
  writeCliConfig,
  writeOfflineOverride,
} from '../support/terraform';

jest.setTimeout(600_000);

/**
 * The account id comes from the ingest queue's ARN, unknown until the queue exists; a fixed one
 * makes the whole body known at plan time, as it is on every plan after the first apply.
 */
const ACCOUNT_ID = '123456789012';

interface Widget {
  type: string;
  x: number;
  y: number;
  width: number;
  height: number;
  properties: Record<string, any>;
}

describeIfTerraform('CloudWatch dashboard (offline plan)', (mirror) => {
  const plans: Record<'on' | 'off', PlanJson> = {} as never;

  beforeAll(async () => {
    const dir = copyStack(synthToDirectory());
    writeOfflineOverride(dir);
    fs.writeFileSync(path.join(dir, 'account_override.tf.json'), JSON.stringify({ locals: { account_id: ACCOUNT_ID } }));
    const tf = new TerraformRunner(dir, writeCliConfig(dir, mirror));
    await tf.init();
    [plans.on, plans.off] = await Promise.all([tf.plan({}, 'on.tfplan'), tf.plan({ enable_alarms: 'false' }, 'off.tfplan')]);
  });

  const dashboardOf = (plan: PlanJson) => {
    const [dashboard] = plannedResources(plan, 'aws_cloudwatch_dashboard');
    return { name: dashboard.values.dashboard_name as string, widgets: JSON.parse(dashboard.values.dashboard_body).widgets as Widget[] };
  };
  const titled = (widgets: Widget[], title: string) => widgets.find((w) => w.properties.title === title)!;

  test('is named after the environment and exported as an output', () => {
    expect(dashboardOf(plans.on).name).toBe('webhook-pipeline-dev');
    expect((plans.on as any).planned_values.outputs.dashboard_name.value).toBe('webhook-pipeline-dev');
  });

  test('enable_alarms=true: the alarm-status widget lists exactly the 24 planned catalogue alarms', () => {
    const { widgets } = dashboardOf(plans.on);
    const alarmWidgets = widgets.filter((w) => w.type === 'alarm');
    expect(alarmWidgets).toHaveLength(1);
    const planned = plannedResources(plans.on, 'aws_cloudwatch_metric_alarm').map(
      (a) => `arn:aws:cloudwatch:us-east-1:${ACCOUNT_ID}:alarm:${a.values.alarm_name}`,
    );
    // The event archive's 2 exist only while history_retention_days > 0, decided at plan time:
    // the widget, which must not name an alarm that may not exist, leaves them out.
    const archive = planned.filter((alarmArn) => alarmArn.includes('-archive-write-failed-'));
    expect(archive).toHaveLength(2);
    const catalogue = planned.filter((alarmArn) => !archive.includes(alarmArn));
    expect(catalogue).toHaveLength(24);
    expect([...alarmWidgets[0].properties.alarms].sort()).toEqual(catalogue.sort());
  });

  test('enable_alarms=false: no alarm widget, a note in its place, every other widget unchanged', () => {
    const on = dashboardOf(plans.on).widgets;
    const off = dashboardOf(plans.off).widgets;
    expect(off.filter((w) => w.type === 'alarm')).toHaveLength(0);
    const note = off.find((w) => w.type === 'text' && String(w.properties.markdown).includes('enable_alarms = false'))!;
    const status = on.find((w) => w.type === 'alarm')!;
    expect([note.x, note.y, note.width, note.height]).toEqual([status.x, status.y, status.width, status.height]);
    expect(off.filter((w) => w !== note)).toEqual(on.filter((w) => w !== status));
  });

  test('metric widgets resolve to this environment: functions, queues, DLQs, API, region', () => {
    const { widgets } = dashboardOf(plans.off);
    for (const w of widgets.filter((x) => x.type === 'metric')) expect(w.properties.region).toBe('us-east-1');
    const dimension = (title: string, index: number) => titled(widgets, title).properties.metrics.map((m: unknown[]) => m[index]);
    expect(dimension('Lambda invocations', 3)).toEqual(FUNCTION_NAMES.map((fn) => `webhook-${fn}-dev`));
    expect(dimension('Lambda duration p99 (ms)', 3)).toEqual(FUNCTION_NAMES.map((fn) => `webhook-${fn}-dev`));
    expect(dimension('Queue depth (visible messages)', 3)).toEqual(['webhook-ingest-dev', 'webhook-process-dev', 'webhook-deliver-dev']);
    expect(dimension('Oldest message age (s)', 3)).toEqual(['webhook-ingest-dev', 'webhook-process-dev', 'webhook-deliver-dev']);
    expect(dimension('Dead-letter queue depth', 3)).toEqual([
      'webhook-ingest-dlq-dev',
      'webhook-process-dlq-dev',
      'webhook-deliver-dlq-dev',
    ]);
    expect(titled(widgets, 'API requests').properties.metrics[0].slice(0, 6)).toEqual([
      'AWS/ApiGateway',
      'Count',
      'ApiName',
      'webhook-api-dev',
      'Stage',
      'v1',
    ]);
  });

  test("the handlers' metrics: rejected by reason, with the service dimension of the validator", () => {
    const rejected = titled(dashboardOf(plans.off).widgets, 'Validator: rejected webhooks by reason').properties.metrics;
    expect(rejected.map((m: unknown[]) => m[5])).toEqual([...REJECTION_REASONS]);
    expect(rejected[0].slice(0, 4)).toEqual(['WebhookPipeline', 'Rejected', 'service', 'webhook-validator-dev']);
  });

  test('the logs widget queries the three function log groups', () => {
    const logs = dashboardOf(plans.off).widgets.find((w) => w.type === 'log')!;
    expect(logs.properties.query).toMatch(
      /^SOURCE '\/aws\/lambda\/webhook-validator-dev' \| SOURCE '\/aws\/lambda\/webhook-processor-dev' \| SOURCE '\/aws\/lambda\/webhook-dispatcher-dev' \| /,
    );
  });
});
