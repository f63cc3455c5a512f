/**
 * The `events`, `replay` and `dlq` commands on commander: the history archive read back, events
 * sent again, dead-letter queues peeked at and redriven.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { ArchivedAttempt } from '../history/archive-records';
import {
  type ArchiveApi,
  type ArchivedEvent,
  DELIVERY_STATUSES,
  type EventFilters,
  awsArchiveApi,
  eventHasId,
  historyBucket,
  joinEvents,
  listOption,
  mapLimit,
  matchesEvent,
  parseStatuses,
  readArchive,
} from './archive';
import {
  type DlqFilters,
  type DlqSource,
  STAGES,
  dlqSources,
  lastFailure,
  latestAttempts,
  matchesDlqMessage,
  messageInfo,
  parseStatusFilters,
  redriveTarget,
  sourceLabel,
} from './dlq';
import { CliError, QUEUE_PERMISSIONS, awsError, runtimeError, usageError } from './errors';
import { type DlqRow, dlqJson, dlqTable, eventDetail, eventJson, eventsTable } from './history-format';
import type { DeliveryLane } from './outputs';
import type { CliIo, GlobalOptions, Resolved } from './program';
import { type CountProgress, countProgress, silentCount } from './progress';
import { type OutgoingMessage, type QueueApi, type ReceivedMessage, awsQueueApi, chunks, pacer } from './queues';
import { Journal, type JournalLine, type ReplayMessage, checkReplayId, journalKey, replayMessage, selectionId } from './replay';
import { parseTime, timeWindow } from './time';

export interface HistoryContext {
  readonly io: CliIo;
  print(text: string): void;
  json(document: unknown): void;
  resolve(options: GlobalOptions, needs?: { lanes: boolean }): Promise<Resolved>;
  laneNamed(lanes: readonly DeliveryLane[], name: string): DeliveryLane;
  verbose(options: GlobalOptions, line: string): void;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const DEFAULT_LIMIT = 100;
/** SendMessageBatch takes 10 entries and 256 KiB in all; a little under, for the request's own bytes. */
const BATCH_ENTRIES = 10;
const BATCH_BYTES = 250_000;
/** `dlq list` hides what it reads this long while it reads on, then shows it again at once. */
const PEEK_VISIBILITY_SECONDS = 60;
/** `dlq redrive` hides what it reads this long: the read, the archive and the sends happen inside it. */
const REDRIVE_VISIBILITY_SECONDS = 300;
/** A receive waits this long for messages: long polling asks every SQS server, so an empty answer means empty. */
const RECEIVE_WAIT_SECONDS = 1;
/** Batches a replay has in flight at once when it is not paced. */
const SEND_CONCURRENCY = 8;

interface FilterOptions {
  readonly since?: string;
  readonly until?: string;
  readonly source?: string[];
  readonly type?: string[];
  readonly destination?: string[];
  readonly status?: string[];
  readonly limit?: number;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number from 1');
  return n;
}

function positiveRate(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 3_000) throw new InvalidArgumentError('messages per second, more than 0 and at most 3000');
  return n;
}

/** The filter options `events list` and `replay` share. */
function addEventFilters(command: Command, defaultSince: string): Command {
  return command
    .option('--since <time>', `received at or after: an ISO time or a duration ago, e.g. 2h, 7d (default: ${defaultSince})`)
    .option('--until <time>', 'received at or before (default: now)')
    .option('--source <name>', 'only this source (repeatable, or comma-separated)', collect)
    .option('--type <type>', 'only this event type (repeatable, or comma-separated)', collect)
    .option('--destination <name>', 'only events routed to (or attempted at) this destination (repeatable)', collect)
    .addOption(
      new Option(
        '--status <status>',
        `only events with a destination in this status: ${DELIVERY_STATUSES.join(', ')} (repeatable)`,
      ).argParser(collect),
    );
}

