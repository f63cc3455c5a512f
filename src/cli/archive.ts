/**
 * Reading the history archive (src/history/archive-records.ts): the S3 objects of the hour folders
 * a window needs, their lines, and the events they make (a webhook and its delivery attempts).
 * {@link ArchiveApi} is the seam unit tests fill.
 */
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  ARCHIVE_PREFIXES,
  type ArchivedAttempt,
  type ArchivedWebhook,
  HISTORY_OUTPUTS,
  archiveObjectText,
  isGzip,
  parseArchiveLines,
  webhookIdOf,
} from '../history/archive-records';
import { ARCHIVE_PERMISSIONS, awsError, usageError } from './errors';
import { type AwsConfig, sdkClientConfig } from './lanes';
import type { Deployment } from './outputs';
import { archivePrefixes } from './time';

export interface ArchiveApi {
  /** Every key under `prefix`. */
  list(prefix: string): Promise<string[]>;
  /** The object's bytes. */
  get(key: string): Promise<Uint8Array>;
  close(): void;
}

/** The SDK's S3 client on the bucket; path-style addressing for a local endpoint (moto). */
export function awsArchiveApi(config: AwsConfig, bucket: string, pageSize?: number): ArchiveApi {
  const s3 = new S3Client({ ...sdkClientConfig(config), ...(config.endpoint ? { forcePathStyle: true } : {}) });
  return {
    list: async (prefix) => {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token, MaxKeys: pageSize }),
        );
        for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys;
    },
    get: async (key) => {
      const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Body ? Body.transformToByteArray() : new Uint8Array();
    },
    close: () => s3.destroy(),
  };
}

/**
 * The archive's bucket from the outputs. Missing output: a deployment older than the archive;
 * empty (or 0 days' retention): the archive is off.
 */
export function historyBucket(deployment: Deployment): string {
  const { outputs, origin } = deployment;
  const bucket = outputs[HISTORY_OUTPUTS.bucket];
  const days = outputs[HISTORY_OUTPUTS.retentionDays];
  if (bucket === undefined) {
    throw usageError(
      `${origin} has no ${HISTORY_OUTPUTS.bucket} output: this deployment predates the history archive; apply the stack from a webhook-pipeline version with it, then retry`,
    );
  }
  if (typeof bucket !== 'string' || bucket === '' || days === 0 || days === '0') {
    throw usageError(
      'the history archive is off (history_retention_days = 0): there is nothing to read; set history_retention_days (e.g. 30) and apply, and events are archived from then on',
    );
  }
  return bucket;
}

/**
 * An object's text, gunzipped if it is GZIP whatever its key says (Firehose compresses on AWS,
 * moto's objects can be plain); a series of GZIP members (one per record the writers packed) reads whole.
 */
export const objectText = archiveObjectText;
export { isGzip };

export interface ReadProgress {
  /** Called once the keys are listed, with how many objects will be read. */
  onObjects?(total: number): void;
  /** Called after each object is read. */
  onObject?(): void;
}

export interface ArchiveReadContext extends ReadProgress {
  readonly endpoint?: string;
  readonly bucket: string;
  /** Lines that are not JSON, with the key they were in (a torn write never stops a read). */
  onBadLine?(key: string, line: string): void;
  readonly concurrency?: number;
}

