import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export type SqsBatchHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export interface BatchHandlerOptions {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Handles one record; throwing puts the record in `batchItemFailures` so SQS retries it. */
  readonly handleRecord: (record: SQSRecord) => Promise<void>;
}

/**
 * The shape all three consumers share: partial batch responses, per-record correlation keys on
 * the logger, and metrics flushed once per invocation.
 *
 * Records run one after another. Correlation keys live on the one shared logger, so records in
 * parallel would stamp their log lines with each other's ids; the event source mapping's batches
 * are small (ten records by default), and each record waits on one downstream call.
 *
 * A batch whose every record failed still returns a response listing them all rather than
 * throwing: the effect on SQS is the same, and the function's error metric stays a signal of
 * faults in the function itself.
 */
export function createBatchHandler({ logger, metrics, handleRecord }: BatchHandlerOptions): SqsBatchHandler {
  const processor = new BatchProcessor(EventType.SQS);

  const handleOne = async (record: SQSRecord): Promise<void> => {
    try {
      await handleRecord(record);
    } catch (error) {
      logger.error('Record failed; SQS will redeliver it', {
        messageId: record.messageId,
        reason: failureReason(error),
        error: error as Error,
      });
      throw error;
    } finally {
      logger.resetKeys();
    }
  };

  return async (event, context) => {
    logger.addContext(context);
    try {
      return await processPartialResponse(event, handleOne, processor, {
        context,
        processInParallel: false,
        throwOnFullBatchFailure: false,
      });
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  };
}

/**
 * A short, stable label for a failure: the error's own `reason` when it has one, else its name,
 * so failures can be grouped in Logs Insights.
 */
export function failureReason(error: unknown): string {
  if (error instanceof Error) {
    const { reason } = error as Error & { reason?: unknown };
    return typeof reason === 'string' ? reason : error.name;
  }
  return 'unknown';
}
