/**
 * `replay`: archived events sent again to delivery lanes as DeliveryEvent messages, with a replay
 * id in each and a journal so an interrupted replay, run again, sends only what it had not sent.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPLAY_ID_SEPARATOR } from '../history/archive-records';
import { usageError } from './errors';
import { type ArchivedEvent, eventKey } from './archive';

/** Where replays keep their journals, under the working directory. */
export const JOURNAL_DIR = path.join('.webhook-pipeline', 'replays');
const REPLAY_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** A replay id a user passes: letters, digits, `-` and `_` (it names a file and goes into a webhook-id). */
export function checkReplayId(id: string): string {
  if (!REPLAY_ID.test(id)) throw usageError(`--replay-id "${id}": use 1 to 64 letters, digits, - or _ (it names the journal file)`);
  return id;
}

/** One message a replay sends: an event to a destination. */
export interface ReplayMessage {
  readonly event: ArchivedEvent;
  readonly destination: string;
  /** The `webhook-id` the destination receives. */
  readonly webhookId: string;
  /** The DeliveryEvent's JSON. */
  readonly body: string;
}

/** The journal's key for one message: the event and the destination. */
export const journalKey = (message: { event: ArchivedEvent; destination: string }): string =>
  `${eventKey(message.event.webhook)}\u0000${message.destination}`;

/**
 * The default replay id: a hash of what is selected (each event and destination, and `--as-new`),
 * so the same selection run again finds its journal.
 */
export function selectionId(targets: ReadonlyArray<{ event: ArchivedEvent; destination: string }>, asNew: boolean): string {
  const hash = createHash('sha256');
  hash.update(asNew ? 'as-new\n' : 'same-id\n');
  for (const key of targets.map(journalKey).sort()) hash.update(`${key}\n`);
  return `r-${hash.digest('hex').slice(0, 12)}`;
}

/** The DeliveryEvent (version 2) that sends `event` to `destination` again, with the replay's id. */
export function replayMessage(event: ArchivedEvent, destination: string, replayId: string, asNew: boolean): ReplayMessage {
  const { webhook } = event;
  const webhookId = asNew ? `${eventKey(webhook)}${REPLAY_ID_SEPARATOR}${replayId}` : webhook.webhook_id;
  const body = JSON.stringify({
    version: 2,
    destination,
    id: webhook.delivery_id,
    source: webhook.source,
    // The dispatcher takes a non-empty type; the processor's own word for none is `unknown`.
    type: webhook.event_type || 'unknown',
    receivedAt: webhook.received_at,
    processedAt: webhook.processed_at,
    requestId: webhook.request_id,
    body: webhook.body,
    ...(asNew ? { webhookId } : {}),
    replayId,
  });
  return { event, destination, webhookId, body };
}

export interface JournalLine {
  readonly key: string;
  readonly webhookId: string;
  readonly destination: string;
  readonly messageId?: string;
  readonly sentAt: string;
}

/** A replay's journal: what it has sent, one JSON line per message, appended after each send. */
export class Journal {
  readonly file: string;
  private readonly sent = new Set<string>();

  constructor(cwd: string, replayId: string) {
    this.file = path.join(cwd, JOURNAL_DIR, `${replayId}.jsonl`);
    let text = '';
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw usageError(`the replay journal ${this.file} cannot be read`, error);
    }
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const entry = JSON.parse(line) as Partial<JournalLine>;
        if (typeof entry.key === 'string') this.sent.add(entry.key);
      } catch {
        // A line torn by an interrupted append: its message is sent again, which receivers de-duplicate.
      }
    }
  }

  has(key: string): boolean {
    return this.sent.has(key);
  }

  get size(): number {
    return this.sent.size;
  }

  /** Records sent messages; the file is created on the first one. */
  append(lines: readonly JournalLine[]): void {
    if (lines.length === 0) return;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.appendFileSync(this.file, lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
    for (const line of lines) this.sent.add(line.key);
  }
}
