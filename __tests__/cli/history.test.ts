/**
 * The pieces behind events, replay and dlq: time parsing and the archive's prefixes, reading
 * objects (gzip or not), status derivation, filters, the replay's messages and journal, the DLQ
 * filters and targets.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  deliveryStatus,
  eventHasId,
  historyBucket,
  isGzip,
  joinEvents,
  listOption,
  mapLimit,
  matchesEvent,
  matchingDestinations,
  objectText,
  parseStatuses,
  readArchive,
} from '../../src/cli/archive';
import {
  dlqSources,
  lastFailure,
  latestAttempts,
  matchesDlqMessage,
  matchesStatus,
  messageInfo,
  parseStatusFilters,
  redriveTarget,
} from '../../src/cli/dlq';
import { CliError } from '../../src/cli/errors';
import { table } from '../../src/cli/format';
import { destinationSummary, dlqJson, dlqTable, eventDetail, eventsTable, failureText } from '../../src/cli/history-format';
import { chunks, pacer } from '../../src/cli/queues';
import { Journal, checkReplayId, journalKey, replayMessage, selectionId } from '../../src/cli/replay';
import { archivePrefixes, parseTime, shortTime, timeWindow } from '../../src/cli/time';
import { parseDeliveryEvent } from '../../src/handlers/shared/delivery-event';
import { lane } from './fake-lanes';
import { attempt, fakeArchive, objectsFor, webhook } from './fake-history';

const NOW = Date.parse('2026-03-10T12:30:00Z');
const usage = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    return (error as Error).message;
  }
  throw new Error('did not throw');
};

describe('parseTime', () => {
  test.each([
    ['2h', '2026-03-10T10:30:00.000Z'],
    ['90s', '2026-03-10T12:28:30.000Z'],
    ['30m', '2026-03-10T12:00:00.000Z'],
    ['7d', '2026-03-03T12:30:00.000Z'],
    ['1w', '2026-03-03T12:30:00.000Z'],
    ['now', '2026-03-10T12:30:00.000Z'],
    ['2026-01-02', '2026-01-02T00:00:00.000Z'],
    ['2026-01-02T10:00', '2026-01-02T10:00:00.000Z'],
    ['2026-01-02 10:00:05', '2026-01-02T10:00:05.000Z'],
    ['2026-01-02T10:00Z', '2026-01-02T10:00:00.000Z'],
    ['2026-01-02T10:00:00.250+02:00', '2026-01-02T08:00:00.250Z'],
  ])('%s', (value, expected) => {
    expect(parseTime(value, '--since', NOW).toISOString()).toBe(expected);
  });

  test.each(['yesterday', '2h ago', '-2h', '2026-13-45', '2026-01-02T25:00Z', ''])('%j is a usage error naming the option', (value) => {
    expect(usage(() => parseTime(value, '--until', NOW))).toMatch(/^--until ".*" is not a time: use an ISO time/);
  });

  test('a window defaults to the last day and must not be empty', () => {
    expect(timeWindow({}, NOW, 86_400_000)).toEqual({ since: new Date('2026-03-09T12:30:00Z'), until: new Date(NOW) });
    expect(usage(() => timeWindow({ since: '1h', until: '2h' }, NOW, 1))).toMatch(/^--until .* is not after --since/);
  });

  test('shortTime', () => {
    expect(shortTime('2026-01-02T10:00:05.123Z')).toBe('2026-01-02 10:00:05Z');
    expect(shortTime('nonsense')).toBe('nonsense');
  });
});

describe('archivePrefixes', () => {
  test('hours at the edges, whole UTC days in between', () => {
    expect(archivePrefixes('attempts/', new Date('2026-03-08T22:10:00Z'), new Date('2026-03-10T01:59:00Z'))).toEqual([
      'attempts/2026/03/08/22/',
      'attempts/2026/03/08/23/',
      'attempts/2026/03/09/',
      'attempts/2026/03/10/00/',
      'attempts/2026/03/10/01/',
    ]);
  });
  test('one hour, and a day that ends exactly at its last hour', () => {
    expect(archivePrefixes('webhooks/', new Date('2026-03-10T12:00:00Z'), new Date('2026-03-10T12:59:59Z'))).toEqual([
      'webhooks/2026/03/10/12/',
    ]);
    expect(archivePrefixes('webhooks/', new Date('2026-03-10T00:00:00Z'), new Date('2026-03-10T23:00:00Z'))).toEqual([
      'webhooks/2026/03/10/',
    ]);
    expect(archivePrefixes('webhooks/', new Date('2026-03-10T00:00:00Z'), new Date('2026-03-10T22:59:00Z'))).toHaveLength(23);
  });
});

describe('objects', () => {
  test('gzip is told by its magic bytes, not the key', () => {
    const text = '{"a":1}\n';
    expect(isGzip(gzipSync(text))).toBe(true);
    expect(isGzip(Buffer.from(text))).toBe(false);
    expect(isGzip(new Uint8Array([0x1f]))).toBe(false);
    expect(objectText(gzipSync(text))).toBe(text);
    expect(objectText(Buffer.from(text))).toBe(text);
    // The writers GZIP each record, so an object is a series of members.
    expect(objectText(Buffer.concat([gzipSync('{"a":1}\n'), gzipSync('{"b":2}\n')]))).toBe('{"a":1}\n{"b":2}\n');
  });

  test('historyBucket: missing, off, on', () => {
    const origin = '--outputs o.json';
    expect(usage(() => historyBucket({ origin, outputs: {} }))).toMatch(
      /has no history_bucket output: this deployment predates the history archive/,
    );
    expect(usage(() => historyBucket({ origin, outputs: { history_bucket: '' } }))).toMatch(
      /^the history archive is off \(history_retention_days = 0\)/,
    );
    expect(usage(() => historyBucket({ origin, outputs: { history_bucket: 'b', history_retention_days: 0 } }))).toMatch(/archive is off/);
    expect(historyBucket({ origin, outputs: { history_bucket: 'b', history_retention_days: 30 } })).toBe('b');
  });

  test('readArchive reads only the window’s folders, both encodings, and reports torn lines', async () => {
    const inside = webhook('github', 'a', '2026-03-10T10:15:00Z');
    const before = webhook('github', 'old', '2026-03-10T07:00:00Z');
    const late = attempt(inside, 'billing', 1, '2026-03-10T12:10:00Z');
    const objects = objectsFor([inside, before, late]);
    objects.set('webhooks/2026/03/10/10/torn', Buffer.from('{"v":1,"kind":"webh\n'));
    objects.set('attempts/2026/03/10/11/garbage.gz', new Uint8Array([0x1f, 0x8b, 0, 1, 2]));
    const archive = fakeArchive(objects);
    const bad: string[] = [];
    let total = 0;
    let read = 0;
    const records = await readArchive(
      archive,
      { since: new Date('2026-03-10T10:00:00Z'), until: new Date('2026-03-10T10:30:00Z'), attemptsUntil: new Date(NOW) },
      { bucket: 'b', onBadLine: (key) => bad.push(key), onObjects: (n) => (total = n), onObject: () => read++ },
    );
    expect(records.webhooks.map((w) => w.delivery_id)).toEqual(['a']);
    expect(records.attempts).toEqual([late]);
    expect(archive.listed).toEqual([
      'webhooks/2026/03/10/10/',
      'webhooks/2026/03/10/11/',
      'attempts/2026/03/10/10/',
      'attempts/2026/03/10/11/',
      'attempts/2026/03/10/12/',
    ]);
    expect(bad.sort()).toEqual(['attempts/2026/03/10/11/garbage.gz', 'webhooks/2026/03/10/10/torn']);
    expect([total, read]).toEqual([4, 4]);
  });

  test('an S3 failure is one line naming the bucket', async () => {
    const denied = Object.assign(new Error('nope'), { name: 'AccessDenied' });
    await expect(
      readArchive(
        fakeArchive(new Map(), denied),
        { since: new Date(NOW - 1000), until: new Date(NOW), attemptsUntil: new Date(NOW) },
        { bucket: 'b' },
      ),
    ).rejects.toThrow(
      /^listing webhooks\/2026\/03\/10\/12\/ in the history bucket b failed: access denied; the caller needs s3:ListBucket and s3:GetObject on the history bucket/,
    );
  });

  test('mapLimit keeps order', async () => {
    expect(await mapLimit([3, 1, 2], 2, async (n) => n * 2)).toEqual([6, 2, 4]);
    expect(await mapLimit([], 2, async (n) => n)).toEqual([]);
  });
});

describe('status', () => {
  const w = webhook('github', 'a', '2026-03-10T10:00:00Z', { destinations: ['billing', 'crm'] });
  const at = (minute: number) => `2026-03-10T10:${String(minute).padStart(2, '0')}:00Z`;
  const failed = (n: number, minute: number, last = false) =>
    attempt(w, 'billing', n, at(minute), { outcome: 'failed', status: 503, reason: 'http-503', last });

  test('pending, failed, delivered, dead-lettered', () => {
    expect(deliveryStatus([])).toBe('pending');
    expect(deliveryStatus([failed(1, 1)])).toBe('failed');
    expect(deliveryStatus([failed(1, 1), attempt(w, 'billing', 2, at(2))])).toBe('delivered');
    expect(deliveryStatus([attempt(w, 'billing', 1, at(1)), failed(1, 5)])).toBe('delivered');
    expect(deliveryStatus([failed(2, 2, true), failed(1, 1)])).toBe('dead-lettered');
    expect(deliveryStatus([attempt(w, 'billing', 1, at(1), { outcome: 'gone', status: 410 })])).toBe('dead-lettered');
    expect(deliveryStatus([attempt(w, 'billing', 1, at(1), { outcome: 'unknown-destination', status: null })])).toBe('dead-lettered');
    // Dead-lettered, then redriven and failing again with retries left: failed.
    expect(deliveryStatus([failed(5, 5, true), failed(1, 9)])).toBe('failed');
  });

  test('joinEvents: per destination, backfilled destinations, duplicates dropped, attempts of --as-new replays joined', () => {
    const b = webhook('stripe', 'evt_1', '2026-03-10T09:00:00Z', { destinations: [] });
    const asNew = attempt(w, 'crm', 1, at(7), { webhook_id: 'github:a:replay-r1', replay_id: 'r1' });
    const events = joinEvents(
      [w, b, w],
      [failed(1, 1), failed(1, 1), attempt(w, 'billing', 2, at(3)), asNew, attempt(w, 'search', 1, at(8)), attempt(b, 'crm', 1, at(1))],
    );
    expect(events.map((e) => e.webhook.webhook_id)).toEqual(['stripe:evt_1', 'github:a']);
    const [stripe, github] = events;
    expect(github.destinations.map((d) => [d.name, d.status, d.attempts.length])).toEqual([
      ['billing', 'delivered', 2],
      ['crm', 'delivered', 1],
      ['search', 'delivered', 1],
    ]);
    expect(github.attempts.map((a) => a.at)).toEqual([at(1), at(3), at(7), at(8)]);
    expect(stripe.destinations.map((d) => d.name)).toEqual(['crm']);
    expect(eventHasId(github, 'github:a')).toBe(true);
    expect(eventHasId(github, 'a')).toBe(true);
    expect(eventHasId(github, 'github:b')).toBe(false);
  });

  test('filters: window, source, type, destination and status together', () => {
    const [event] = joinEvents([w], [failed(1, 1)]);
    const window = { since: new Date('2026-03-10T09:00:00Z'), until: new Date('2026-03-10T11:00:00Z') };
    expect(matchesEvent(event, window)).toBe(true);
    expect(matchesEvent(event, { ...window, since: new Date('2026-03-10T10:00:01Z') })).toBe(false);
    expect(matchesEvent(event, { ...window, sources: ['stripe'] })).toBe(false);
    expect(matchesEvent(event, { ...window, sources: ['github'], types: ['push'] })).toBe(true);
    expect(matchesEvent(event, { ...window, types: ['issues'] })).toBe(false);
    expect(matchesEvent(event, { ...window, statuses: ['failed'] })).toBe(true);
    expect(matchesEvent(event, { ...window, statuses: ['pending'] })).toBe(true); // crm has no attempt
    expect(matchesEvent(event, { ...window, destinations: ['billing'], statuses: ['pending'] })).toBe(false);
    expect(matchesEvent(event, { ...window, destinations: ['crm'], statuses: ['pending'] })).toBe(true);
    expect(matchesEvent(event, { ...window, statuses: ['delivered'] })).toBe(false);
    expect(matchingDestinations(event, { statuses: ['failed', 'pending'] }).map((d) => d.name)).toEqual(['billing', 'crm']);
    const untyped = joinEvents([webhook('x', '1', '2026-03-10T10:00:00Z', { event_type: null })], [])[0];
    expect(matchesEvent(untyped, { ...window, types: ['push'] })).toBe(false);
  });

  test('option lists', () => {
    expect(parseStatuses(['failed,pending', 'delivered'])).toEqual(['failed', 'pending', 'delivered']);
    expect(parseStatuses(undefined)).toBeUndefined();
    expect(usage(() => parseStatuses(['lost']))).toBe(
      '--status "lost" is not a delivery status: use delivered, failed, dead-lettered, pending',
    );
    expect(listOption(['a, b', 'c', ''])).toEqual(['a', 'b', 'c']);
    expect(listOption([])).toBeUndefined();
  });

  test('formatting', () => {
    const [event] = joinEvents([w], [failed(1, 1), failed(2, 2)]);
    expect(destinationSummary(event.destinations[0])).toBe('billing failed ×2 (http-503)');
    expect(destinationSummary(event.destinations[1])).toBe('crm pending');
    const detail = eventDetail(event);
    expect(detail).toContain('github:a  push');
    expect(detail).toContain('  x-github-delivery: a');
    const rows = detail.split('\n').filter((line) => line.startsWith('  2026-03-10 10:0'));
    expect(rows.map((row) => row.trim().split(/\s{2,}/))).toEqual([
      ['2026-03-10 10:01:00Z', 'billing', '1', 'failed', '503', 'http-503', '42', '-'],
      ['2026-03-10 10:02:00Z', 'billing', '2', 'failed', '503', 'http-503', '42', '-'],
    ]);
    expect(eventDetail(joinEvents([webhook('x', '1', '2026-03-10T10:00:00Z', { destinations: [] })], [])[0])).toContain(
      'Attempts: none yet',
    );
    expect(
      table(
        ['A', 'NUM'],
        [
          ['x', '1'],
          ['yy', '22'],
        ],
        new Set([1]),
      ),
    ).toBe('A   NUM\nx     1\nyy   22');
    const bare = joinEvents(
      [webhook('x', '1', '2026-03-10T10:00:00Z', { destinations: [], event_type: null, request_id: null })],
      [
        attempt(webhook('x', '1', '2026-03-10T10:00:00Z'), 'crm', 1, '2026-03-10T10:00:01Z', {
          outcome: 'unknown-destination',
          status: null,
          duration_ms: null,
          reason: null,
        }),
      ],
    );
    expect(
      eventsTable(bare)
        .split('\n')[1]
        .split(/\s{2,}/),
    ).toEqual(['2026-03-10 10:00:00Z', 'x:1', '-', 'crm dead-lettered']);
    expect(eventsTable(joinEvents([webhook('x', '2', '2026-03-10T10:00:00Z', { destinations: [] })], []))).toMatch(/unrouted$/);
    const bareDetail = eventDetail(bare[0]);
    expect(bareDetail).toContain('x:1  (no type)');
    expect(bareDetail).toContain('request -');
    expect(bareDetail).toMatch(/crm\s+1\s+unknown-destination\s+-\s+-\s+-\s+-/);
    expect(failureText(undefined)).toBe('-');
    expect(failureText({ status: null, reason: null })).toBe('-');
  });
});

describe('replay', () => {
  const w = webhook('github', 'a', '2026-03-10T10:00:00Z');
  const [event] = joinEvents([w], []);

  test('a replay message is a DeliveryEvent with the replay id; --as-new gives it a webhookId', () => {
    const same = replayMessage(event, 'crm', 'r1', false);
    expect(JSON.parse(same.body)).toEqual({
      version: 2,
      destination: 'crm',
      id: 'a',
      source: 'github',
      type: 'push',
      receivedAt: w.received_at,
      processedAt: w.processed_at,
      requestId: 'req-a',
      body: w.body,
      replayId: 'r1',
    });
    expect(same.webhookId).toBe('github:a');
    const fresh = replayMessage(event, 'crm', 'r1', true);
    expect(JSON.parse(fresh.body).webhookId).toBe('github:a:replay-r1');
    expect(fresh.webhookId).toBe('github:a:replay-r1');
    // What the dispatcher reads them as.
    expect(parseDeliveryEvent(same.body)).toMatchObject({ destination: 'crm', id: 'a', source: 'github', replayId: 'r1' });
    expect(parseDeliveryEvent(fresh.body)).toMatchObject({ webhookId: 'github:a:replay-r1', replayId: 'r1' });
    expect(JSON.parse(replayMessage(joinEvents([{ ...w, event_type: null }], [])[0], 'crm', 'r', false).body).type).toBe('unknown');
  });

  test('the default id hashes the selection, in any order, and --as-new', () => {
    const [other] = joinEvents([webhook('github', 'b', '2026-03-10T10:01:00Z')], []);
    const a = selectionId(
      [
        { event, destination: 'billing' },
        { event: other, destination: 'billing' },
      ],
      false,
    );
    expect(a).toMatch(/^r-[0-9a-f]{12}$/);
    expect(
      selectionId(
        [
          { event: other, destination: 'billing' },
          { event, destination: 'billing' },
        ],
        false,
      ),
    ).toBe(a);
    expect(
      selectionId(
        [
          { event, destination: 'billing' },
          { event: other, destination: 'billing' },
        ],
        true,
      ),
    ).not.toBe(a);
    expect(selectionId([{ event, destination: 'billing' }], false)).not.toBe(a);
    expect(checkReplayId('incident-42_b')).toBe('incident-42_b');
    expect(usage(() => checkReplayId('../x'))).toMatch(/^--replay-id "..\/x": use 1 to 64 letters/);
  });

  test('the journal: appended, read back, torn lines ignored', () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'journal-'));
    try {
      const journal = new Journal(cwd, 'r1');
      expect(journal.file).toBe(path.join(cwd, '.webhook-pipeline', 'replays', 'r1.jsonl'));
      expect(journal.size).toBe(0);
      journal.append([]);
      expect(fs.existsSync(journal.file)).toBe(false);
      const key = journalKey({ event, destination: 'billing' });
      journal.append([{ key, webhookId: 'github:a', destination: 'billing', sentAt: 'now' }]);
      expect(journal.has(key)).toBe(true);
      fs.appendFileSync(journal.file, '{"key":"torn\n\n');
      const again = new Journal(cwd, 'r1');
      expect(again.size).toBe(1);
      expect(again.has(key)).toBe(true);
      expect(again.has(journalKey({ event, destination: 'crm' }))).toBe(false);
      fs.mkdirSync(path.join(cwd, '.webhook-pipeline', 'replays', 'dir.jsonl'));
      expect(usage(() => new Journal(cwd, 'dir'))).toMatch(/^the replay journal .* cannot be read$/);
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });

  test('pacer: n messages per second from the first send', async () => {
    let clock = 1_000;
    const waits: number[] = [];
    const pace = pacer(
      2,
      () => clock,
      async (ms) => {
        waits.push(ms);
        clock += ms;
      },
    );
    await pace.wait(2);
    await pace.wait(2);
    clock += 200;
    await pace.wait(1);
    expect(waits).toEqual([1000, 800]);
    const unpaced = pacer(
      undefined,
      () => 0,
      async () => {
        throw new Error('no sleep');
      },
    );
    await unpaced.wait(10);
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
  });
});

describe('dlq', () => {
  const billing = lane('billing');
  const crm = lane('crm');
  const deployment = {
    origin: '--outputs o.json',
    outputs: { deliver_dlq_url: 'https://q/deliver-dlq', deliver_queue_url: 'https://q/deliver', process_dlq_url: 'https://q/process-dlq' },
  };
  const laneNamed = (name: string) => {
    const found = [billing, crm].find((l) => l.name === name);
    if (!found) throw new CliError(`no destination named "${name}"`, 2);
    return found;
  };
  const message = (body: string, attributes: Record<string, string> = {}, sentAt = NOW) => ({
    messageId: 'm',
    receiptHandle: 'r',
    body,
    attributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }])),
    sentAt,
    receiveCount: 1,
  });

  test('sources: named lanes and stages, all of them for list, one per URL', () => {
    const all = dlqSources(deployment, [billing, crm], { all: true }, laneNamed);
    expect(all.map((s) => `${s.kind}:${s.name}:${s.sourceQueueUrl ?? '-'}`)).toEqual([
      `lane:billing:${billing.queueUrl}`,
      `lane:crm:${crm.queueUrl}`,
      'stage:process:-',
      'stage:deliver:https://q/deliver',
    ]);
    expect(dlqSources(deployment, [billing, crm], { destinations: ['crm', 'crm'], all: false }, laneNamed).map((s) => s.name)).toEqual([
      'crm',
    ]);
    expect(usage(() => dlqSources(deployment, [], { all: false }, laneNamed))).toMatch(/^name the DLQs to redrive/);
    expect(usage(() => dlqSources(deployment, [], { stages: ['ingest'], all: false }, laneNamed))).toBe(
      "--outputs o.json has no ingest_dlq_url output: these outputs are not a webhook-pipeline stack's, or are stale",
    );
    expect(usage(() => dlqSources(deployment, [], { stages: ['delivery'], all: false }, laneNamed))).toBe(
      '--stage "delivery" is not a stage: use ingest, process, deliver',
    );
    expect(usage(() => dlqSources(deployment, [billing], { destinations: ['nope'], all: false }, laneNamed))).toBe(
      'no destination named "nope"',
    );
  });

  test('messageInfo for each kind of DLQ, and where a redrive sends it', () => {
    const [laneSource, , processSource, deliverSource] = dlqSources(deployment, [billing, crm], { all: true }, laneNamed);
    const ingestSource = {
      name: 'ingest',
      kind: 'stage' as const,
      stage: 'ingest' as const,
      url: 'https://q/ingest-dlq',
      sourceQueueUrl: 'https://q/ingest',
    };
    const delivery = JSON.stringify({ version: 2, destination: 'crm', id: 'a', source: 'github', type: 'push', body: '{}' });
    expect(messageInfo(laneSource, message(delivery))).toEqual({
      kind: 'delivery',
      source: 'github',
      deliveryId: 'a',
      webhookId: 'github:a',
      type: 'push',
      destination: 'crm',
    });
    const asNew = messageInfo(
      deliverSource,
      message(JSON.stringify({ id: 'a', source: 'github', webhookId: 'github:a:replay-r' }), {
        reason: 'unknown-destination',
        destination: 'gone',
      }),
    );
    expect(asNew).toMatchObject({ webhookId: 'github:a:replay-r', destination: 'gone', attributeReason: 'unknown-destination' });
    expect(messageInfo(laneSource, message('{}'))).toEqual({ kind: 'delivery', destination: 'billing' });
    expect(messageInfo(deliverSource, message('not json'))).toEqual({ kind: 'unreadable' });
    expect(messageInfo(deliverSource, message('[1]'))).toEqual({ kind: 'unreadable' });
    expect(
      messageInfo(processSource, message(JSON.stringify({ source: 'stripe', deliveryId: 'evt', eventType: 'charge.succeeded' }))),
    ).toEqual({
      kind: 'envelope',
      source: 'stripe',
      deliveryId: 'evt',
      webhookId: 'stripe:evt',
      type: 'charge.succeeded',
    });
    expect(messageInfo(processSource, message('{}'))).toEqual({ kind: 'envelope' });
    expect(messageInfo(ingestSource, message('raw', { source: 'github', 'webhook-id': 'x' }))).toEqual({
      kind: 'webhook',
      source: 'github',
      deliveryId: 'x',
    });
    expect(messageInfo(ingestSource, message('raw'))).toEqual({ kind: 'webhook' });

    expect(redriveTarget(laneSource, { kind: 'delivery', destination: 'crm' }, [billing, crm])).toBe(billing.queueUrl);
    expect(redriveTarget(deliverSource, { kind: 'delivery', destination: 'crm' }, [billing, crm])).toBe(crm.queueUrl);
    expect(redriveTarget(deliverSource, { kind: 'delivery', destination: 'removed' }, [billing, crm])).toBe('https://q/deliver');
    expect(redriveTarget(processSource, { kind: 'envelope' }, [billing])).toBeUndefined();
    expect(redriveTarget(ingestSource, { kind: 'webhook' }, [billing])).toBe('https://q/ingest');
  });

  test('the last failure: the archive’s latest attempt, else the reason attribute', () => {
    const w = webhook('github', 'a', '2026-03-10T10:00:00Z');
    const latest = latestAttempts([
      attempt(w, 'billing', 2, '2026-03-10T10:05:00Z', { outcome: 'failed', status: 503, reason: 'http-503', last: true }),
      attempt(w, 'billing', 1, '2026-03-10T10:01:00Z', { outcome: 'failed', status: 500, reason: 'http-500' }),
      attempt(w, 'billing', 3, '2026-03-10T10:05:00Z', { outcome: 'failed', status: null, reason: 'timeout', last: true }),
      attempt(w, 'crm', 1, '2026-03-10T10:02:00Z', { outcome: 'gone', status: 410, reason: null }),
    ]);
    const info = { kind: 'delivery' as const, source: 'github', deliveryId: 'a', destination: 'billing' };
    expect(lastFailure(info, latest)).toMatchObject({ status: null, reason: 'timeout' });
    expect(lastFailure({ ...info, destination: 'crm' }, latest)).toMatchObject({ status: 410, reason: 'gone' });
    expect(lastFailure({ ...info, destination: 'search', attributeReason: 'destination-gone' }, latest)).toEqual({
      status: 410,
      reason: 'destination-gone',
    });
    expect(lastFailure({ kind: 'envelope', attributeReason: 'odd' }, latest)).toEqual({ status: null, reason: 'odd' });
    expect(lastFailure({ kind: 'envelope' }, latest)).toBeUndefined();
    expect(failureText(lastFailure({ ...info, destination: 'crm' }, latest))).toBe('410 gone (attempt 1)');
  });

  test('the DLQ table and documents for messages the CLI cannot read', () => {
    const source = { name: 'process', kind: 'stage' as const, stage: 'process' as const, url: 'https://q/process-dlq' };
    const unreadable = { source, message: message('nope'), info: { kind: 'unreadable' as const } };
    const envelope = { source, message: message('{}'), info: { kind: 'envelope' as const, deliveryId: 'd-1' } };
    expect(
      dlqTable([unreadable, envelope], true)
        .split('\n')
        .map((row) => row.split(/\s{2,}/)),
    ).toEqual([
      ['DLQ', 'SENT', 'RECEIVES', 'WEBHOOK ID', 'DESTINATION', 'TYPE', 'LAST FAILURE', 'TO'],
      ['stage process', '2026-03-10 12:30:00Z', '1', '(unreadable body)', '-', '-', '-', '(none)'],
      ['stage process', '2026-03-10 12:30:00Z', '1', 'd-1', '-', '-', '-', '(none)'],
    ]);
    expect(dlqJson(unreadable)).toMatchObject({
      dlq: 'stage process',
      webhookId: null,
      source: null,
      deliveryId: null,
      type: null,
      lastFailure: null,
      redriveTo: null,
      body: 'nope',
    });
  });

  test('status and reason filters', () => {
    const f = parseStatusFilters(['5xx,404', 'Timeout']) ?? [];
    expect(f).toEqual([
      { kind: 'class', digit: 5 },
      { kind: 'code', code: 404 },
      { kind: 'reason', reason: 'timeout' },
    ]);
    expect(parseStatusFilters([])).toBeUndefined();
    expect(usage(() => parseStatusFilters(['6xx']))).toMatch(/^--status "6xx" is not a failure status/);
    expect(matchesStatus({ status: 503, reason: 'http-503' }, f)).toBe(true);
    expect(matchesStatus({ status: 404, reason: 'http-404' }, f)).toBe(true);
    expect(matchesStatus({ status: 400, reason: 'http-400' }, f)).toBe(false);
    expect(matchesStatus({ status: null, reason: 'timeout' }, f)).toBe(true);
    expect(matchesStatus({ status: null, reason: 'network' }, f)).toBe(false);
    expect(matchesStatus({ status: null, reason: 'network-refused' }, [{ kind: 'reason', reason: 'network' }])).toBe(true);
    expect(matchesStatus(undefined, f)).toBe(false);

    const m = message('{}', {}, Date.parse('2026-03-10T10:00:00Z'));
    const failure = { status: 503, reason: 'http-503' };
    expect(matchesDlqMessage(m, failure, {})).toBe(true);
    expect(matchesDlqMessage(m, failure, { since: new Date('2026-03-10T10:00:01Z') })).toBe(false);
    expect(matchesDlqMessage(m, failure, { until: new Date('2026-03-10T09:59:59Z') })).toBe(false);
    expect(matchesDlqMessage(m, failure, { reasons: ['http-503'] })).toBe(true);
    expect(matchesDlqMessage(m, undefined, { reasons: ['http-503'] })).toBe(false);
    expect(matchesDlqMessage(m, failure, { statuses: [{ kind: 'class', digit: 4 }] })).toBe(false);
  });
});
