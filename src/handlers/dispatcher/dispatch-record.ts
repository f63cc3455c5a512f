import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSRecord } from 'aws-lambda';
import { HANDLER_METRICS } from '../../contract';
import { ARCHIVE_RECORD_VERSION, type AttemptOutcome } from '../../history/archive-records';
import type { ArchiveWriter } from '../shared/archive-writer';
import { failureReason } from '../shared/batch-handler';
import { type DeliveryEvent, parseDeliveryEvent } from '../shared/delivery-event';
import { readSecretList } from '../shared/secret-list';
import { MissingSecretError, type SecretReader } from '../shared/secrets';
import { type AuthorizedDelivery, createAuthorizedDelivery } from './auth';
import type { RecordResult } from './batch-runner';
import type { DispatcherConfig } from './config';
import { countDelivery } from './delivery-metrics';
import { buildDeliveryRequest, webhookIdSent } from './delivery-request';
import { type DeliveryOutcome, postDelivery } from './post-delivery';
import type { QueueActions } from './queue-actions';
import { parseRetryAfter } from './retry-after';
import { retryDelaySeconds } from './retry-schedule';

export interface DispatchDependencies {
  readonly config: DispatcherConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly readSecret: SecretReader;
  readonly queue: QueueActions;
  readonly post?: typeof postDelivery;
  /** Delivers with the destination's credentials and timeout; by default through `post`. */
  readonly deliver?: AuthorizedDelivery;
  /** Epoch milliseconds; injectable for the signed timestamp and `Retry-After` dates. */
  readonly now?: () => number;
  /** Drives the retry jitter; injectable so tests can pin it. */
  readonly random?: () => number;
  /** Monotonic milliseconds, for an attempt's `duration_ms`. */
  readonly clock?: () => number;
  /** Where each attempt's archive line goes (ARCHIVE_ATTEMPT_STREAM); none: not archived. */
  readonly archive?: ArchiveWriter;
}

/** What an attempt's archive line says of it, besides the event's ids. */
interface AttemptSummary {
  readonly outcome: AttemptOutcome;
  readonly status: number | null;
  readonly reason: string | null;
  readonly durationMs: number | null;
}

/**
 * The archive's `reason` for an outcome: `http-<status>` for an answer that was not 2xx, `timeout`,
 * `network`, `auth-token-failed`; null when delivered.
 */
export function archiveReasonOf(outcome: DeliveryOutcome): string | null {
  switch (outcome.kind) {
    case 'delivered':
      return null;
    case 'gone':
      return `http-${outcome.status}`;
    case 'failed':
      if (outcome.status !== undefined) return `http-${outcome.status}`;
      return outcome.reason === 'delivery-timeout' ? 'timeout' : outcome.reason === 'delivery-unreachable' ? 'network' : outcome.reason;
  }
}

export interface RecordDispatcher {
  /** Records with the same key are delivered one after another, in batch order; undefined: no constraint. */
  keyOf(record: SQSRecord): string | undefined;
  /** Delivers one record; throws only for a record that is not a delivery event. */
  dispatch(record: SQSRecord): Promise<RecordResult>;
}

interface Failure {
  readonly reason: string;
  readonly status?: number;
  readonly detail?: string;
  readonly retryAfterSeconds?: number;
  readonly error?: unknown;
  readonly secretParameter?: string;
}

