import { AlarmDefinition, buildAlarmDefinitions, isMetricMath, MetricSpec } from '../../../src/alarms/catalogue';
import { ALARM_THRESHOLD_DEFAULTS } from '../../../src/config/variables';

const definitions = buildAlarmDefinitions({
  functions: ['validator', 'processor', 'dispatcher'].map((name) => ({
    name,
    functionName: `fn-${name}`,
    timeoutSecondsExpression: `var.function_timeouts.${name}`,
  })),
  queues: ['ingest', 'process', 'deliver'].map((name) => ({ name, queueName: `q-${name}` })),
  deadLetterQueues: ['ingest-dlq', 'process-dlq', 'deliver-dlq'].map((name) => ({ name, queueName: `q-${name}` })),
  api: { apiName: 'api', stageName: 'v1' },
});
const byId = new Map(definitions.map((d) => [d.id, d]));
const single = (d: AlarmDefinition) => d.metric as MetricSpec;

describe('alarm catalogue', () => {
  test('expands to the 24 alarms of SPEC §4 (12 function + 6 queue + 3 DLQ + 3 API)', () => {
    expect(definitions).toHaveLength(24);
    expect(new Set(definitions.map((d) => d.id)).size).toBe(24);
    const perKind = definitions.reduce<Record<string, number>>((acc, d) => ({ ...acc, [d.kind]: (acc[d.kind] ?? 0) + 1 }), {});
    expect(perKind).toEqual({
      'function-error-rate': 3,
      'function-throttles': 3,
      'function-duration': 3,
      'function-concurrency': 3,
      'queue-age': 3,
      'queue-depth': 3,
      'dlq-messages': 3,
      'api-4xx-rate': 1,
      'api-5xx-rate': 1,
      'api-latency': 1,
    });
  });

  // id, namespace, metric, statistic, dimensions, threshold
  test.each<[string, string, string, string, Record<string, string>, number | string]>([
    ['validator-throttles', 'AWS/Lambda', 'Throttles', 'Sum', { FunctionName: 'fn-validator' }, 0],
    ['processor-duration', 'AWS/Lambda', 'Duration', 'p99', { FunctionName: 'fn-processor' },
      '${var.function_timeouts.processor * 1000 * var.alarm_thresholds.lambda_duration_percent_of_timeout / 100}'],
    ['dispatcher-concurrency', 'AWS/Lambda', 'ConcurrentExecutions', 'Maximum', { FunctionName: 'fn-dispatcher' },
      '${var.alarm_thresholds.lambda_concurrency}'],
    ['ingest-age', 'AWS/SQS', 'ApproximateAgeOfOldestMessage', 'Maximum', { QueueName: 'q-ingest' },
      '${var.alarm_thresholds.queue_oldest_message_age_seconds}'],
    ['deliver-depth', 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'Maximum', { QueueName: 'q-deliver' },
      '${var.alarm_thresholds.queue_depth}'],
    ['process-dlq-messages', 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'Maximum', { QueueName: 'q-process-dlq' }, 0],
    ['api-4xx-rate', 'AWS/ApiGateway', '4XXError', 'Average', { ApiName: 'api', Stage: 'v1' },
      '${var.alarm_thresholds.api_4xx_rate_percent / 100}'],
    ['api-5xx-rate', 'AWS/ApiGateway', '5XXError', 'Average', { ApiName: 'api', Stage: 'v1' },
      '${var.alarm_thresholds.api_5xx_rate_percent / 100}'],
    ['api-latency', 'AWS/ApiGateway', 'Latency', 'p99', { ApiName: 'api', Stage: 'v1' },
      '${var.alarm_thresholds.api_latency_p99_ms}'],
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
    expect(math.metrics.errors).toEqual({ namespace: 'AWS/Lambda', metricName: 'Errors', stat: 'Sum', dimensions: { FunctionName: `fn-${fn}` } });
    expect(math.metrics.invocations.metricName).toBe('Invocations');
    expect(definition.threshold).toBe('${var.alarm_thresholds.lambda_error_rate_percent}');
  });

  test('every tunable threshold is used and every description points to its runbook section', () => {
    const thresholds = definitions.map((d) => String(d.threshold)).join(' ');
    for (const key of Object.keys(ALARM_THRESHOLD_DEFAULTS)) expect(thresholds).toContain(key);
    for (const d of definitions) {
      expect(d.description).toContain(`docs/RUNBOOK.md#${d.kind}`);
      expect(d.description).toMatch(/First step:/);
      expect(d.datapointsToAlarm).toBeLessThanOrEqual(d.evaluationPeriods);
    }
  });

  test('defaults match SPEC §4', () => {
    expect(ALARM_THRESHOLD_DEFAULTS).toEqual({
      lambda_error_rate_percent: 5,
      lambda_duration_percent_of_timeout: 80,
      lambda_concurrency: 90,
      queue_oldest_message_age_seconds: 300,
      queue_depth: 100,
      api_4xx_rate_percent: 10,
      api_5xx_rate_percent: 1,
      api_latency_p99_ms: 1000,
    });
  });
});