const EXAMPLES = {
  events: `
Every webhook the processor accepted is archived (history_retention_days > 0) with every delivery
attempt at every destination. These commands read the archive's S3 bucket (the history_bucket
output): only the hour folders the window needs, and attempts from the window's start to now.

Examples:
  $ webhook-pipeline events list --since 2h
  $ webhook-pipeline events list --source github --status failed,dead-lettered
  $ webhook-pipeline events show github:72d3162e-cc78-11e3-81ab-4c9367dc0958`,
  list: `
Status, per destination, from the event's attempts: delivered (an attempt was), failed (the latest
failed, retries are left), dead-lettered (410 Gone, an unknown destination, or the last attempt
failed: the delivery is in the lane's DLQ), pending (no attempt yet). --status and --destination
match an event if one of its destinations does. Events are listed oldest first; --limit keeps the
most recent.

Examples:
  $ webhook-pipeline events list
  $ webhook-pipeline events list --since 7d --destination billing --status dead-lettered
  $ webhook-pipeline events list --since 2026-01-02T10:00Z --until 2026-01-02T12:00Z --type push
  $ webhook-pipeline events list --json | jq '.events[].webhookId'
  $ webhook-pipeline events list --jsonl --limit 1000 > events.jsonl`,
  show: `
ID is a webhook-id (<source>:<delivery id>, what destinations receive) or a provider's delivery id.
Prints the headers and body as they arrived and every attempt at every destination in time order.

Examples:
  $ webhook-pipeline events show github:72d3162e-cc78-11e3-81ab-4c9367dc0958
  $ webhook-pipeline events show evt_1NG8Du2eZvKYlo2CwKiT7bkW --since 30d --json`,
  replay: `
Sends archived events to their destinations' lanes again, as the processor did. By default each
event goes to the destinations it was routed to (narrowed to --destination and --status if given),
with its own webhook-id, so receivers that de-duplicate drop what they already have. --to sends to
other destinations instead (a backfill). --as-new gives each message a new webhook-id,
<source>:<id>:replay-<replay id>, so receivers take it as a new event.

Each replay has an id (--replay-id, else a hash of the selection, printed) and a journal,
.webhook-pipeline/replays/<id>.jsonl under the current folder, with a line per message sent.
Running the same replay again skips what the journal holds: an interrupted replay resumes.

Examples:
  $ webhook-pipeline replay github:72d3162e-cc78-11e3-81ab-4c9367dc0958
  $ webhook-pipeline replay --since 6h --destination billing --status dead-lettered --dry-run
  $ webhook-pipeline replay --since 7d --source stripe --to analytics --rate 20
  $ webhook-pipeline replay --since 2h --as-new --replay-id incident-42`,
  dlq: `
The pipeline's dead-letter queues: each destination's lane DLQ (--destination NAME) and the
stages' (--stage ingest|process|deliver). A message's last failure comes from the history
archive's latest attempt for its webhook and destination, else the dispatcher's reason attribute.

Examples:
  $ webhook-pipeline dlq list
  $ webhook-pipeline dlq list --destination billing --status 5xx
  $ webhook-pipeline dlq redrive --destination billing --status 503 --dry-run
  $ webhook-pipeline dlq redrive --stage process`,
  dlqList: `
Peeks: the messages are received (hidden ${PEEK_VISIBILITY_SECONDS} s while the read goes on), then made
visible again; none is deleted. They stay in their DLQs, and each one's receive count grows by 1.
Without --destination or --stage, every lane's DLQ and every stage's.

Filters: --status 5xx, 4xx, a code (503), timeout or network; --reason http-503, destination-gone,
…; --since/--until on when the message was sent (SentTimestamp).

Examples:
  $ webhook-pipeline dlq list
  $ webhook-pipeline dlq list --destination billing --destination crm --since 1d
  $ webhook-pipeline dlq list --stage deliver --reason destination-gone --json`,
  dlqRedrive: `
Sends each matching message, body and attributes unchanged, back to the queue it came from: a
lane's DLQ to the lane, the deliver DLQ to the lane of its destination (else the deliver queue),
process and ingest to their queues. It is deleted from the DLQ only once the send succeeded.
Messages that do not match the filters are left in the DLQ (visible again at once). Fix the
cause first: a redriven delivery starts its retry schedule again.

Examples:
  $ webhook-pipeline dlq redrive --destination billing --dry-run
  $ webhook-pipeline dlq redrive --destination billing --status 5xx --since 2026-01-02 --rate 10
  $ webhook-pipeline dlq redrive --stage ingest --stage process`,
};

