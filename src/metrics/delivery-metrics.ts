import { DESTINATION_DIMENSION, HANDLER_METRICS, METRICS_NAMESPACE } from '../contract';
import { failureRatePercent, handlerMetric, type MetricMathSpec, type MetricSpec, searchByDimension } from './metric';

type DeliveryOutcome = typeof HANDLER_METRICS.delivered | typeof HANDLER_METRICS.deliveryFailed | typeof HANDLER_METRICS.deliveryGone;

/**
 * The dispatcher's delivery metrics: each outcome emitted once for all destinations (alarms read
 * those) and once per destination (the dashboard breaks them out with a search).
 */
export class DeliveryMetrics {
  /** @param serviceName the dispatcher's POWERTOOLS_SERVICE_NAME, its metrics' `service` dimension. */
  constructor(private readonly serviceName: string) {}

  metricOutcome(outcome: DeliveryOutcome): MetricSpec {
    return handlerMetric(METRICS_NAMESPACE, this.serviceName, outcome);
  }

  /** Share of delivery attempts, retries included, that failed (410 Gone aside). */
  metricFailureRate(): MetricMathSpec {
    return failureRatePercent(
      'delivery failure rate (%)',
      this.metricOutcome(HANDLER_METRICS.deliveryFailed),
      this.metricOutcome(HANDLER_METRICS.delivered),
    );
  }

  /** One line per destination that has reported `outcome`. */
  searchByDestination(outcome: DeliveryOutcome): string {
    return searchByDimension(this.metricOutcome(outcome), DESTINATION_DIMENSION);
  }
}
