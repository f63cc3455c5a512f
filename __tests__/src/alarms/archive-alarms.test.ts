/**
 * The event archive's alarms: one per writer (processor, dispatcher) on `ArchiveWriteFailed`,
 * existing while both the alarms and the archive do.
 */
import { TerraformVariable, Testing } from 'cdktf';
import { AlarmFactory } from '../../../src/alarms/alarm-factory';
import { ARCHIVE_ALARMS, type AlarmTargets, buildAlarmDefinitions } from '../../../src/alarms/catalogue';
import type { Switch } from '../../../src/core/values';
import { EventArchive } from '../../../src/constructs/event-archive';
import { alarmTargets } from '../../support/alarm-targets';
import { resourcesOfType } from '../../support/construct';

const withArchive = (exists: Switch): AlarmTargets => ({
  ...alarmTargets(),
  archive: {
    exists,
    writers: ['processor', 'dispatcher'].map((name) => ({
      name,
      metricArchiveWriteFailed: () => EventArchive.metricArchiveWriteFailed(`svc-${name}`),
    })),
  },
});

describe('archive-write-failed alarms', () => {
  test('one per writer after the 24: any failed write in 5 minutes pages', () => {
    const definitions = buildAlarmDefinitions(withArchive(true));
    expect(definitions).toHaveLength(26);
    expect(definitions.slice(0, 24).map((d) => d.id)).toEqual(buildAlarmDefinitions(alarmTargets()).map((d) => d.id));
    const archive = definitions.slice(24);
    expect(archive.map((d) => d.id)).toEqual(['processor-archive-write-failed', 'dispatcher-archive-write-failed']);
    for (const definition of archive) {
      expect(definition).toMatchObject({
        kind: 'archive-write-failed',
        threshold: 0,
        periodSeconds: 300,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
      });
      expect(definition.exists).toBeUndefined();
      expect(definition.description).toMatch(/First step: .* Runbook: docs\/RUNBOOK\.md#archive-write-failed$/);
    }
    expect(archive[0].metric).toEqual({
      namespace: 'WebhookPipeline',
      metricName: 'ArchiveWriteFailed',
      stat: 'Sum',
      dimensions: { service: 'svc-processor' },
    });
    expect(ARCHIVE_ALARMS.map((entry) => entry.kind)).toEqual(['archive-write-failed']);
  });

  test('none without an archive, or with one plainly off', () => {
    expect(buildAlarmDefinitions(alarmTargets())).toHaveLength(24);
    expect(buildAlarmDefinitions(withArchive(false))).toHaveLength(24);
  });

  test('an archive decided at plan time: each alarm counts on both switches', () => {
    const json = JSON.parse(
      Testing.synthScope((scope) => {
        const alarms = new TerraformVariable(scope, 'alarms', { type: 'bool' }).booleanValue;
        const days = new TerraformVariable(scope, 'days', { type: 'number' }).numberValue;
        const definitions = buildAlarmDefinitions(withArchive(days as unknown as Switch));
        expect(definitions.slice(24).every((d) => d.exists !== undefined)).toBe(true);
        new AlarmFactory(scope, 'plan-time', { topicArn: 't', enabled: alarms, definitions });
        new AlarmFactory(scope, 'always', { topicArn: 't', definitions });
      }),
    );
    const counts = (prefix: string) =>
      Object.entries<any>(json.resource.aws_cloudwatch_metric_alarm)
        .filter(([name]) => name.startsWith(prefix))
        .map(([name, alarm]) => [name.includes('archive-write-failed'), alarm.count]);
    const planTime = counts('plan-time_');
    expect(planTime.filter(([archive]) => !archive).every(([, count]) => count === '${var.alarms ? 1 : 0}')).toBe(true);
    expect(planTime.filter(([archive]) => archive).map(([, count]) => count)).toEqual([
      '${(var.alarms && var.days) ? 1 : 0}',
      '${(var.alarms && var.days) ? 1 : 0}',
    ]);
    const always = counts('always_');
    expect(always.filter(([archive]) => !archive).every(([, count]) => count === undefined)).toBe(true);
    expect(always.filter(([archive]) => archive).map(([, count]) => count)).toEqual(['${var.days ? 1 : 0}', '${var.days ? 1 : 0}']);
  });

  test("alarms plainly off: none, the archive's included", () => {
    const json = JSON.parse(
      Testing.synthScope((scope) => {
        new AlarmFactory(scope, 'off', { topicArn: 't', enabled: false, definitions: buildAlarmDefinitions(withArchive(true)) });
      }),
    );
    expect(resourcesOfType(json, 'aws_cloudwatch_metric_alarm')).toEqual([]);
  });

  test('a definition whose subject plainly does not exist builds no alarm', () => {
    const [first] = buildAlarmDefinitions(alarmTargets());
    const json = JSON.parse(
      Testing.synthScope((scope) => {
        new AlarmFactory(scope, 'alarms', { topicArn: 't', definitions: [first, { ...first, id: 'gone', exists: false }] });
      }),
    );
    expect(resourcesOfType(json, 'aws_cloudwatch_metric_alarm').map((a) => a.alarm_name)).toEqual([`webhook-${first.id}-dev`]);
  });
});
