import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { failureReason, type InvocationEndHook, runInvocationEnd } from '../shared/batch-handler';
import { logBatchSummary, type SummaryEntry } from '../shared/batch-summary';
import { publishInvocationMetrics } from '../shared/powertools';

/**
 * What became of one record: `failed` puts it in `batchItemFailures`, so SQS redelivers it; a
 * delivered record is listed in the invocation's summary line under its entry.
 */
export type RecordResult = 'succeeded' | 'failed' | { readonly delivered: SummaryEntry };

/** A batch is at most ten records without a batching window; beyond that, ten at once keeps sockets and memory bounded. */
export const MAX_CONCURRENT_RECORDS = 10;

export interface ConcurrentBatchOptions {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Records with the same key run one after another in batch order; `undefined` means no such constraint. */
  readonly keyOf: (record: SQSRecord) => string | undefined;
  /** Handles one record and logs its own outcome; a throw fails the record too and is logged here. */
  readonly handleRecord: (record: SQSRecord) => Promise<RecordResult>;
  /** The message of the invocation's one INFO line listing the records delivered (see `logBatchSummary`). */
  readonly summaryMessage: string;
  readonly concurrency?: number;
  /** Runs once per invocation after every record settled, before the metrics are published (the archive's flush). */
  readonly onInvocationEnd?: InvocationEndHook;
}

/**
 * The dispatcher's batch handler. Each record waits on a destination, so records run concurrently:
 * ten records to a destination answering in a second take a second, not ten. Two records for the
 * same event and destination (a provider's retry, a redrive) still run in order, so a receiver
 * never sees the same delivery twice at once.
 *
 * Otherwise as the shared batch handler: a partial batch response listing exactly the failed
 * records, never a throw for a batch that failed entirely (the function's error metric stays a
 * signal of its own faults), metrics flushed once per invocation, and the records delivered
 * listed in one summary line per invocation.
 */
export function createConcurrentBatchHandler(
  options: ConcurrentBatchOptions,
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const { logger, metrics, keyOf, handleRecord, summaryMessage, concurrency = MAX_CONCURRENT_RECORDS, onInvocationEnd } = options;

  const handleOne = async (record: SQSRecord): Promise<RecordResult> => {
    try {
      return await handleRecord(record);
    } catch (error) {
      logger.error('Record failed; SQS will redeliver it', {
        messageId: record.messageId,
        reason: failureReason(error),
        error: error as Error,
      });
      return 'failed';
    }
  };

  return async (event, context) => {
    logger.addContext(context);
    try {
      const results = await runKeyed(event.Records, keyOf, handleOne, concurrency);
      logBatchSummary(
        logger,
        summaryMessage,
        results.flatMap((result) => (typeof result === 'object' ? [result.delivered] : [])),
      );
      return {
        batchItemFailures: event.Records.filter((_record, index) => results[index] === 'failed').map((record) => ({
          itemIdentifier: record.messageId,
        })),
      };
    } finally {
      await runInvocationEnd(logger, onInvocationEnd, context);
      publishInvocationMetrics(metrics);
    }
  };
}

/**
 * Runs `run` over `items` with at most `concurrency` in flight, items sharing a key one after
 * another in their original order. Items are grouped into chains by key, and a pool of workers
 * takes whole chains: a chain never runs on two workers, so same-key items cannot overlap.
 * Results come back in the items' order. `run` must not throw.
 */
export async function runKeyed<T, R>(
  items: readonly T[],
  keyOf: (item: T) => string | undefined,
  run: (item: T) => Promise<R>,
  concurrency: number,
): Promise<R[]> {
  const chains = new Map<string | number, number[]>();
  items.forEach((item, index) => {
    const key = keyOf(item) ?? index;
    const chain = chains.get(key);
    if (chain) chain.push(index);
    else chains.set(key, [index]);
  });
  const pending = [...chains.values()];
  const results: R[] = new Array(items.length);
  const worker = async (): Promise<void> => {
    for (let chain = pending.shift(); chain; chain = pending.shift()) {
      for (const index of chain) results[index] = await run(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, concurrency), pending.length) }, worker));
  return results;
}
