import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { HANDLER_METRICS, METRICS_NAMESPACE, REJECTION_REASON_DIMENSION, type RejectionReason } from '../../contract';

export interface Powertools {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
}

type HandlerMetric = (typeof HANDLER_METRICS)[keyof typeof HANDLER_METRICS];

/**
 * One Logger, Metrics and Tracer per container. The service name comes from
 * POWERTOOLS_SERVICE_NAME, and tracing is switched by POWERTOOLS_TRACE_ENABLED, both set by the
 * stack, so the handlers need no configuration of their own for observability.
 *
 * The log level: where Lambda's advanced logging controls set one (AWS_LAMBDA_LOG_LEVEL, the
 * function's application log level), Logger follows it and ignores POWERTOOLS_LOG_LEVEL; without
 * it (a local run, the bench) POWERTOOLS_LOG_LEVEL applies. At DEBUG every record logs its own
 * line besides its invocation's summary.
 */
export function createPowertools(): Powertools {
  return {
    logger: new Logger(),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE }),
    tracer: new Tracer(),
  };
}

/** Buffers a count of one, flushed with the batch. */
export function countOne(metrics: Metrics, name: HandlerMetric): void {
  metrics.addMetric(name, MetricUnit.Count, 1);
}

/** Counts with one extra dimension, waiting for {@link publishInvocationMetrics}. */
interface DimensionedCounts {
  readonly dimension: string;
  readonly value: string;
  /** The same counts also under the `service` dimension alone, in the same document. */
  readonly alsoByService: boolean;
  readonly counts: Map<HandlerMetric, number>;
}

// Keyed by the Metrics instance, so that the record code keeps counting through the one object it
// already has, and the batch handler that owns the invocation publishes what was counted.
const pendingByMetrics = new WeakMap<Metrics, Map<string, DimensionedCounts>>();

/**
 * Counts one `name` with `dimension` = `value`, summed over the invocation. Buffered metrics share
 * one set of dimensions per document and a batch mixes values (reasons, destinations), so each
 * value gets its own document at the end of the invocation rather than one per record at once.
 * `alsoByService` puts the `service`-only dimension set in that document too: what the alarms
 * read, with no second document for it.
 */
export function countBy(metrics: Metrics, name: HandlerMetric, dimension: string, value: string, alsoByService = false): void {
  let pending = pendingByMetrics.get(metrics);
  if (!pending) pendingByMetrics.set(metrics, (pending = new Map()));
  const key = JSON.stringify([dimension, value, alsoByService]);
  let group = pending.get(key);
  if (!group) pending.set(key, (group = { dimension, value, alsoByService, counts: new Map() }));
  group.counts.set(name, (group.counts.get(name) ?? 0) + 1);
}

/** A rejection, counted by its reason (the dashboard's breakdown). */
export function countRejection(metrics: Metrics, reason: RejectionReason): void {
  countBy(metrics, HANDLER_METRICS.rejected, REJECTION_REASON_DIMENSION, reason);
}

/**
 * Writes the invocation's metrics: the buffered counts in one document, then one document per
 * dimension value counted with {@link countBy}. Called once, when the invocation ends.
 */
export function publishInvocationMetrics(metrics: Metrics): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  const pending = pendingByMetrics.get(metrics);
  if (!pending) return;
  pendingByMetrics.delete(metrics);
  for (const { dimension, value, alsoByService, counts } of pending.values()) {
    // An empty dimension set is the default dimensions alone: `service`.
    if (alsoByService) metrics.addDimensions({});
    metrics.addDimensions({ [dimension]: value });
    for (const [name, count] of counts) metrics.addMetric(name, MetricUnit.Count, count);
    metrics.publishStoredMetrics();
  }
}
