import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { BatchSender, OutgoingMessage, SendFailure, SendResult } from './batch-sender';
import { isRetry, logBatchSummary, type SummaryEntry } from './batch-summary';
import { publishInvocationMetrics } from './powertools';

export type SqsBatchHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export interface BatchHandlerOptions {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Handles one record; throwing puts the record in `batchItemFailures` so SQS retries it. */
  readonly handleRecord: (record: SQSRecord) => Promise<void>;
}

/**
 * One record at a time, each handled completely (the dispatcher's shape; the validator and the
 * processor use {@link createForwardingBatchHandler}): partial batch responses, per-record
 * correlation keys on the logger, and metrics flushed once per invocation.
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
      publishInvocationMetrics(metrics);
    }
  };
}

/** What phase 1 decided for one record: the messages it forwards, and what to do once they are sent or not. */
export interface ForwardPlan {
  /** Messages for the next queue; an empty list completes the record at once. */
  readonly messages: readonly OutgoingMessage[];
  /**
   * Runs (synchronously, in phase 2) once every one of the record's messages was sent: count it,
   * log its detail (at DEBUG, or at INFO when `retry`: the record had failed before).
   */
  readonly onForwarded?: (outcome: { readonly retry: boolean }) => void;
  /** The record's ids in the invocation's summary line, once forwarded. */
  readonly summary?: SummaryEntry;
  /**
   * Runs once at least one of the record's messages was not sent, before the record is reported
   * failed: undo what phase 1 recorded (the processor releases its claim). `sent` lists the
   * indexes, in `messages`, of those that were sent. An error it throws is logged, not rethrown:
   * the record fails either way.
   */
  readonly onForwardFailed?: (outcome: ForwardFailure) => Promise<void>;
}

export interface ForwardFailure {
  /** Indexes into {@link ForwardPlan.messages} of the messages that were sent. */
  readonly sent: readonly number[];
  /** The failures of the others, in message order. */
  readonly failures: readonly SendFailure[];
}

export interface ForwardingBatchHandlerOptions {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Sends phase 2's messages to the next queue (see `createBatchSender`). */
  readonly send: BatchSender;
  /**
   * Phase 1 for one record: verify, claim, route… and say what to forward. `log` is the record's
   * own child logger: keys appended to it (`appendPersistentKeys`) stamp every line logged about
   * the record, in phase 1 and phase 2, and no other record's. Resolving to `undefined` completes
   * the record with nothing to send; throwing fails it, so SQS redelivers it.
   */
  readonly planRecord: (record: SQSRecord, log: Logger) => Promise<ForwardPlan | undefined>;
  /** The message of the invocation's one INFO line listing the records forwarded (see `logBatchSummary`). */
  readonly summaryMessage: string;
  /** Runs once per invocation after phase 2, before the metrics are published (the processor flushes its archive lines). */
  readonly onInvocationEnd?: InvocationEndHook;
}

/**
 * Work an invocation does once its records are settled: the archive's flush. It should not throw;
 * if it does, the error is logged and the records' outcomes stand.
 */
export type InvocationEndHook = (context: Context) => Promise<void>;

/** Runs `hook`, logging rather than throwing what it throws: nothing after the records may change their outcome. */
export async function runInvocationEnd(logger: Logger, hook: InvocationEndHook | undefined, context: Context): Promise<void> {
  if (!hook) return;
  try {
    await hook(context);
  } catch (error) {
    logger.warn('The end-of-invocation work failed; the records are not affected', { error: error as Error });
  }
}

/**
 * The shape of the validator and the processor: two phases per invocation.
 *
 * 1. Each record, one after another, is planned (`planRecord`), producing zero or more messages.
 * 2. All messages of the batch are sent together with SendMessageBatch (ten per call, split by
 *    size), and each failed entry is traced back to the record that produced it.
 *
 * `batchItemFailures` lists exactly the records that threw in phase 1 and the records with at least
 * one message not sent. A record whose messages were all sent is never reported, whatever
 * happened to other records' entries (even in the same call), so SQS never redelivers, and this
 * function never re-sends, a forwarded record because of another's failure.
 *
 * Each record logs through its own child logger, since phase 2 spans every record; the records
 * forwarded are listed in one summary line per invocation, and whatever went wrong with a record
 * keeps a full line of its own. Metrics are flushed once per invocation; a batch that failed
 * entirely is answered with the full list rather than by throwing, so the function's error metric
 * stays a signal of faults in the function itself.
 */
