import type { Metrics } from '@aws-lambda-powertools/metrics';
import { DESTINATION_DIMENSION, HANDLER_METRICS } from '../../contract';
import { countBy } from '../shared/powertools';

type DeliveryMetric = (typeof HANDLER_METRICS)['delivered' | 'deliveryFailed' | 'deliveryGone'];

/**
 * Counts one outcome under both `service` (the alarms) and `service` + `destination` (the
 * dashboard's breakdown): one document per destination and invocation carries both dimension
 * sets, so the outcomes are counted once per invocation rather than once per record.
 */
export function countDelivery(metrics: Metrics, name: DeliveryMetric, destination: string): void {
  countBy(metrics, name, DESTINATION_DIMENSION, destination, true);
}
