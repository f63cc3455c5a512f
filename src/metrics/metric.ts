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