export function createRecordDispatcher(deps: DispatchDependencies): RecordDispatcher {
  const { config, logger, metrics, readSecret, queue, post = postDelivery, now = Date.now, random = Math.random } = deps;
  const { clock = () => performance.now(), archive } = deps;
  const deliver = deps.deliver ?? createAuthorizedDelivery({ readSecret, post });

  /** Fails the record with its next visibility from the schedule, so SQS redelivers it after the backoff. */
  // A destination's own schedule, when it has one, is its lane's: the lane's receives and retention follow it.
  const scheduleOf = (destination: string) => config.destinations.get(destination)?.retrySchedule ?? config.retrySchedule;
  /** Adds the attempt's line to the archive (nothing is logged: success paths log no line of their own). */
  const archiveAttempt = (event: DeliveryEvent, attempt: number, summary: AttemptSummary) => {
    archive?.add({
      v: ARCHIVE_RECORD_VERSION,
      kind: 'attempt',
      webhook_id: webhookIdSent(event),
      source: event.source,
      delivery_id: event.id,
      event_type: event.type,
      destination: event.destination,
      attempt,
      outcome: summary.outcome,
      last: attempt > scheduleOf(event.destination).length,
      status: summary.status,
      reason: summary.reason,
      duration_ms: summary.durationMs,
      at: new Date(now()).toISOString(),
      replay_id: event.replayId ?? null,
    });
  };
  const retryLater = async (
    log: Logger,
    record: SQSRecord,
    attempt: number,
    failure: Failure,
    retrySchedule: readonly number[],
  ): Promise<RecordResult> => {
    const nextDelaySeconds = retryDelaySeconds({ schedule: retrySchedule, attempt, retryAfterSeconds: failure.retryAfterSeconds, random });
    const last = attempt > retrySchedule.length;
    log.error(last ? 'Delivery failed on its last attempt; the next receive moves it to the DLQ' : 'Delivery failed; it will be retried', {
      ...failure,
      attempt,
      nextDelaySeconds,
    });
    try {
      await queue.delayRetry(record.receiptHandle, nextDelaySeconds, record.eventSourceARN);
    } catch (error) {
      // The record still fails: SQS redelivers it after the queue's own visibility timeout instead.
      log.warn("Could not set the retry's delay; the queue's visibility timeout applies", { nextDelaySeconds, error: error as Error });
    }
    return 'failed';
  };

  const settle = async (log: Logger, record: SQSRecord, event: DeliveryEvent, attempt: number, outcome: DeliveryOutcome) => {
    const { destination } = event;
    switch (outcome.kind) {
      case 'delivered':
        countDelivery(metrics, HANDLER_METRICS.delivered, destination);
        // A first attempt's success is listed in the invocation's summary; a retry's keeps its own line.
        log[attempt > 1 ? 'info' : 'debug']('Event delivered', { eventType: event.type, status: outcome.status, attempt });
        return { delivered: { group: destination, ids: { deliveryId: event.id } } };
      case 'gone':
        // Retrying cannot help: the destination said it is gone for good. The DLQ keeps the message.
        await queue.deadLetter(record.body, 'destination-gone', destination, record.eventSourceARN);
        countDelivery(metrics, HANDLER_METRICS.deliveryGone, destination);
        log.error('The destination answered 410 Gone; the message went to the DLQ without further retries', {
          reason: 'destination-gone',
          status: outcome.status,
          attempt,
        });
        return 'succeeded';
      case 'failed': {
        countDelivery(metrics, HANDLER_METRICS.deliveryFailed, destination);
        const { reason, status, detail, retryAfter } = outcome;
        const retryAfterSeconds = parseRetryAfter(retryAfter, now());
        return retryLater(log, record, attempt, { reason, status, detail, retryAfterSeconds }, scheduleOf(destination));
      }
    }
  };

  return {
    keyOf(record) {
      try {
        const { destination, source, id } = parseDeliveryEvent(record.body);
        return JSON.stringify([destination, source, id]);
      } catch {
        return undefined;
      }
    },

    async dispatch(record) {
      const event = parseDeliveryEvent(record.body);
      // A child logger per record: records run concurrently, and keys appended to the shared
      // logger would stamp one record's lines with another's ids.
      const log = logger.createChild({
        persistentKeys: {
          deliveryId: event.id,
          requestId: event.requestId,
          source: event.source,
          destination: event.destination,
          messageId: record.messageId,
        },
      });
      const attempt = attemptOf(record);
      // What the destination answered, once it did: a failure after the answer (the DLQ unreachable
      // after a 410) archives it with the failure.
      let answered: { readonly status: number | null; readonly durationMs: number } | undefined;
      try {
        const destination = config.destinations.get(event.destination);
        if (!destination) {
          // A destination removed from the configuration will never take this message; retrying
          // only delays the moment an operator sees it.
          await queue.deadLetter(record.body, 'unknown-destination', event.destination, record.eventSourceARN);
          log.error('The destination is not configured; the message went to the DLQ', {
            reason: 'unknown-destination',
            eventType: event.type,
          });
          archiveAttempt(event, attempt, { outcome: 'unknown-destination', status: null, reason: 'unknown-destination', durationMs: null });
          return 'succeeded';
        }
        const secrets = await readSecretList(readSecret, destination.secretParameter);
        const request = buildDeliveryRequest(event, secrets, { attempt, nowMs: now(), secretParameter: destination.secretParameter });
        const started = clock();
        const outcome = await deliver(destination, request, { defaultTimeoutMs: config.deliveryTimeoutMs, log });
        answered = { status: outcome.status ?? null, durationMs: Math.max(0, Math.round(clock() - started)) };
        const result = await settle(log, record, event, attempt, outcome);
        archiveAttempt(event, attempt, { outcome: outcome.kind, reason: archiveReasonOf(outcome), ...answered });
        return result;
      } catch (error) {
        // Failed before sending (no secret, an unusable one or credential), or after (the DLQ
        // unreachable): archived as failed, with what the destination answered if it did.
        const reason = error instanceof MissingSecretError ? 'missing-secret' : failureReason(error);
        archiveAttempt(event, attempt, {
          outcome: 'failed',
          status: answered?.status ?? null,
          reason,
          durationMs: answered?.durationMs ?? null,
        });
        if (error instanceof MissingSecretError) {
          return retryLater(
            log,
            record,
            attempt,
            { reason: 'missing-secret', secretParameter: error.parameterName, error },
            scheduleOf(event.destination),
          );
        }
        return retryLater(log, record, attempt, { reason: failureReason(error), error }, scheduleOf(event.destination));
      }
    },
  };
}

/** The attempt number: SQS counts receives from 1; anything unreadable counts as a first attempt. */
export function attemptOf(record: SQSRecord): number {
  const count = Number(record.attributes.ApproximateReceiveCount);
  return Number.isSafeInteger(count) && count >= 1 ? count : 1;
}