/** Runs `task` over `items`, `concurrency` at a time, keeping the results in order. */
export async function mapLimit<T, R>(items: readonly T[], concurrency: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/** The archive's window: webhooks received in [since, until] and their attempts from since to `attemptsUntil`. */
export interface ArchiveWindow {
  readonly since: Date;
  readonly until: Date;
  /** Attempts are read up to here (now): retries run up to days after the webhook. */
  readonly attemptsUntil: Date;
}

/**
 * Firehose files a line under the hour it *arrived*: a webhook received at 10:59 can be in the 11:00
 * folder (the processor's and Firehose's buffering). The folders after `until` are read this far.
 */
export const ARRIVAL_SLACK_MS = 3_600_000;

export interface ArchiveRecords {
  readonly webhooks: ArchivedWebhook[];
  readonly attempts: ArchivedAttempt[];
  /** How many objects were read. */
  readonly objects: number;
}

/** Every record of `kinds` under the window's folders (webhooks up to `until` + slack, attempts up to `attemptsUntil`). */
export async function readArchive(
  api: ArchiveApi,
  window: ArchiveWindow,
  context: ArchiveReadContext,
  kinds: readonly ('webhook' | 'attempt')[] = ['webhook', 'attempt'],
): Promise<ArchiveRecords> {
  const { concurrency = 16 } = context;
  const prefixes: string[] = [];
  if (kinds.includes('webhook')) {
    const end = new Date(
      Math.min(window.until.getTime() + ARRIVAL_SLACK_MS, Math.max(window.attemptsUntil.getTime(), window.until.getTime())),
    );
    prefixes.push(...archivePrefixes(ARCHIVE_PREFIXES.webhook, window.since, end));
  }
  if (kinds.includes('attempt')) prefixes.push(...archivePrefixes(ARCHIVE_PREFIXES.attempt, window.since, window.attemptsUntil));
  const doing = (what: string) => `${what} in the history bucket ${context.bucket}`;
  const keyLists = await mapLimit(prefixes, 8, (prefix) => guard(api.list(prefix), doing(`listing ${prefix}`), context.endpoint));
  const keys = keyLists.flat();
  context.onObjects?.(keys.length);
  const webhooks: ArchivedWebhook[] = [];
  const attempts: ArchivedAttempt[] = [];
  await mapLimit(keys, concurrency, async (key) => {
    const bytes = await guard(api.get(key), doing(`reading ${key}`), context.endpoint);
    let text: string;
    try {
      text = objectText(bytes);
    } catch {
      context.onBadLine?.(key, '(not GZIP nor text: the object could not be decompressed)');
      context.onObject?.();
      return;
    }
    for (const record of parseArchiveLines(text, (line) => context.onBadLine?.(key, line))) {
      if (record.kind === 'webhook') webhooks.push(record);
      else attempts.push(record);
    }
    context.onObject?.();
  });
  return { webhooks, attempts, objects: keys.length };
}

async function guard<T>(call: Promise<T>, doing: string, endpoint?: string): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw awsError(error, doing, endpoint, ARCHIVE_PERMISSIONS);
  }
}

