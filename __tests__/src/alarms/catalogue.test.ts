import { ALARM_THRESHOLD_DEFAULTS, AlarmDefinition, buildAlarmDefinitions } from '../../../src/alarms/catalogue';
import { isMetricMath, MetricSpec } from '../../../src/metrics/metric';
import { alarmTargets } from '../../support/alarm-targets';

const definitions = buildAlarmDefinitions(alarmTargets());
const byId = new Map(definitions.map((d) => [d.id, d]));
const single = (d: AlarmDefinition) => d.metric as MetricSpec;

describe('alarm catalogue', () => {
  test('expands to the 24 alarms of the alarm kinds in docs/RUNBOOK.md (12 function + 5 queue + 3 DLQ + 3 API + 1 delivery)', () => {
    expect(definitions).toHaveLength(24);
    expect(new Set(definitions.map((d) => d.id)).size).toBe(24);
    const perKind = definitions.reduce<Record<string, number>>((acc, d) => ({ ...acc, [d.kind]: (acc[d.kind] ?? 0) + 1 }), {});
    expect(perKind).toEqual({
      'function-error-rate': 3,
      'function-throttles': 3,
      'function-duration': 3,
      'function-concurrency': 3,
      'queue-age': 2,
      'queue-depth': 3,
      'dlq-messages': 3,
      'api-4xx-rate': 1,
      'api-5xx-rate': 1,
      'api-latency': 1,
      'delivery-failure-rate': 1,
    });
    // The deliver queue's messages back off by design: its age is no backlog.
    expect(definitions.map((d) => d.id)).not.toContain('deliver-age');
  });

  test('delivery failure rate: failed over failed + delivered attempts of the dispatcher, sustained 15 minutes', () => {
    const alarm = definitions.find((d) => d.id === 'dispatcher-delivery-failure-rate')!;
    expect(alarm).toMatchObject({ threshold: 50, periodSeconds: 300, evaluationPeriods: 3, datapointsToAlarm: 3 });
    expect(alarm.metric).toMatchObject({
      expression: 'IF(failed + succeeded > 0, 100 * failed / (failed + succeeded), 0)',
      metrics: {
        failed: { namespace: 'WebhookPipeline', metricName: 'DeliveryFailed', stat: 'Sum', dimensions: { service: 'svc-dispatcher' } },
        succeeded: { namespace: 'WebhookPipeline', metricName: 'Delivered', stat: 'Sum', dimensions: { service: 'svc-dispatcher' } },
      },
    });
  });

  // id, namespace, metric, statistic, dimensions, threshold
  test.each<[string, string, string, string, Record<string, string>, number]>([
    ['validator-throttles', 'AWS/Lambda', 'Throttles', 'Sum', { FunctionName: 'fn-validator' }, 0],
    ['processor-duration', 'AWS/Lambda', 'Duration', 'p99', { FunctionName: 'fn-processor' }, 12000],
    ['dispatcher-duration', 'AWS/Lambda', 'Duration', 'p99', { FunctionName: 'fn-dispatcher' }, 48000],
    ['dispatcher-concurrency', 'AWS/Lambda', 'ConcurrentExecutions', 'Maximum', { FunctionName: 'fn-dispatcher' }, 90],
    ['ingest-age', 'AWS/SQS', 'ApproximateAgeOfOldestMessage', 'Maximum', { QueueName: 'q-ingest' }, 300],
    ['deliver-depth', 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'Maximum', { QueueName: 'q-deliver' }, 100],
    ['process-dlq-messages', 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'Maximum', { QueueName: 'q-process-dlq' }, 0],
    ['api-4xx-rate', 'AWS/ApiGateway', '4XXError', 'Average', { ApiName: 'api', Stage: 'v1' }, 0.1],
    ['api-5xx-rate', 'AWS/ApiGateway', '5XXError', 'Average', { ApiName: 'api', Stage: 'v1' }, 0.01],
    ['api-latency', 'AWS/ApiGateway', 'Latency', 'p99', { ApiName: 'api', Stage: 'v1' }, 1000],
  ])('%s watches %s %s (%s) with the right dimensions and threshold', (id, namespace, metricName, stat, dimensions, threshold) => {
    const definition = byId.get(id)!;
    expect(definition).toBeDefined();
    expect(single(definition)).toEqual({ namespace, metricName, stat, dimensions });
    expect(definition.threshold).toBe(threshold);
  });

  test.each(['validator', 'processor', 'dispatcher'])('%s error rate is 100 × Errors / Invocations by metric math', (fn) => {
    const definition = byId.get(`${fn}-error-rate`)!;
    expect(isMetricMath(definition.metric)).toBe(true);
    const math = definition.metric as Exclude<AlarmDefinition['metric'], MetricSpec>;
    expect(math.expression).toBe('IF(invocations > 0, 100 * errors / invocations, 0)');
    expect(math.metrics.errors).toEqual({
      namespace: 'AWS/Lambda',
      metricName: 'Errors',
      stat: 'Sum',
      dimensions: { FunctionName: `fn-${fn}` },
    });
    expect(math.metrics.invocations.metricName).toBe('Invocations');
    expect(definition.threshold).toBe(5);
  });

  test('every tunable threshold reaches its alarms; thresholds left out keep their defaults', () => {
    const tuned = buildAlarmDefinitions(alarmTargets(), {
      lambdaErrorRatePercent: 7,
      lambdaDurationPercentOfTimeout: 50,
      lambdaConcurrency: 40,
      queueOldestMessageAgeSeconds: 600,
      queueDepth: 1000,
      api4xxRatePercent: 20,
      api5xxRatePercent: 2,
      apiLatencyP99Ms: 3000,
    });
    const threshold = (id: string) => tuned.find((d) => d.id === id)!.threshold;
    expect(
      [
        'validator-error-rate',
        'validator-duration',
        'processor-concurrency',
        'ingest-age',
        'deliver-depth',
        'api-4xx-rate',
        'api-5xx-rate',
        'api-latency',
      ].map(threshold),
    ).toEqual([7, 5000, 40, 600, 1000, 0.2, 0.02, 3000]);
    const partly = buildAlarmDefinitions(alarmTargets(), { queueDepth: 5, lambdaConcurrency: undefined });
    expect(partly.find((d) => d.id === 'ingest-depth')!.threshold).toBe(5);
    expect(partly.find((d) => d.id === 'validator-concurrency')!.threshold).toBe(90);
  });

  test('every description points to its runbook section', () => {
    for (const d of definitions) {
      expect(d.description).toContain(`docs/RUNBOOK.md#${d.kind}`);
      expect(d.description).toMatch(/First step:/);
      expect(d.datapointsToAlarm).toBeLessThanOrEqual(d.evaluationPeriods);
    }
  });

  test('defaults match those docs/RUNBOOK.md states', () => {
    expect(ALARM_THRESHOLD_DEFAULTS).toEqual({
      lambdaErrorRatePercent: 5,
      lambdaDurationPercentOfTimeout: 80,
      lambdaConcurrency: 90,
      queueOldestMessageAgeSeconds: 300,
      queueDepth: 100,
      api4xxRatePercent: 10,
      api5xxRatePercent: 1,
      apiLatencyP99Ms: 1000,
      deliveryFailureRatePercent: 50,
    });
  });
});
