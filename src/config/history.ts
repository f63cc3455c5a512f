import { isToken, isWholeNumberIn, requirePlain } from '../core/values';

/**
 * The event archive's retention, in days: how long Firehose's objects under `webhooks/` and
 * `attempts/` are kept, and how far back Athena's partition projection reaches. 0 switches the
 * archive off (no bucket, stream, table or grant at all).
 */
export const DEFAULT_HISTORY_RETENTION_DAYS = 30;
/** Ten years: beyond it an archive of raw webhooks is a compliance decision, not a default to tune. */
export const MAX_HISTORY_RETENTION_DAYS = 3650;
export const HISTORY_RETENTION_EXPECTATION = `a whole number of days: 0 (no archive) or 1-${MAX_HISTORY_RETENTION_DAYS}`;

/** Whether `days` is a retention the archive takes (plain numbers only). */
export const isHistoryRetention = isWholeNumberIn(0, MAX_HISTORY_RETENTION_DAYS);

/**
 * Validates a plain `historyRetentionDays`; a plan-time token passes (the stack's
 * `history_retention_days` variable checks it when Terraform plans).
 */
export function validateHistoryRetention(owner: string, days: number | undefined, prop = 'historyRetentionDays'): void {
  requirePlain(owner, prop, days, isHistoryRetention, HISTORY_RETENTION_EXPECTATION);
}

/** Whether the archive exists: `true`/`false` for a plain retention, `undefined` when it is decided at plan time. */
export function historyEnabled(days: number): boolean | undefined {
  return isToken(days) ? undefined : days > 0;
}

/** The `history_retention_days` variable's validation condition, as Terraform reads it. */
export function historyRetentionCondition(variable: string): string {
  return `\${${variable} >= 0 && ${variable} <= ${MAX_HISTORY_RETENTION_DAYS} && floor(${variable}) == ${variable}}`;
}
