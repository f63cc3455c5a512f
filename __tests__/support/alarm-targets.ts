import type { AlarmTargets } from '../../src/alarms/catalogue';
import { DeliveryMetrics } from '../../src/metrics/delivery-metrics';
import { apiGatewayMetric, errorRatePercent, lambdaMetric, sqsMetric } from '../../src/metrics/metric';

/** Catalogue targets named `fn-<name>`, `q-<name>`, `q-<name>-dlq` and API `api`/`v1`, built from the metric factories. */
export function alarmTargets(timeoutSeconds: Record<string, number> = { validator: 10, processor: 15, dispatcher: 60 }): AlarmTargets {
  return {
    functions: Object.entries(timeoutSeconds).map(([name, timeout]) => {
      const metric = (metricName: string, stat: string) => lambdaMetric(`fn-${name}`, metricName, stat);
      return {
        name,
        timeoutSeconds: timeout,
        metricErrorRate: () => errorRatePercent(`${name} error rate (%)`, metric('Errors', 'Sum'), metric('Invocations', 'Sum')),
        metricThrottles: () => metric('Throttles', 'Sum'),
        metricDuration: (stat = 'p99') => metric('Duration', stat),
        metricConcurrentExecutions: () => metric('ConcurrentExecutions', 'Maximum'),
      };
    }),
    queues: ['ingest', 'process', 'deliver'].map((name) => ({
      name,
      metricAgeOfOldestMessage: () => sqsMetric(`q-${name}`, 'ApproximateAgeOfOldestMessage'),
      metricVisibleMessages: () => sqsMetric(`q-${name}`, 'ApproximateNumberOfMessagesVisible'),
      metricDeadLetters: () => sqsMetric(`q-${name}-dlq`, 'ApproximateNumberOfMessagesVisible'),
      backsOff: name === 'deliver',
    })),
    delivery: new DeliveryMetrics('svc-dispatcher'),
    api: {
      metricClientErrors: () => apiGatewayMetric('api', 'v1', '4XXError', 'Average'),
      metricServerErrors: () => apiGatewayMetric('api', 'v1', '5XXError', 'Average'),
      metricLatency: (stat = 'p99') => apiGatewayMetric('api', 'v1', 'Latency', stat),
    },
  };
}