export function createForwardingBatchHandler({
  logger,
  metrics,
  send,
  planRecord,
  summaryMessage,
  onInvocationEnd,
}: ForwardingBatchHandlerOptions): SqsBatchHandler {
  const recordFailed = (log: Logger, record: SQSRecord, reason: string, details: Record<string, unknown>): void => {
    log.error('Record failed; SQS will redeliver it', { messageId: record.messageId, reason, ...details });
  };

  return async (event, context) => {
    logger.addContext(context);
    const failed = new Set<string>();
    const forwarded: SummaryEntry[] = [];
    const complete = (record: SQSRecord, plan: ForwardPlan) => {
      if (plan.summary) forwarded.push(plan.summary);
      plan.onForwarded?.({ retry: isRetry(record.attributes) });
    };
    try {
      // Phase 1, records concurrently: each waits on its own round trips (an SSM read, a
      // conditional write), so one at a time would add them up. Outcomes are read back in event
      // order, so what is sent keeps the batch's order.
      const planned: { record: SQSRecord; log: Logger; plan: ForwardPlan; first: number }[] = [];
      const outgoing: OutgoingMessage[] = [];
      const seen = new Set<string>();
      // SQS may, rarely, put one message in a batch twice; its outcome is reported once, by
      // messageId, so it is handled once.
      const unique = event.Records.filter((record) => !seen.has(record.messageId) && seen.add(record.messageId));
      const outcomes = await mapConcurrently(unique, PLAN_CONCURRENCY, async (record) => {
        const log = logger.createChild();
        try {
          return { record, log, plan: await planRecord(record, log) };
        } catch (error) {
          return { record, log, plan: undefined, error };
        }
      });
      for (const { record, log, plan, error } of outcomes) {
        try {
          if (error !== undefined) throw error;
          if (plan === undefined) continue;
          if (plan.messages.length === 0) {
            complete(record, plan);
            continue;
          }
          planned.push({ record, log, plan, first: outgoing.length });
          outgoing.push(...plan.messages);
        } catch (error) {
          recordFailed(log, record, failureReason(error), { error: error as Error });
          failed.add(record.messageId);
        }
      }

      // Phase 2.
      if (outgoing.length === 0) return response(event, failed);
      const results = await sendAll(send, outgoing);
      for (const { record, log, plan, first } of planned) {
        const own = results.slice(first, first + plan.messages.length);
        const sent = own.flatMap((result, index) => (result.sent ? [index] : []));
        if (sent.length === own.length) {
          try {
            complete(record, plan);
          } catch (error) {
            // Sent is sent: a fault in counting or logging must not have SQS redeliver the record.
            log.warn('Record forwarded, but recording it failed', { messageId: record.messageId, error: error as Error });
          }
          continue;
        }
        const failures = own.flatMap((result) => (result.sent ? [] : [result.failure]));
        if (plan.onForwardFailed) {
          try {
            await plan.onForwardFailed({ sent, failures });
          } catch (error) {
            log.warn('Could not undo a failed forward', {
              messageId: record.messageId,
              reason: failureReason(error),
              error: error as Error,
            });
          }
        }
        recordFailed(log, record, 'forward-failed', { sent: sent.length, failures });
        failed.add(record.messageId);
      }
      return response(event, failed);
    } finally {
      await runInvocationEnd(logger, onInvocationEnd, context);
      logBatchSummary(logger, summaryMessage, forwarded);
      publishInvocationMetrics(metrics);
    }
  };
}

/** Records planned at once: the event source mapping's default batch, and a bound for larger ones. */
export const PLAN_CONCURRENCY = 10;

/** `fn` over `items`, at most `limit` at a time; results in the items' order. */
async function mapConcurrently<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** `send`, which should never reject; if it does anyway, every message counts as not sent. */
async function sendAll(send: BatchSender, messages: readonly OutgoingMessage[]): Promise<readonly SendResult[]> {
  try {
    return await send(messages);
  } catch (error) {
    const failure: SendFailure = {
      code: failureReason(error),
      message: error instanceof Error ? error.message : String(error),
      senderFault: false,
    };
    return messages.map(() => ({ sent: false, failure }));
  }
}

/** The records in `failed`, in event order, each once. */
function response(event: SQSEvent, failed: ReadonlySet<string>): SQSBatchResponse {
  const listed = new Set<string>();
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const { messageId } of event.Records) {
    if (failed.has(messageId) && !listed.has(messageId)) {
      listed.add(messageId);
      batchItemFailures.push({ itemIdentifier: messageId });
    }
  }
  return { batchItemFailures };
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
