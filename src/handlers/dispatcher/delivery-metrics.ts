import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DESTINATION_DIMENSION, HANDLER_METRICS } from '../../contract';
import { countOne } from '../shared/powertools';

type DeliveryMetric = (typeof HANDLER_METRICS)['delivered' | 'deliveryFailed' | 'deliveryGone'];

/**
 * Counts one outcome twice: buffered with the service dimension only, which the alarms read, and
 * at once with the destination's name, which the dashboards read. A single metric has its own
 * dimensions, so destinations never mix in one document.
 */
export function countDelivery(metrics: Metrics, name: DeliveryMetric, destination: string): void {
  countOne(metrics, name);
  metrics.singleMetric().addDimension(DESTINATION_DIMENSION, destination).addMetric(name, MetricUnit.Count, 1);
}