export function addHistoryCommands(program: Command, context: HistoryContext): void {
  const { io, print, json } = context;
  const now = () => (io.now ?? Date.now)();
  const sleep = io.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const progressFor = (options: GlobalOptions, label: string): CountProgress =>
    options.json ? silentCount : countProgress(io.stderr, label);
  const warn = (line: string) => io.stderr.write(`${line}\n`);

  /** Reads the archive for `window` and joins its events, with a progress bar and a word on bad lines. */
  const loadEvents = async (
    options: GlobalOptions,
    resolved: Resolved,
    window: { since: Date; until: Date },
  ): Promise<{ events: ArchivedEvent[]; objects: number }> => {
    const bucket = historyBucket(resolved.deployment);
    context.verbose(options, `archive: s3://${bucket}`);
    const api: ArchiveApi = (io.archiveApi ?? awsArchiveApi)(resolved.config, bucket);
    const progress = progressFor(options, 'reading the archive');
    let badLines = 0;
    try {
      const records = await readArchive(
        api,
        { ...window, attemptsUntil: new Date(Math.max(now(), window.until.getTime())) },
        {
          bucket,
          endpoint: resolved.endpoint,
          onObjects: (total) => progress.total(total),
          onObject: () => progress.increment(),
          onBadLine: (key) => {
            badLines++;
            context.verbose(options, `archive: skipped a line of ${key} that is not JSON`);
          },
        },
      );
      progress.stop();
      if (badLines)
        warn(`note: ${badLines} archive line${badLines === 1 ? ' was' : 's were'} not JSON and skipped (--verbose names the objects)`);
      return { events: joinEvents(records.webhooks, records.attempts), objects: records.objects };
    } finally {
      progress.stop();
      api.close();
    }
  };

  const eventFilters = (opts: FilterOptions, window: { since: Date; until: Date }): EventFilters => ({
    ...window,
    sources: listOption(opts.source),
    types: listOption(opts.type),
    destinations: listOption(opts.destination),
    statuses: parseStatuses(opts.status),
  });

  // ----- events -----
  const events = program.command('events').description('Read the history archive: accepted webhooks and their delivery attempts.');
  events.addHelpText('after', EXAMPLES.events);

  addEventFilters(events.command('list').description('List archived events in a time window, with each destination’s status.'), '24h ago')
    .option('--limit <n>', `show at most the n most recent (default: ${DEFAULT_LIMIT})`, positiveInteger)
    .option('--jsonl', 'print one JSON object per event, a line each (for jq, or a file)')
    .addHelpText('after', EXAMPLES.list)
    .action(async (_options: object, command: Command) => {
      const options = command.optsWithGlobals<GlobalOptions & FilterOptions & { jsonl?: boolean }>();
      const window = timeWindow(options, now(), DAY_MS);
      const filters = eventFilters(options, window);
      const resolved = await context.resolve(options, { lanes: false });
      const { events: all, objects } = await loadEvents(options, resolved, window);
      const matched = all.filter((event) => matchesEvent(event, filters));
      const limit = options.limit ?? DEFAULT_LIMIT;
      const shown = matched.slice(-limit);
      if (options.jsonl) {
        for (const event of shown) io.stdout.write(`${JSON.stringify(eventJson(event))}\n`);
      } else if (options.json) {
        json({
          since: window.since.toISOString(),
          until: window.until.toISOString(),
          matched: matched.length,
          shown: shown.length,
          events: shown.map((event) => eventJson(event)),
        });
      } else {
        if (shown.length) print(eventsTable(shown));
        const range = `received ${window.since.toISOString()} – ${window.until.toISOString()}`;
        const cut = shown.length < matched.length ? `; showing the ${shown.length} most recent (--limit)` : '';
        print(`${matched.length} event${matched.length === 1 ? '' : 's'} matched, ${range}${cut} (${objects} archive objects read)`);
      }
    });

  events
    .command('show <id>')
    .description('One event in full: headers, body, and every attempt at every destination.')
    .option('--since <time>', 'how far back to look: an ISO time or a duration ago (default: 7d)')
    .addHelpText('after', EXAMPLES.show)
    .action(async (id: string, _options: object, command: Command) => {
      const options = command.optsWithGlobals<GlobalOptions & { since?: string }>();
      const window = timeWindow({ since: options.since }, now(), 7 * DAY_MS);
      const resolved = await context.resolve(options, { lanes: false });
      const { events: all } = await loadEvents(options, resolved, window);
      const found = all.filter((event) => eventHasId(event, id));
      if (found.length === 0) {
        throw usageError(
          `no webhook "${id}" archived since ${window.since.toISOString()}: check the id (<source>:<delivery id>), or look further back with --since 30d`,
        );
      }
      if (options.json) json({ events: found.map((event) => eventJson(event, true)) });
      else print(found.map(eventDetail).join('\n'));
    });

  // ----- replay -----
  addEventFilters(
    program
      .command('replay [ids...]')
      .description('Send archived events to delivery lanes again: by id, or every event the filters match.'),
    '24h ago; 7d with ids',
  )
    .option('--limit <n>', 'replay at most the n most recent events matched', positiveInteger)
    .option('--to <name>', 'send to this destination instead of the events’ own (repeatable): a backfill', collect)
    .option('--as-new', 'give each message a new webhook-id (<source>:<id>:replay-<replay id>), so receivers do not de-duplicate it')
    .option('--dry-run', 'print what would be sent, send nothing')
    .option('--rate <n>', 'send at most n messages per second (default: as fast as SQS takes them)', positiveRate)
    .option('--replay-id <id>', 'the replay’s id, which names its journal (default: a hash of the selection)', checkReplayId)
    .addHelpText('after', EXAMPLES.replay)
    .action(async (ids: string[], _options: object, command: Command) => {
      const options = command.optsWithGlobals<
        GlobalOptions & FilterOptions & { to?: string[]; asNew?: boolean; dryRun?: boolean; rate?: number; replayId?: string }
      >();
      const window = timeWindow(options, now(), ids.length ? 7 * DAY_MS : DAY_MS);
      const filters = eventFilters(options, window);
      const resolved = await context.resolve(options);
      const to = listOption(options.to)?.map((name) => context.laneNamed(resolved.lanes, name));
      const { events: all } = await loadEvents(options, resolved, window);
      let selected = all.filter((event) => matchesEvent(event, filters));
      if (ids.length) {
        const missing = ids.filter((id) => !selected.some((event) => eventHasId(event, id)));
        if (missing.length) {
          throw usageError(
            `not in the archive since ${window.since.toISOString()}${filters.sources || filters.types || filters.destinations || filters.statuses ? ' (with these filters)' : ''}: ${missing.join(', ')}; check the ids, or look further back with --since`,
          );
        }
        selected = selected.filter((event) => ids.some((id) => eventHasId(event, id)));
      }
      if (options.limit !== undefined) selected = selected.slice(-options.limit);

      const targets = selected.flatMap((event) => {
        const names = to
          ? to.map((lane) => lane.name)
          : event.destinations
              .filter(
                (d) =>
                  (filters.destinations ? filters.destinations.includes(d.name) : event.webhook.destinations.includes(d.name)) &&
                  (!filters.statuses || filters.statuses.includes(d.status)),
              )
              .map((d) => d.name);
        return names.map((destination) => ({ event, destination }));
      });
      const asNew = options.asNew === true;
      const replayId = options.replayId ?? selectionId(targets, asNew);
      const journal = new Journal(io.cwd, replayId);
      const laneOf = new Map(resolved.lanes.map((lane) => [lane.name, lane]));

      type Planned = ReplayMessage & { queueUrl?: string; state: 'send' | 'skipped' | 'no-lane' | 'sent' | 'failed' };
      const planned: Planned[] = targets.map(({ event, destination }) => {
        const message = replayMessage(event, destination, replayId, asNew);
        const queueUrl = laneOf.get(destination)?.queueUrl;
        const state = !queueUrl ? 'no-lane' : journal.has(journalKey(message)) ? 'skipped' : 'send';
        return { ...message, ...(queueUrl ? { queueUrl } : {}), state };
      });
      const noLane = planned.filter((m) => m.state === 'no-lane');
      const skipped = planned.filter((m) => m.state === 'skipped').length;
      for (const name of new Set(noLane.map((m) => m.destination))) {
        warn(
          `note: ${name} has no delivery lane in this deployment (removed?): its ${noLane.filter((m) => m.destination === name).length} messages are not sent`,
        );
      }
      const toSend = planned.filter((m) => m.state === 'send');
      const head = `replay ${replayId}: ${selected.length} event${selected.length === 1 ? '' : 's'}, ${planned.length} message${planned.length === 1 ? '' : 's'}`;
      if (!options.json) print(`${head}${options.dryRun ? ' (dry run: nothing is sent)' : ''}; journal ${journal.file}`);

      let failed = 0;
      if (!options.dryRun && toSend.length) {
        const progress = progressFor(options, `replay ${replayId}`);
        progress.total(toSend.length);
        const pace = pacer(options.rate, now, sleep);
        const batchSize = options.rate ? Math.max(1, Math.min(BATCH_ENTRIES, Math.floor(options.rate))) : BATCH_ENTRIES;
        const queue = io.queueApi ?? awsQueueApi;
        const api: QueueApi = queue(resolved.config);
        let sent = 0;
        let stopped: CliError | undefined;
        const jobs = [...new Set(toSend.map((m) => m.queueUrl as string))].flatMap((url) =>
          sizedBatches(
            toSend.filter((m) => m.queueUrl === url),
            batchSize,
            (m) => m.body.length,
          ).map((batch) => ({ url, batch })),
        );
        /** One batch: sent, its accepted messages journaled at once, the refused ones counted. */
        const sendJob = async ({ url, batch }: (typeof jobs)[number]): Promise<void> => {
          if (stopped) return;
          await pace.wait(batch.length);
          let result;
          try {
            result = await api.sendBatch(
              url,
              batch.map((m, i) => ({ id: String(i), body: m.body })),
            );
          } catch (error) {
            const cause = awsError(error, `sending to ${batch[0].destination}'s lane ${url}`, resolved.endpoint, QUEUE_PERMISSIONS);
            stopped ??= new CliError(
              `${cause.message}; what was sent before it (${sent}) is in the journal: run the same command with --replay-id ${replayId} to send the rest`,
              cause.exitCode,
              { cause: error },
            );
            return;
          }
          const ok = new Set(result.ok);
          const lines: JournalLine[] = [];
          batch.forEach((m, i) => {
            if (ok.has(String(i))) {
              m.state = 'sent';
              lines.push({ key: journalKey(m), webhookId: m.webhookId, destination: m.destination, sentAt: new Date(now()).toISOString() });
            } else {
              m.state = 'failed';
              const reason = result.failed.find((f) => f.id === String(i))?.reason ?? 'not accepted';
              warn(`failed: ${m.webhookId} → ${m.destination}: ${reason}`);
            }
          });
          journal.append(lines);
          sent += lines.length;
          failed += batch.length - lines.length;
          progress.increment(batch.length);
        };
        try {
          // Paced, one batch at a time; unpaced, a few in flight (SQS takes each in tens of milliseconds).
          await mapLimit(jobs, options.rate ? 1 : SEND_CONCURRENCY, sendJob);
          if (stopped) throw stopped;
        } finally {
          progress.stop();
          api.close();
        }
      }

      const counts = {
        matched: planned.length,
        sent: planned.filter((m) => m.state === 'sent').length,
        skipped,
        failed,
        noLane: noLane.length,
      };
      if (options.json) {
        json({
          replayId,
          journal: journal.file,
          dryRun: options.dryRun === true,
          asNew,
          events: selected.length,
          ...counts,
          messages: planned.map((m) => ({
            webhookId: m.webhookId,
            destination: m.destination,
            queueUrl: m.queueUrl ?? null,
            state: options.dryRun && m.state === 'send' ? 'would-send' : m.state,
            ...(options.dryRun ? { body: JSON.parse(m.body) as unknown } : {}),
          })),
        });
      } else {
        if (options.dryRun) {
          for (const m of planned) {
            const what = m.state === 'send' ? 'would send' : m.state === 'skipped' ? 'skip (sent)' : 'no lane';
            print(
              `  ${what}  ${m.webhookId} → ${m.destination}  (${m.event.webhook.event_type ?? '-'}, received ${m.event.webhook.received_at})`,
            );
          }
        }
        const verb = options.dryRun ? `would send ${toSend.length}` : `sent ${counts.sent}`;
        const skipNote = skipped ? ` (already sent: in the journal of ${replayId})` : '';
        const laneNote = counts.noLane ? `, no lane ${counts.noLane}` : '';
        print(`replay ${replayId}: matched ${counts.matched}, ${verb}, skipped ${skipped}${skipNote}, failed ${failed}${laneNote}`);
      }
      if (failed)
        throw runtimeError(
          `${failed} message${failed === 1 ? ' was' : 's were'} not sent; run the same command with --replay-id ${replayId} to retry them`,
        );
    });

  // ----- dlq -----
  const dlq = program.command('dlq').description('Peek at and redrive the dead-letter queues: each lane’s and the stages’.');
  dlq.addHelpText('after', EXAMPLES.dlq);

  interface DlqOptions extends GlobalOptions {
    readonly destination?: string[];
    readonly stage?: string[];
    readonly status?: string[];
    readonly reason?: string[];
    readonly since?: string;
    readonly until?: string;
    readonly dryRun?: boolean;
    readonly rate?: number;
  }

  const addDlqOptions = (command: Command): Command =>
    command
      .option('--destination <name>', 'the DLQ of this destination’s lane (repeatable)', collect)
      .addOption(new Option('--stage <stage>', `the DLQ of this stage: ${STAGES.join(', ')} (repeatable)`).argParser(collect))
      .option('--status <status>', 'the last failure’s status: 5xx, 4xx, a code (503), timeout or network (repeatable)', collect)
      .option('--reason <reason>', 'the last failure’s reason: http-503, timeout, destination-gone, … (repeatable)', collect)
      .option('--since <time>', 'sent to the queue at or after: an ISO time or a duration ago (SentTimestamp)')
      .option('--until <time>', 'sent to the queue at or before');

  /** Receives every message of a DLQ, hidden `visibility` seconds; a message seen again (its visibility ran out) ends the read. */
  const receiveAll = async (api: QueueApi, source: DlqSource, visibility: number, progress: CountProgress, endpoint?: string) => {
    const seen = new Map<string, ReceivedMessage>();
    for (;;) {
      let batch: ReceivedMessage[];
      try {
        batch = await api.receive(source.url, visibility, RECEIVE_WAIT_SECONDS);
      } catch (error) {
        throw awsError(error, `reading ${sourceLabel(source)}'s DLQ ${source.url}`, endpoint, QUEUE_PERMISSIONS);
      }
      const fresh = batch.filter((m) => !seen.has(m.messageId));
      for (const m of batch) seen.set(m.messageId, m);
      progress.increment(fresh.length);
      if (fresh.length === 0) break;
    }
    return [...seen.values()];
  };

  /** Makes messages visible again at once; a stale receipt only means the message is visible already, or soon. */
  const release = async (api: QueueApi, url: string, messages: readonly ReceivedMessage[]) => {
    for (const batch of chunks(messages, BATCH_ENTRIES)) {
      try {
        await api.changeVisibilityBatch(
          url,
          batch.map((m, i) => ({ id: String(i), receiptHandle: m.receiptHandle })),
          0,
        );
      } catch {
        // They reappear when their visibility timeout ends.
      }
    }
  };

  const readDlqs = async (options: DlqOptions, all: boolean, visibility: number) => {
    const filters: DlqFilters = {
      statuses: parseStatusFilters(options.status),
      reasons: listOption(options.reason),
      ...(options.since ? { since: parseTime(options.since, '--since', now()) } : {}),
      ...(options.until ? { until: parseTime(options.until, '--until', now()) } : {}),
    };
    const resolved = await context.resolve(options, { lanes: false });
    const sources = dlqSources(
      resolved.deployment,
      resolved.lanes,
      { destinations: listOption(options.destination), stages: listOption(options.stage), all },
      (name) => context.laneNamed(resolved.lanes, name),
    );
    const api = (io.queueApi ?? awsQueueApi)(resolved.config);
    const progress = progressFor(options, 'reading the DLQs');
    const received: Array<{ source: DlqSource; messages: ReceivedMessage[] }> = [];
    try {
      const visible = await Promise.all(sources.map((source) => api.visibleCount(source.url).catch(() => 0)));
      progress.total(visible.reduce((a, b) => a + b, 0));
      for (const source of sources)
        received.push({ source, messages: await receiveAll(api, source, visibility, progress, resolved.endpoint) });
    } catch (error) {
      progress.stop();
      for (const { source, messages } of received) await release(api, source.url, messages);
      api.close();
      throw error;
    }
    progress.stop();

    // The last failure of each delivery: the archive's latest attempt, read from just before the oldest message was sent.
    const rows: DlqRow[] = received.flatMap(({ source, messages }) =>
      messages.map((message) => ({ source, message, info: messageInfo(source, message) })),
    );
    let attempts: ArchivedAttempt[] = [];
    const deliveries = rows.filter((row) => row.info.kind === 'delivery');
    if (deliveries.length) {
      let bucket: string | undefined;
      try {
        bucket = historyBucket(resolved.deployment);
      } catch (error) {
        if (filters.statuses || filters.reasons)
          warn(`note: ${(error as Error).message.split(':')[0]}: the last failure is only the dispatcher’s reason attribute`);
      }
      if (bucket) {
        const archive = (io.archiveApi ?? awsArchiveApi)(resolved.config, bucket);
        const oldest = Math.min(...deliveries.map((row) => row.message.sentAt || now()));
        const until = new Date(now());
        try {
          attempts = (
            await readArchive(
              archive,
              { since: new Date(Math.min(oldest - HOUR_MS, until.getTime() - HOUR_MS)), until, attemptsUntil: until },
              { bucket, endpoint: resolved.endpoint },
              ['attempt'],
            )
          ).attempts;
        } catch (error) {
          for (const { source, messages } of received) await release(api, source.url, messages);
          api.close();
          throw error;
        } finally {
          archive.close();
        }
      }
    }
    const latest = latestAttempts(attempts);
    const withFailure = rows.map((row) => {
      const failure = lastFailure(row.info, latest);
      return { ...row, ...(failure ? { failure } : {}), target: redriveTarget(row.source, row.info, resolved.lanes) } as DlqRow;
    });
    const matched = withFailure.filter((row) => matchesDlqMessage(row.message, row.failure, filters));
    return { api, resolved, sources, rows: withFailure, matched };
  };

  addDlqOptions(dlq.command('list').description('Peek at DLQ messages and why each failed; nothing is deleted.'))
    .addHelpText('after', EXAMPLES.dlqList)
    .action(async (_options: object, command: Command) => {
      const options = command.optsWithGlobals<DlqOptions>();
      const { api, sources, rows, matched } = await readDlqs(options, true, PEEK_VISIBILITY_SECONDS);
      try {
        for (const source of sources)
          await release(
            api,
            source.url,
            rows.filter((row) => row.source === source).map((row) => row.message),
          );
      } finally {
        api.close();
      }
      const summary = { dlqs: sources.length, received: rows.length, matched: matched.length };
      if (options.json) {
        json({ ...summary, messages: matched.map(dlqJson) });
        return;
      }
      if (matched.length) print(dlqTable(matched, false));
      print(
        `${rows.length} message${rows.length === 1 ? '' : 's'} in ${sources.length} DLQ${sources.length === 1 ? '' : 's'} (${sources.map(sourceLabel).join(', ') || 'none'}), ${matched.length} matched; they stay in their DLQs, each one’s receive count grown by 1`,
      );
    });

  addDlqOptions(dlq.command('redrive').description('Send DLQ messages back to the queue they came from, deleting each once sent.'))
    .option('--dry-run', 'print what would be redriven where; send and delete nothing')
    .option('--rate <n>', 'send at most n messages per second', positiveRate)
    .addHelpText('after', EXAMPLES.dlqRedrive)
    .action(async (_options: object, command: Command) => {
      const options = command.optsWithGlobals<DlqOptions>();
      const { api, resolved, sources, rows, matched } = await readDlqs(options, false, REDRIVE_VISIBILITY_SECONDS);
      const chosen = new Set(matched);
      const leave: DlqRow[] = rows.filter((row) => !chosen.has(row));
      let sent = 0;
      let failed = 0;
      try {
        if (options.dryRun) {
          leave.push(...matched);
        } else {
          const progress = progressFor(options, 'redriving');
          progress.total(matched.length);
          const pace = pacer(options.rate, now, sleep);
          const batchSize = options.rate ? Math.max(1, Math.min(BATCH_ENTRIES, Math.floor(options.rate))) : BATCH_ENTRIES;
          try {
            for (const row of matched.filter((r) => !r.target)) {
              failed++;
              leave.push(row);
              warn(
                `failed: ${row.message.messageId} in ${sourceLabel(row.source)}: no queue to send it back to (the outputs have no ${row.source.name}_queue_url)`,
              );
            }
            for (const source of sources) {
              for (const target of new Set(matched.filter((r) => r.source === source && r.target).map((r) => r.target as string))) {
                const group = matched.filter((r) => r.source === source && r.target === target);
                for (const batch of sizedBatches(group, batchSize, (r) => r.message.body.length)) {
                  await pace.wait(batch.length);
                  const outgoing: OutgoingMessage[] = batch.map((r, i) => ({
                    id: String(i),
                    body: r.message.body,
                    attributes: r.message.attributes,
                  }));
                  let result;
                  try {
                    result = await api.sendBatch(target, outgoing);
                  } catch (error) {
                    leave.push(...batch);
                    const cause = awsError(
                      error,
                      `redriving ${sourceLabel(source)}'s DLQ to ${target}`,
                      resolved.endpoint,
                      QUEUE_PERMISSIONS,
                    );
                    throw new CliError(`${cause.message}; ${sent} were redriven before it, the rest are still in the DLQ`, cause.exitCode, {
                      cause: error,
                    });
                  }
                  const ok = new Set(result.ok);
                  const done = batch.filter((_r, i) => ok.has(String(i)));
                  for (const [i, r] of batch.entries()) {
                    if (ok.has(String(i))) continue;
                    failed++;
                    leave.push(r);
                    warn(
                      `failed: ${r.message.messageId} in ${sourceLabel(source)}: ${result.failed.find((f) => f.id === String(i))?.reason ?? 'not accepted'}; left in the DLQ`,
                    );
                  }
                  if (done.length) {
                    const deleted = await api
                      .deleteBatch(
                        source.url,
                        done.map((r, i) => ({ id: String(i), receiptHandle: r.message.receiptHandle })),
                      )
                      .catch((error: unknown) => {
                        throw awsError(
                          error,
                          `deleting redriven messages from ${sourceLabel(source)}'s DLQ ${source.url}`,
                          resolved.endpoint,
                          QUEUE_PERMISSIONS,
                        );
                      });
                    if (deleted.failed.length) {
                      warn(
                        `note: ${deleted.failed.length} redriven message${deleted.failed.length === 1 ? ' was' : 's were'} not deleted from ${sourceLabel(source)}'s DLQ (${deleted.failed[0].reason}): they would be redriven again`,
                      );
                    }
                  }
                  sent += done.length;
                  progress.increment(batch.length);
                }
              }
            }
          } finally {
            progress.stop();
          }
        }
      } finally {
        for (const source of sources)
          await release(
            api,
            source.url,
            leave.filter((row) => row.source === source).map((row) => row.message),
          );
        api.close();
      }
      const summary = {
        dryRun: options.dryRun === true,
        dlqs: sources.length,
        received: rows.length,
        matched: matched.length,
        sent,
        skipped: rows.length - matched.length,
        failed,
      };
      if (options.json) {
        json({ ...summary, messages: matched.map(dlqJson) });
      } else {
        if (matched.length && (options.dryRun || options.verbose)) print(dlqTable(matched, true));
        const verb = options.dryRun ? `would redrive ${matched.filter((r) => r.target).length}` : `sent ${sent}`;
        print(
          `redrive${options.dryRun ? ' (dry run: nothing sent or deleted)' : ''}: ${rows.length} in ${sources.map(sourceLabel).join(', ')}; matched ${matched.length}, ${verb}, skipped ${summary.skipped} (not matching: left in the DLQ), failed ${failed}`,
        );
      }
      if (failed)
        throw runtimeError(
          `${failed} message${failed === 1 ? ' was' : 's were'} not redriven and stay in the DLQ; run dlq list to see them`,
        );
    });
}

/** Batches of at most `size` items and {@link BATCH_BYTES} bytes (an item over the limit goes alone; SQS then says why). */
function sizedBatches<T>(items: readonly T[], size: number, bytes: (item: T) => number): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let total = 0;
  for (const item of items) {
    const n = bytes(item);
    if (current.length && (current.length >= size || total + n > BATCH_BYTES)) {
      batches.push(current);
      current = [];
      total = 0;
    }
    current.push(item);
    total += n;
  }
  if (current.length) batches.push(current);
  return batches;
}
