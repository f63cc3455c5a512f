import { DEFAULT_DELIVERY_RETRY_SCHEDULE, HANDLER_ENV, MAX_VISIBILITY_TIMEOUT_SECONDS } from '../../contract';
import { ConfigurationError, type Environment } from '../shared/env-config';
import { isRetrySchedule, MAX_RETRY_STEPS } from '../shared/retry-steps';

export { MAX_RETRY_STEPS };

/** Jitter spreads retries of a burst that failed together, so they do not hit the destination together again. */
export const JITTER = { min: 0.8, max: 1.2 } as const;

const VARIABLE = HANDLER_ENV.deliveryRetrySchedule;

/**
 * Parses DELIVERY_RETRY_SCHEDULE: a JSON array of 1 to {@link MAX_RETRY_STEPS} whole seconds, each
 * 1 to SQS's visibility cap (a longer step could not be expressed as a visibility timeout).
 * Unset or empty reads as {@link DEFAULT_DELIVERY_RETRY_SCHEDULE}.
 */
export function readRetrySchedule(env: Environment): readonly number[] {
  const raw = env[VARIABLE]?.trim();
  if (!raw) return DEFAULT_DELIVERY_RETRY_SCHEDULE;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (!isRetrySchedule(parsed)) {
    throw new ConfigurationError(
      VARIABLE,
      `must be a JSON array of 1-${MAX_RETRY_STEPS} whole seconds, each 1-${MAX_VISIBILITY_TIMEOUT_SECONDS}, got ${JSON.stringify(raw)}`,
    );
  }
  return parsed;
}

export interface RetryDelayInput {
  readonly schedule: readonly number[];
  /** This attempt's number: the record's ApproximateReceiveCount, from 1. */
  readonly attempt: number;
  /** The destination's `Retry-After`, in seconds from now, when it sent one. */
  readonly retryAfterSeconds?: number;
  /** A number in [0, 1), as `Math.random` returns; injectable so tests can pin the jitter. */
  readonly random: () => number;
}

/**
 * Seconds until a failed record may be received again (its next visibility timeout).
 *
 * Attempt n waits schedule[n-1], jittered by a factor in [{@link JITTER}.min, {@link JITTER}.max].
 * A `Retry-After` replaces that, bounded by the longest step so a destination cannot park a message
 * for longer than the operator allowed. Past the schedule the answer is 0: the infrastructure sets
 * maxReceiveCount to schedule.length + 1, so the very next receive moves the message to the DLQ
 * and there is no point keeping it invisible first.
 */
export function retryDelaySeconds({ schedule, attempt, retryAfterSeconds, random }: RetryDelayInput): number {
  if (attempt > schedule.length) return 0;
  if (retryAfterSeconds !== undefined) {
    return clamp(Math.round(retryAfterSeconds), 1, Math.min(Math.max(...schedule), MAX_RETRY_DELAY_SECONDS));
  }
  const factor = JITTER.min + (JITTER.max - JITTER.min) * random();
  return clamp(Math.round(schedule[Math.max(attempt, 1) - 1] * factor), 1, MAX_RETRY_DELAY_SECONDS);
}

/**
 * SQS caps a message's visibility at 12 h from when it was received, not from now: leave room for
 * the longest a Lambda invocation can have been running (900 s) before the delay is set.
 */
export const MAX_RETRY_DELAY_SECONDS = MAX_VISIBILITY_TIMEOUT_SECONDS - 900;

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