/** What one destination's deliveries of an event came to, from its attempts. */
export const DELIVERY_STATUSES = ['delivered', 'failed', 'dead-lettered', 'pending'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** Attempts in the order they ended (`at`), then by attempt number. */
export const byTime = (a: ArchivedAttempt, b: ArchivedAttempt): number => a.at.localeCompare(b.at) || a.attempt - b.attempt;

/**
 * A destination's status from its attempts for one event: `delivered` if any attempt was; else by
 * the latest attempt, `dead-lettered` if it was `gone`, `unknown-destination` or a failed `last`
 * one, `failed` if it failed with retries left; `pending` with no attempt yet.
 */
export function deliveryStatus(attempts: readonly ArchivedAttempt[]): DeliveryStatus {
  if (attempts.length === 0) return 'pending';
  if (attempts.some((attempt) => attempt.outcome === 'delivered')) return 'delivered';
  const latest = [...attempts].sort(byTime)[attempts.length - 1];
  if (latest.outcome === 'failed' && !latest.last) return 'failed';
  return 'dead-lettered';
}

export interface DestinationHistory {
  readonly name: string;
  readonly status: DeliveryStatus;
  /** Its attempts, in time order. */
  readonly attempts: readonly ArchivedAttempt[];
}

/** One archived webhook with every attempt at every destination. */
export interface ArchivedEvent {
  readonly webhook: ArchivedWebhook;
  /** Its routed destinations, then any others attempts went to (a `replay --to` backfill), by name. */
  readonly destinations: readonly DestinationHistory[];
  /** Every attempt, in time order. */
  readonly attempts: readonly ArchivedAttempt[];
}

/** The key an event's webhook and its attempts share, whatever `webhook-id` a replay sent: source and delivery id. */
export const eventKey = (record: { source: string; delivery_id: string }): string => webhookIdOf(record.source, record.delivery_id);

const attemptKey = (a: ArchivedAttempt): string => `${a.webhook_id}\u0000${a.destination}\u0000${a.attempt}\u0000${a.at}\u0000${a.outcome}`;

/**
 * Joins webhooks with their attempts into events, oldest received first. Firehose delivers at least
 * once, so duplicate lines are dropped: a webhook by its id, an attempt by all it says.
 */
export function joinEvents(webhooks: readonly ArchivedWebhook[], attempts: readonly ArchivedAttempt[]): ArchivedEvent[] {
  const byKey = new Map<string, ArchivedAttempt[]>();
  const seen = new Set<string>();
  for (const attempt of attempts) {
    const unique = attemptKey(attempt);
    if (seen.has(unique)) continue;
    seen.add(unique);
    const key = eventKey(attempt);
    const list = byKey.get(key);
    if (list) list.push(attempt);
    else byKey.set(key, [attempt]);
  }
  const events = new Map<string, ArchivedEvent>();
  for (const webhook of webhooks) {
    const key = eventKey(webhook);
    if (events.has(key)) continue;
    const own = (byKey.get(key) ?? []).sort(byTime);
    const names = [...webhook.destinations];
    for (const attempt of own) if (!names.includes(attempt.destination)) names.push(attempt.destination);
    events.set(key, {
      webhook,
      attempts: own,
      destinations: names.map((name) => {
        const theirs = own.filter((attempt) => attempt.destination === name);
        return { name, status: deliveryStatus(theirs), attempts: theirs };
      }),
    });
  }
  return [...events.values()].sort(
    (a, b) => a.webhook.received_at.localeCompare(b.webhook.received_at) || eventKey(a.webhook).localeCompare(eventKey(b.webhook)),
  );
}

export interface EventFilters {
  readonly since: Date;
  readonly until: Date;
  readonly sources?: readonly string[];
  readonly types?: readonly string[];
  readonly destinations?: readonly string[];
  readonly statuses?: readonly DeliveryStatus[];
}

/**
 * The destinations of `event` the filters look at: those named by `--destination` (all without
 * it), narrowed to those in a `--status`.
 */
export function matchingDestinations(event: ArchivedEvent, filters: Pick<EventFilters, 'destinations' | 'statuses'>): DestinationHistory[] {
  return event.destinations.filter(
    (destination) =>
      (!filters.destinations?.length || filters.destinations.includes(destination.name)) &&
      (!filters.statuses?.length || filters.statuses.includes(destination.status)),
  );
}

/** Whether `event` passes every filter: received in the window, of a source and type, with a destination in a status. */
export function matchesEvent(event: ArchivedEvent, filters: EventFilters): boolean {
  const { webhook } = event;
  const received = Date.parse(webhook.received_at);
  if (!(received >= filters.since.getTime() && received <= filters.until.getTime())) return false;
  if (filters.sources?.length && !filters.sources.includes(webhook.source)) return false;
  if (filters.types?.length && !filters.types.includes(webhook.event_type ?? '')) return false;
  if (filters.destinations?.length || filters.statuses?.length) return matchingDestinations(event, filters).length > 0;
  return true;
}

/** Whether `id` names this event: its `webhook-id` (`<source>:<delivery id>`) or its delivery id alone. */
export const eventHasId = (event: ArchivedEvent, id: string): boolean =>
  event.webhook.webhook_id === id || eventKey(event.webhook) === id || event.webhook.delivery_id === id;

/** Reads `--status` values (comma-separated or repeated). */
export function parseStatuses(values: readonly string[] | undefined): DeliveryStatus[] | undefined {
  if (!values?.length) return undefined;
  const statuses = values
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter(Boolean);
  for (const status of statuses) {
    if (!(DELIVERY_STATUSES as readonly string[]).includes(status)) {
      throw usageError(`--status "${status}" is not a delivery status: use ${DELIVERY_STATUSES.join(', ')}`);
    }
  }
  return statuses as DeliveryStatus[];
}

/** Splits repeated and comma-separated option values. */
export const listOption = (values: readonly string[] | undefined): string[] | undefined => {
  const list = (values ?? [])
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter(Boolean);
  return list.length ? list : undefined;
};
