import { HANDLER_ENV } from '../../contract';
import { type DeliveryDestination, readDestinations } from '../shared/destinations';
import { type Environment, optionalString, optionalUrl, positiveInteger, requiredString, requiredUrl } from '../shared/env-config';

export interface ProcessorConfig {
  /**
   * Each destination's delivery lane, with `{destination}` for its name; without lanes (a single
   * NEXT_QUEUE_URL, as 0.2.0 set it) one queue for every destination.
   */
  readonly laneQueueUrl: string;
  readonly idempotencyTableName: string;
  readonly idempotencyTtlSeconds: number;
  /** DELIVERY_DESTINATIONS: where events are routed; empty means every event is unrouted. */
  readonly destinations: ReadonlyMap<string, DeliveryDestination>;
  /** Largest message the deliver queue takes: the size limit of each SendMessageBatch call. */
  readonly maxMessageBytes: number;
  /** ARCHIVE_WEBHOOK_STREAM: the Firehose stream each first-seen webhook is archived to; `''`: no archive. */
  readonly archiveStream: string;
}

/** SQS's classic message size limit; the construct sets 1 MiB where the provider allows it. */
export const DEFAULT_MAX_MESSAGE_BYTES = 262_144;

/** 24 h: providers retry for hours (Shopify for 4 h), and a retry after expiry is delivered twice. */
export const DEFAULT_IDEMPOTENCY_TTL_SECONDS = 86_400;

export function readProcessorConfig(env: Environment): ProcessorConfig {
  return {
    laneQueueUrl: optionalUrl(env, HANDLER_ENV.laneQueueUrl) || requiredUrl(env, HANDLER_ENV.nextQueueUrl),
    idempotencyTableName: requiredString(env, HANDLER_ENV.idempotencyTable),
    idempotencyTtlSeconds: positiveInteger(env, HANDLER_ENV.idempotencyTtlSeconds, DEFAULT_IDEMPOTENCY_TTL_SECONDS),
    destinations: readDestinations(env),
    maxMessageBytes: positiveInteger(env, HANDLER_ENV.maxMessageBytes, DEFAULT_MAX_MESSAGE_BYTES),
    archiveStream: optionalString(env, HANDLER_ENV.archiveWebhookStream),
  };
}
