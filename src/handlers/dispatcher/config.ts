import { HANDLER_ENV } from '../../contract';
import { type DeliveryDestination, readDestinations } from '../shared/destinations';
import { type Environment, optionalString, optionalUrl, positiveInteger, requiredUrl } from '../shared/env-config';
import { readRetrySchedule } from './retry-schedule';

export interface DispatcherConfig {
  /** Destinations by name; a message naming any other goes to the DLQ. */
  readonly destinations: ReadonlyMap<string, DeliveryDestination>;
  /** Seconds before each retry, by attempt. */
  readonly retrySchedule: readonly number[];
  /** The deliver queue, whose failed records get their next visibility set; null only with no destination. */
  readonly sourceQueueUrl: string | null;
  /** The deliver queue's DLQ; null only with no destination. */
  readonly deadLetterQueueUrl: string | null;
  /** Each destination's lane, with `{destination}` for its name; null before lanes (0.2.0's configuration). */
  readonly laneQueueUrl?: string | null;
  /** Each lane's DLQ, likewise. */
  readonly laneDeadLetterQueueUrl?: string | null;
  readonly deliveryTimeoutMs: number;
  /** ARCHIVE_ATTEMPT_STREAM: the Firehose stream each attempt is archived to; `''` (or absent): no archive. */
  readonly archiveStream?: string;
}

/** Long enough for a healthy target, short enough that a hung one fails well inside the Lambda timeout. */
export const DEFAULT_DELIVERY_TIMEOUT_MS = 5_000;

/**
 * Reads the dispatcher's environment. The two queue URLs are required as soon as one destination
 * exists, because every failed or gone delivery needs them; with none they are optional, so a stack
 * that routes nowhere can still be deployed without them.
 */
export function readDispatcherConfig(env: Environment): DispatcherConfig {
  const destinations = readDestinations(env);
  const url = destinations.size > 0 ? requiredUrl : optionalUrl;
  return {
    destinations,
    retrySchedule: readRetrySchedule(env),
    sourceQueueUrl: url(env, HANDLER_ENV.sourceQueueUrl) || null,
    deadLetterQueueUrl: url(env, HANDLER_ENV.deadLetterQueueUrl) || null,
    laneQueueUrl: optionalUrl(env, HANDLER_ENV.laneQueueUrl) || null,
    laneDeadLetterQueueUrl: optionalUrl(env, HANDLER_ENV.laneDeadLetterQueueUrl) || null,
    deliveryTimeoutMs: positiveInteger(env, HANDLER_ENV.deliveryTimeoutMs, DEFAULT_DELIVERY_TIMEOUT_MS),
    archiveStream: optionalString(env, HANDLER_ENV.archiveAttemptStream),
  };
}
