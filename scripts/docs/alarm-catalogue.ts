/**
 * The alarm catalogue as the pipeline builds it: the real construct with its default props,
 * expanded by `buildAlarmDefinitions`, so counts, metrics, thresholds and cadences are the ones
 * Terraform gets.
 */
import { TerraformStack, Testing } from 'cdktf';
import { ALARM_THRESHOLD_DEFAULTS, type AlarmDefinition, type AlarmThresholdKey, buildAlarmDefinitions } from '../../src/alarms/catalogue';
import type { HandlerBundle } from '../../src/bundling/handler-bundle';
import { FUNCTION_NAMES } from '../../src/contract';
import { isMetricMath, type MetricMathSpec, type MetricSpec } from '../../src/metrics/metric';
import { EventArchive } from '../../src/constructs/event-archive';
import { WebhookPipeline } from '../../src/webhook-pipeline';
import { ALARM_THRESHOLD_VARIABLE_KEYS } from '../../stacks/pipeline-variables';
import { code, NONE, table } from './markdown';

const RUNBOOK_LINK = 'RUNBOOK.md';

interface Catalogue {
  readonly definitions: readonly AlarmDefinition[];
  /** Which `AlarmThresholds` keys move each kind's threshold. */
  readonly tunedBy: ReadonlyMap<string, readonly AlarmThresholdKey[]>;
}

function readCatalogue(): Catalogue {
  const stack = new TerraformStack(Testing.app(), 'docs');
  const bundle = (name: string): HandlerBundle => ({
    name,
    zipPath: __filename,
    sha256Hex: '',
    sha256Base64: '',
    sizeBytes: 0,
    reused: true,
  });
  const pipeline = new WebhookPipeline(stack, 'pipeline', { bundle, policyCheck: false });
  const targets = {
    functions: FUNCTION_NAMES.map((fn) => pipeline.functions[fn]),
    queues: Object.values(pipeline.queues),
    api: pipeline.api,
    delivery: pipeline.deliveries,
    // The archive's writers, as the pipeline passes them (the archive is on by default).
    archive: {
      writers: (['processor', 'dispatcher'] as const).map((fn) => ({
        name: fn,
        metricArchiveWriteFailed: () => EventArchive.metricArchiveWriteFailed(pipeline.names.of(fn)),
      })),
      exists: true,
    },
  };
  const definitions = buildAlarmDefinitions(targets);
  // A threshold is a function of the tunable values: move one at a time and see which kinds follow.
  const tunedBy = new Map<string, AlarmThresholdKey[]>();
  for (const key of Object.keys(ALARM_THRESHOLD_DEFAULTS) as AlarmThresholdKey[]) {
    const moved = buildAlarmDefinitions(targets, { [key]: ALARM_THRESHOLD_DEFAULTS[key] * 7 + 3 });
    moved.forEach((definition, i) => {
      if (definition.threshold === definitions[i].threshold) return;
      const keys = tunedBy.get(definition.kind) ?? [];
      if (!keys.includes(key)) tunedBy.set(definition.kind, [...keys, key]);
    });
  }
  return { definitions, tunedBy };
}

const metricName = (metric: MetricSpec) => `${code(metric.metricName)} ${metric.stat}`;

function describeMetric(metric: MetricSpec | MetricMathSpec): string {
  if (!isMetricMath(metric)) return `${metric.namespace} ${metricName(metric)}`;
  const inputs = Object.entries(metric.metrics).map(([id, m]) => `${code(id)} = ${metricName(m)}`);
  const namespaces = [...new Set(Object.values(metric.metrics).map((m) => m.namespace))].join(', ');
  return `${code(metric.expression)}, ${namespaces}: ${inputs.join(', ')}`;
}

function thresholds(group: readonly AlarmDefinition[]): string {
  const values = [...new Set(group.map((d) => d.threshold))];
  if (values.length === 1) return `> ${values[0]}`;
  const suffix = commonSuffix(group.map((d) => d.id));
  return group.map((d) => `> ${d.threshold} (${d.id.slice(0, d.id.length - suffix.length)})`).join(', ');
}

/** The kind's part of its alarm ids (`-duration`), so what precedes it names the target (`validator`). */
function commonSuffix(ids: readonly string[]): string {
  let suffix = ids[0];
  for (const id of ids) while (!id.endsWith(suffix)) suffix = suffix.slice(1);
  return suffix.slice(Math.max(0, suffix.indexOf('-')));
}

const cadence = (d: AlarmDefinition): string =>
  d.evaluationPeriods === d.datapointsToAlarm && d.evaluationPeriods === 1
    ? `the first ${d.periodSeconds} s period`
    : `${d.datapointsToAlarm} of ${d.evaluationPeriods} periods of ${d.periodSeconds} s`;

const groupByKind = (definitions: readonly AlarmDefinition[]) => {
  const groups = new Map<string, AlarmDefinition[]>();
  for (const d of definitions) groups.set(d.kind, [...(groups.get(d.kind) ?? []), d]);
  return groups;
};

export function alarmKindsTable(catalogue: Catalogue = readCatalogue()): string {
  const groups = [...groupByKind(catalogue.definitions)];
  const rows = groups.map(([kind, group]) => [
    `[${kind}](${RUNBOOK_LINK}#${kind})`,
    String(group.length),
    group.map((d) => code(d.id)).join(', '),
    describeMetric(group[0].metric),
    thresholds(group),
    cadence(group[0]),
    (catalogue.tunedBy.get(kind) ?? []).map((key) => `${code(ALARM_THRESHOLD_VARIABLE_KEYS[key])} (${code(key)})`).join(', ') || NONE,
  ]);
  const total = `${catalogue.definitions.length} alarms of ${groups.length} kinds.`;
  return `${total}\n\n${table(['kind (runbook section)', '#', 'alarms', 'metric', 'fires when (defaults)', 'breaching', '`alarm_thresholds` key (prop)'], rows)}`;
}

/** Every alarm with the description its notification carries. */
export function alarmDescriptionsTable(catalogue: Catalogue = readCatalogue()): string {
  return table(
    ['alarm', 'description'],
    catalogue.definitions.map((d) => [code(d.id), d.description]),
  );
}

export { readCatalogue };
