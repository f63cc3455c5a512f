import { gunzipSync } from 'node:zlib';

/**
 * The event archive's contract, shared by the writers (processor, dispatcher), the infrastructure
 * (Firehose prefixes, Glue tables) and the readers (the operator CLI, Athena): what one archived
 * line holds and where it lands in S3.
 *
 * Layout: each Firehose stream writes newline-delimited JSON, GZIP-compressed, under its prefix
 * followed by Firehose's own UTC arrival hour, `<prefix>YYYY/MM/DD/HH/<stream>-<n>-<time>-<uuid>.gz`.
 * The Glue tables project that hour as the partition `dt` (`yyyy/MM/dd/HH`), so Athena prunes by
 * time with no crawler and no partition to add.
 */

/** Bumped on any incompatible change to a line; readers skip lines of a version they do not know. */
export const ARCHIVE_RECORD_VERSION = 1;

/** S3 key prefix of each kind of line (Firehose appends `YYYY/MM/DD/HH/`). */
export const ARCHIVE_PREFIXES = { webhook: 'webhooks/', attempt: 'attempts/' } as const;
export type ArchiveKind = keyof typeof ARCHIVE_PREFIXES;

/** The Glue partition column both tables project from the key's hour. */
export const ARCHIVE_PARTITION_COLUMN = 'dt';
/** Its format, in Java's date pattern (partition projection) — the hour folders Firehose writes. */
export const ARCHIVE_PARTITION_FORMAT = 'yyyy/MM/dd/HH';

/** Stands in `webhook_id` when a replay sends an event as new (`--as-new`): `<source>:<delivery id>:replay-<replay id>`. */
export const REPLAY_ID_SEPARATOR = ':replay-';

/**
 * One accepted, first-seen webhook, written by the processor once it has routed it (duplicates
 * the processor drops are not archived again).
 */
export interface ArchivedWebhook {
  readonly v: typeof ARCHIVE_RECORD_VERSION;
  readonly kind: 'webhook';
  /** `<source>:<delivery id>`: the Standard Webhooks `webhook-id` every destination receives. */
  readonly webhook_id: string;
  readonly source: string;
  /** The provider's delivery id (`x-github-delivery`, Stripe's `evt_…`, …). */
  readonly delivery_id: string;
  readonly event_type: string | null;
  /** ISO-8601 time API Gateway received it. */
  readonly received_at: string;
  /** ISO-8601 time the processor handled it. */
  readonly processed_at: string;
  /** API Gateway's request id (the access log's `requestId`). */
  readonly request_id: string | null;
  /** The request headers API Gateway forwarded for the source's scheme, lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The provider's body, exactly as it arrived. */
  readonly body: string;
  /** The destinations its routes matched, to each of which one delivery was queued (empty: unrouted). */
  readonly destinations: readonly string[];
}

/**
 * What one delivery attempt ended in:
 * - `delivered`: the destination answered 2xx;
 * - `failed`: any other answer, a timeout or a network error; retried after the schedule's delay,
 *   unless `last` (then the next receive moves it to the lane's DLQ);
 * - `gone`: the destination answered 410; dead-lettered at once;
 * - `unknown-destination`: no such destination is configured; dead-lettered at once.
 */
export const ATTEMPT_OUTCOMES = ['delivered', 'failed', 'gone', 'unknown-destination'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

/** One delivery attempt to one destination, written by the dispatcher. */
export interface ArchivedAttempt {
  readonly v: typeof ARCHIVE_RECORD_VERSION;
  readonly kind: 'attempt';
  /** The `webhook-id` sent: `<source>:<delivery id>`, or the replay's own for `--as-new`. */
  readonly webhook_id: string;
  readonly source: string;
  readonly delivery_id: string;
  readonly event_type: string | null;
  readonly destination: string;
  /** 1 for the first attempt (SQS's receive count). */
  readonly attempt: number;
  readonly outcome: AttemptOutcome;
  /** Whether this was the schedule's last attempt: a `failed` one goes to the DLQ next. */
  readonly last: boolean;
  /** The destination's HTTP status, null when there was no answer. */
  readonly status: number | null;
  /** Why it failed (`http-503`, `timeout`, `network`, `missing-secret`, …); null when delivered. */
  readonly reason: string | null;
  /** Milliseconds the attempt took, null when nothing was sent. */
  readonly duration_ms: number | null;
  /** ISO-8601 time the attempt ended. */
  readonly at: string;
  /** The replay that sent it (`webhook-pipeline replay`), null for the pipeline's own deliveries. */
  readonly replay_id: string | null;
}

export type ArchiveRecord = ArchivedWebhook | ArchivedAttempt;

/** The `webhook-id` a source's delivery goes out with. */
export const webhookIdOf = (source: string, deliveryId: string): string => `${source}:${deliveryId}`;

/** One line of newline-delimited JSON (Athena's JSON SerDe reads one object per line). */
export const archiveLine = (record: ArchiveRecord): string => `${JSON.stringify(record)}\n`;

/**
 * Parses an archive object's text into its records, skipping blank lines and lines of another
 * version or kind; `onBadLine` hears of any line that is not JSON (a torn write never stops a read).
 */
export function parseArchiveLines(text: string, onBadLine?: (line: string, error: Error) => void): ArchiveRecord[] {
  const records: ArchiveRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const record = JSON.parse(line) as ArchiveRecord;
      if (record?.v === ARCHIVE_RECORD_VERSION && (record.kind === 'webhook' || record.kind === 'attempt')) records.push(record);
    } catch (error) {
      onBadLine?.(line, error as Error);
    }
  }
  return records;
}

/** Whether the bytes are GZIP (magic 1f 8b). */
export const isGzip = (bytes: Uint8Array): boolean => bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;

/**
 * An archive object's text. The writers GZIP each Firehose record, so on AWS an object is a series
 * of GZIP members (one GZIP file, which gunzip reads whole); anything else is read as UTF-8 text.
 */
export function archiveObjectText(bytes: Uint8Array): string {
  return Buffer.from(isGzip(bytes) ? gunzipSync(bytes) : bytes).toString('utf8');
}

/** The UTC hour folder (`YYYY/MM/DD/HH/`) Firehose files a record arriving at `time` under. */
export function archiveHourFolder(time: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${time.getUTCFullYear()}/${pad(time.getUTCMonth() + 1)}/${pad(time.getUTCDate())}/${pad(time.getUTCHours())}/`;
}

/**
 * The stack outputs the operator CLI reads the archive by (WebhookPipelineStack sets them; a user's
 * own stack exposing `WebhookPipeline.history` can set the same names).
 */
export const HISTORY_OUTPUTS = {
  /** S3 bucket holding `webhooks/` and `attempts/`; empty when the archive is off. */
  bucket: 'history_bucket',
  /** Glue database with the `webhooks` and `attempts` tables. */
  glueDatabase: 'history_glue_database',
  /** Athena workgroup whose results land in the bucket's `athena-results/`. */
  athenaWorkgroup: 'history_athena_workgroup',
  /** IAM policy an operator attaches to read the archive, replay and redrive. */
  operatorPolicyArn: 'history_operator_policy_arn',
  /** Days an archived line is kept (0: no archive). */
  retentionDays: 'history_retention_days',
} as const;

/** The Glue tables' names in {@link HISTORY_OUTPUTS.glueDatabase}. */
export const ARCHIVE_TABLES = { webhook: 'webhooks', attempt: 'attempts' } as const;
