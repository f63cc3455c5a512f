/**
 * One definition of each metric the pipeline watches. The alarm catalogue and the dashboard both
 * read metrics through these factories (the building blocks' `metric…()` methods), so a metric's
 * namespace, name, dimensions and statistic are written once.
 */

/** A CloudWatch metric with its statistic. Dimension values may hold tokens. */
export interface MetricSpec {
  readonly namespace: string;
  readonly metricName: string;
  /** A standard statistic (`Sum`, `Maximum`, `Average`) or a percentile (`p99`). */
  readonly stat: string;
  /** In the order CloudWatch widgets list them. */
  readonly dimensions: Readonly<Record<string, string>>;
}

/** A metric-math value: `expression` over the named metrics. */
export interface MetricMathSpec {
  readonly expression: string;
  readonly label: string;
  readonly metrics: Readonly<Record<string, MetricSpec>>;
}

export function isMetricMath(metric: MetricSpec | MetricMathSpec): metric is MetricMathSpec {
  return 'expression' in metric;
}

export const lambdaMetric = (functionName: string, metricName: string, stat: string): MetricSpec => ({
  namespace: 'AWS/Lambda',
  metricName,
  stat,
  dimensions: { FunctionName: functionName },
});

export const sqsMetric = (queueName: string, metricName: string, stat = 'Maximum'): MetricSpec => ({
  namespace: 'AWS/SQS',
  metricName,
  stat,
  dimensions: { QueueName: queueName },
});

export const apiGatewayMetric = (apiName: string, stageName: string, metricName: string, stat: string): MetricSpec => ({
  namespace: 'AWS/ApiGateway',
  metricName,
  stat,
  dimensions: { ApiName: apiName, Stage: stageName },
});

/** `100 × errors / invocations`, 0 in idle periods instead of a division by zero. */
export const errorRatePercent = (label: string, errors: MetricSpec, invocations: MetricSpec): MetricMathSpec => ({
  expression: 'IF(invocations > 0, 100 * errors / invocations, 0)',
  label,
  metrics: { errors, invocations },
});

/**
 * A dashboard widget's metric line: namespace, name, dimension name/value pairs, then the
 * rendering options (CloudWatch's dashboard body structure).
 */
export type MetricLine = (string | Record<string, unknown>)[];

export function metricLine(metric: MetricSpec, label: string): MetricLine {
  return [metric.namespace, metric.metricName, ...Object.entries(metric.dimensions).flat(), { label, stat: metric.stat }];
}

/** The handlers' EMF metrics: namespace `WebhookPipeline`, dimension `service` (POWERTOOLS_SERVICE_NAME). */
export const handlerMetric = (
  namespace: string,
  serviceName: string,
  metricName: string,
  extraDimensions: Readonly<Record<string, string>> = {},
): MetricSpec => ({
  namespace,
  metricName,
  stat: 'Sum',
  dimensions: { service: serviceName, ...extraDimensions },
});

/**
 * `100 × failed / (failed + succeeded)`: the share of attempts that failed, 0 when there were
 * none. Retries count as attempts, so a destination that is down reads close to 100.
 */
export const failureRatePercent = (label: string, failed: MetricSpec, succeeded: MetricSpec): MetricMathSpec => ({
  expression: 'IF(failed + succeeded > 0, 100 * failed / (failed + succeeded), 0)',
  label,
  metrics: { failed, succeeded },
});

/**
 * A handler metric broken out by one dimension, one line per value CloudWatch has seen (a
 * `SEARCH` expression): values, such as destination names, may be decided at plan time or later.
 */
export function searchByDimension(metric: MetricSpec, dimension: string): string {
  const dimensions = [...Object.keys(metric.dimensions), dimension].join(',');
  const filters = Object.entries(metric.dimensions)
    .map(([name, value]) => ` ${name}="${value}"`)
    .join('');
  return `SEARCH('{${metric.namespace},${dimensions}} MetricName="${metric.metricName}"${filters}', '${metric.stat}', 300)`;
}

/** A dashboard line drawn from an expression, such as {@link searchByDimension}. */
export function expressionLine(expression: string, id: string, label = ''): MetricLine {
  return [{ expression, id, label }];
}
