import { requirePlain } from '../core/values';

/** CloudWatch Logs' allowed retention periods, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** A plain `logRetentionDays` must be one of {@link LOG_RETENTION_DAYS}; a token is checked by CloudWatch at apply. */
export function validateLogRetentionDays(owner: string, days: number | undefined): void {
  requirePlain(
    owner,
    'logRetentionDays',
    days,
    (n) => (LOG_RETENTION_DAYS as readonly number[]).includes(n),
    `one of ${LOG_RETENTION_DAYS.join(', ')}`,
  );
}
