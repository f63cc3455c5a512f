/**
 * Times on the command line (`--since 2h`, `--until 2026-01-02T10:00Z`) and the archive's hour
 * folders a time window needs.
 */
import { archiveHourFolder } from '../history/archive-records';
import { usageError } from './errors';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const UNIT_MS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: HOUR_MS, d: DAY_MS, w: 7 * DAY_MS };
const RELATIVE = /^(\d+)\s*([smhdw])$/;
/** An ISO-8601 date, optionally with a time and a zone; a date-time without a zone is read as UTC. */
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * Reads `value` as a point in time: `now`, a duration ago (`90s`, `30m`, `2h`, `7d`, `1w`) or an
 * ISO-8601 time (`2026-01-02`, `2026-01-02T10:00Z`; no zone means UTC). `option` names the flag in
 * the error.
 */
export function parseTime(value: string, option: string, now: number): Date {
  const text = value.trim();
  if (text === 'now') return new Date(now);
  const relative = RELATIVE.exec(text);
  if (relative) return new Date(now - Number(relative[1]) * UNIT_MS[relative[2]]);
  const iso = ISO.exec(text);
  if (iso) {
    const hasTime = /[T ]/i.test(text);
    const zoned = hasTime && iso[1] === undefined ? `${text.replace(' ', 'T')}Z` : text.replace(' ', 'T');
    const time = Date.parse(zoned);
    if (Number.isFinite(time)) return new Date(time);
  }
  throw usageError(
    `${option} "${value}" is not a time: use an ISO time (2026-01-02T10:00Z, 2026-01-02) or a duration ago (30m, 2h, 7d), or now`,
  );
}

export interface TimeWindow {
  readonly since: Date;
  readonly until: Date;
}

/** `--since`/`--until` as a window; `defaultSince` is how far back it reaches without `--since`. */
export function timeWindow(options: { since?: string; until?: string }, now: number, defaultSinceMs: number): TimeWindow {
  const since = options.since === undefined ? new Date(now - defaultSinceMs) : parseTime(options.since, '--since', now);
  const until = options.until === undefined ? new Date(now) : parseTime(options.until, '--until', now);
  if (until.getTime() <= since.getTime()) {
    throw usageError(`--until (${until.toISOString()}) is not after --since (${since.toISOString()}): nothing can match`);
  }
  return { since, until };
}

/**
 * The S3 prefixes under `prefix` (`webhooks/`, `attempts/`) holding every record Firehose filed
 * from `start` to `end`: one per hour folder, except a whole UTC day inside the range is one day
 * prefix (`webhooks/2026/01/02/`), so a week's read lists 7 prefixes rather than 168.
 */
export function archivePrefixes(prefix: string, start: Date, end: Date): string[] {
  const prefixes: string[] = [];
  const last = Math.floor(end.getTime() / HOUR_MS) * HOUR_MS;
  let hour = Math.floor(start.getTime() / HOUR_MS) * HOUR_MS;
  while (hour <= last) {
    if (hour % DAY_MS === 0 && hour + DAY_MS - HOUR_MS <= last) {
      prefixes.push(`${prefix}${archiveHourFolder(new Date(hour)).slice(0, 'YYYY/MM/DD/'.length)}`);
      hour += DAY_MS;
    } else {
      prefixes.push(`${prefix}${archiveHourFolder(new Date(hour))}`);
      hour += HOUR_MS;
    }
  }
  return prefixes;
}

/** "2026-01-02 10:00:03Z": an ISO time, shorter for tables. */
export function shortTime(iso: string | Date): string {
  const time = typeof iso === 'string' ? new Date(iso) : iso;
  if (!Number.isFinite(time.getTime())) return String(iso);
  return `${time.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}
