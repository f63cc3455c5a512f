import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSRecord } from 'aws-lambda';
import { HANDLER_METRICS } from '../../contract';
import { failureReason } from '../shared/batch-handler';
import { type DeliveryEvent, parseDeliveryEvent } from '../shared/delivery-event';
import { readSecretList } from '../shared/secret-list';
import { MissingSecretError, type SecretReader } from '../shared/secrets';
import { type AuthorizedDelivery, createAuthorizedDelivery } from './auth';
import type { RecordResult } from './batch-runner';
import type { DispatcherConfig } from './config';
import { countDelivery } from './delivery-metrics';
import { buildDeliveryRequest } from './delivery-request';
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
  const deliver = deps.deliver ?? createAuthorizedDelivery({ readSecret, post });

  /** Fails the record with its next visibility from the schedule, so SQS redelivers it after the backoff. */
  // A destination's own schedule, when it has one, is its lane's: the lane's receives and retention follow it.
  const scheduleOf = (destination: string) => config.destinations.get(destination)?.retrySchedule ?? config.retrySchedule;
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
          return 'succeeded';
        }
        const secrets = await readSecretList(readSecret, destination.secretParameter);
        const request = buildDeliveryRequest(event, secrets, { attempt, nowMs: now(), secretParameter: destination.secretParameter });
        const outcome = await deliver(destination, request, { defaultTimeoutMs: config.deliveryTimeoutMs, log });
        return await settle(log, record, event, attempt, outcome);
      } catch (error) {
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
