/** Archive lines, an in-memory S3 bucket and in-memory SQS queues for the history commands' tests. */
import { gzipSync } from 'node:zlib';
import type { ArchiveApi } from '../../src/cli/archive';
import type { Attribute, OutgoingMessage, QueueApi, ReceivedMessage } from '../../src/cli/queues';
import { type ArchivedAttempt, type ArchivedWebhook, archiveHourFolder, archiveLine } from '../../src/history/archive-records';

export function webhook(source: string, id: string, receivedAt: string, overrides: Partial<ArchivedWebhook> = {}): ArchivedWebhook {
  return {
    v: 1,
    kind: 'webhook',
    webhook_id: `${source}:${id}`,
    source,
    delivery_id: id,
    event_type: 'push',
    received_at: receivedAt,
    processed_at: new Date(Date.parse(receivedAt) + 500).toISOString(),
    request_id: `req-${id}`,
    headers: { 'content-type': 'application/json', 'x-github-delivery': id },
    body: JSON.stringify({ id, n: 1 }),
    destinations: ['billing'],
    ...overrides,
  };
}

export function attempt(
  of: ArchivedWebhook,
  destination: string,
  n: number,
  at: string,
  overrides: Partial<ArchivedAttempt> = {},
): ArchivedAttempt {
  return {
    v: 1,
    kind: 'attempt',
    webhook_id: of.webhook_id,
    source: of.source,
    delivery_id: of.delivery_id,
    event_type: of.event_type,
    destination,
    attempt: n,
    outcome: 'delivered',
    last: false,
    status: 200,
    reason: null,
    duration_ms: 42,
    at,
    replay_id: null,
    ...overrides,
  };
}

/** The key Firehose would write a record to: its hour folder by `at` (an attempt) or `processed_at` (a webhook). */
export function keyFor(record: ArchivedWebhook | ArchivedAttempt, name: string, gzip = false): string {
  const time = record.kind === 'webhook' ? record.processed_at : record.at;
  const prefix = record.kind === 'webhook' ? 'webhooks/' : 'attempts/';
  return `${prefix}${archiveHourFolder(new Date(time))}${name}${gzip ? '.gz' : ''}`;
}

/** Objects for these records, grouped by hour folder; every other object gzipped. */
export function objectsFor(records: ReadonlyArray<ArchivedWebhook | ArchivedAttempt>): Map<string, Uint8Array> {
  const byKey = new Map<string, string>();
  let n = 0;
  for (const record of records) {
    const folderKey = keyFor(record, 'x');
    const existing = [...byKey.keys()].find((key) => key.startsWith(folderKey.slice(0, -1)));
    const key = existing ?? keyFor(record, `stream-${n++}`, n % 2 === 0);
    byKey.set(key, (byKey.get(key) ?? '') + archiveLine(record));
  }
  return new Map([...byKey].map(([key, text]) => [key, key.endsWith('.gz') ? gzipSync(text) : Buffer.from(text)]));
}

export interface FakeArchive extends ArchiveApi {
  readonly listed: string[];
  readonly read: string[];
  closed: number;
}

export function fakeArchive(objects: Map<string, Uint8Array>, fail?: Error): FakeArchive {
  const archive: FakeArchive = {
    listed: [],
    read: [],
    closed: 0,
    list: async (prefix) => {
      if (fail) throw fail;
      archive.listed.push(prefix);
      return [...objects.keys()].filter((key) => key.startsWith(prefix)).sort();
    },
    get: async (key) => {
      archive.read.push(key);
      return objects.get(key) as Uint8Array;
    },
    close: () => {
      archive.closed++;
    },
  };
  return archive;
}

interface Stored {
  readonly messageId: string;
  readonly body: string;
  readonly attributes: Record<string, Attribute>;
  readonly sentAt: number;
  receiveCount: number;
  hiddenUntil: number;
  receipt: string;
}

