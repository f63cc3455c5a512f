import { MAX_VISIBILITY_TIMEOUT_SECONDS } from '../../contract';

/** SQS caps a message's receive count only through the redrive policy; twenty retries is already over a day of backoff. */
export const MAX_RETRY_STEPS = 20;

/**
 * A retry schedule the dispatcher can follow: 1 to {@link MAX_RETRY_STEPS} whole seconds, each 1
 * to SQS's visibility cap (a longer step could not be expressed as a visibility timeout). The
 * pipeline's DELIVERY_RETRY_SCHEDULE and a destination's own `retrySchedule` obey the same rule.
 */
export function isRetrySchedule(value: unknown): value is number[] {
  return (
    Array.isArray(value) &&
    value.length >= 1 &&
    value.length <= MAX_RETRY_STEPS &&
    value.every((step) => Number.isInteger(step) && step >= 1 && step <= MAX_VISIBILITY_TIMEOUT_SECONDS)
  );
}
