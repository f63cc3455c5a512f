import type { Logger } from '@aws-lambda-powertools/logger';

/** Each function's summary line, by its message (the runbook's queries name them). */
export const SUMMARY_MESSAGES = {
  validator: 'Webhooks accepted',
  processor: 'Events forwarded',
  dispatcher: 'Events delivered',
} as const;

/**
 * One completed record's place in its invocation's summary line: the group it is listed under
 * (its source, or its destination) and its ids (`deliveryId`, `requestId`…; null when absent).
 */
export interface SummaryEntry {
  readonly group: string;
  readonly ids: Readonly<Record<string, string | null>>;
}

/**
 * Logs the records an invocation completed the ordinary way as one INFO line instead of one
 * each: `{"message": <message>, "count": 10, "deliveryIds": {"github": ["…", …]}, "requestIds":
 * {"github": ["…", …]}}`, each id key pluralized, its values grouped and in record order (so the
 * nth entries of two keys belong to the same record). A record's own line costs more than the ids
 * it carries; every id stays findable (`@message like "<id>"`). Failures, rejections, retries and
 * dead letters keep their own full lines: they are what an operator reads. Nothing to list, no
 * line.
 */
export function logBatchSummary(logger: Logger, message: string, entries: readonly SummaryEntry[]): void {
  if (entries.length === 0) return;
  const columns: Record<string, Record<string, (string | null)[]>> = {};
  for (const { group, ids } of entries) {
    for (const [key, value] of Object.entries(ids)) ((columns[`${key}s`] ??= {})[group] ??= []).push(value);
  }
  logger.info(message, { count: entries.length, ...columns });
}

/** ApproximateReceiveCount above 1: this record has failed before, and its success is a retry's. */
export function isRetry(attributes: { readonly ApproximateReceiveCount?: string }): boolean {
  return Number(attributes.ApproximateReceiveCount) > 1;
}