export interface FakeQueues extends QueueApi {
  /** Queue URL → its messages. */
  readonly queues: Map<string, Stored[]>;
  put(url: string, body: string, options?: { attributes?: Record<string, Attribute>; sentAt?: number }): void;
  bodies(url: string): string[];
  /** Makes the next sends fail: `entries` rejects entries whose body contains the text, `call` throws. */
  failSends?: { entries?: string; call?: Error };
  readonly sends: Array<{ url: string; messages: readonly OutgoingMessage[]; at: number }>;
  closed: number;
}

/** SQS in memory: visibility timeouts on a clock, receive counts, receipts that go stale when a message is received again. */
export function fakeQueues(now: () => number = Date.now): FakeQueues {
  let ids = 0;
  const get = (url: string): Stored[] => {
    if (!fake.queues.has(url)) throw Object.assign(new Error('The specified queue does not exist.'), { name: 'QueueDoesNotExist' });
    return fake.queues.get(url) as Stored[];
  };
  const fake: FakeQueues = {
    queues: new Map(),
    sends: [],
    closed: 0,
    put: (url, body, options = {}) => {
      if (!fake.queues.has(url)) fake.queues.set(url, []);
      const messageId = `m-${++ids}`;
      fake.queues.get(url)!.push({
        messageId,
        body,
        attributes: options.attributes ?? {},
        sentAt: options.sentAt ?? now(),
        receiveCount: 0,
        hiddenUntil: 0,
        receipt: '',
      });
    },
    bodies: (url) => (fake.queues.get(url) ?? []).map((m) => m.body),
    sendBatch: async (url, messages) => {
      if (fake.failSends?.call) throw fake.failSends.call;
      const queue = get(url);
      fake.sends.push({ url, messages, at: now() });
      const ok: string[] = [];
      const failed: { id: string; reason: string }[] = [];
      for (const m of messages) {
        if (fake.failSends?.entries && m.body.includes(fake.failSends.entries)) {
          failed.push({ id: m.id, reason: 'InternalError: try again' });
          continue;
        }
        queue.push({
          messageId: `m-${++ids}`,
          body: m.body,
          attributes: { ...m.attributes },
          sentAt: now(),
          receiveCount: 0,
          hiddenUntil: 0,
          receipt: '',
        });
        ok.push(m.id);
      }
      return { ok, failed };
    },
    receive: async (url, visibility) => {
      const out: ReceivedMessage[] = [];
      for (const m of get(url)) {
        if (out.length === 10) break;
        if (m.hiddenUntil > now()) continue;
        m.receiveCount++;
        m.hiddenUntil = now() + visibility * 1000;
        m.receipt = `r-${m.messageId}-${m.receiveCount}`;
        out.push({
          messageId: m.messageId,
          receiptHandle: m.receipt,
          body: m.body,
          attributes: m.attributes,
          sentAt: m.sentAt,
          receiveCount: m.receiveCount,
        });
      }
      return out;
    },
    deleteBatch: async (url, entries) => {
      const queue = get(url);
      const ok: string[] = [];
      const failed: { id: string; reason: string }[] = [];
      for (const entry of entries) {
        const index = queue.findIndex((m) => m.receipt === entry.receiptHandle);
        if (index < 0) failed.push({ id: entry.id, reason: 'ReceiptHandleIsInvalid' });
        else {
          queue.splice(index, 1);
          ok.push(entry.id);
        }
      }
      return { ok, failed };
    },
    changeVisibilityBatch: async (url, entries, seconds) => {
      const queue = get(url);
      for (const entry of entries) {
        const m = queue.find((candidate) => candidate.receipt === entry.receiptHandle);
        if (m) m.hiddenUntil = now() + seconds * 1000;
      }
      return { ok: entries.map((e) => e.id), failed: [] };
    },
    visibleCount: async (url) => get(url).filter((m) => m.hiddenUntil <= now()).length,
    close: () => {
      fake.closed++;
    },
  };
  return fake;
}
