import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { HANDLER_METRICS, METRICS_NAMESPACE, REJECTION_REASON_DIMENSION, type RejectionReason } from '../../contract';

export interface Powertools {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
}

/**
 * One Logger, Metrics and Tracer per container. The service name comes from
 * POWERTOOLS_SERVICE_NAME, and tracing is switched by POWERTOOLS_TRACE_ENABLED, both set by the
 * stack, so the handlers need no configuration of their own for observability.
 */
export function createPowertools(): Powertools {
  return {
    logger: new Logger(),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE }),
    tracer: new Tracer(),
  };
}

/** Buffers a count of one, flushed with the batch. */
export function countOne(metrics: Metrics, name: (typeof HANDLER_METRICS)[keyof typeof HANDLER_METRICS]): void {
  metrics.addMetric(name, MetricUnit.Count, 1);
}

/**
 * Emits `Rejected` at once with its own `reason` dimension: buffered metrics share one set of
 * dimensions per flush, and a batch mixes reasons.
 */
export function countRejection(metrics: Metrics, reason: RejectionReason): void {
  metrics.singleMetric().addDimension(REJECTION_REASON_DIMENSION, reason).addMetric(HANDLER_METRICS.rejected, MetricUnit.Count, 1);
}
