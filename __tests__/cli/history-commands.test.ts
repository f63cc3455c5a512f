/**
 * events, replay and dlq in-process, on an in-memory archive and in-memory queues: what each prints,
 * what it sends, its exit codes. The spawned CLI on moto is in history.int.test.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { type CliIo, run } from '../../src/cli/program';
import type { ArchivedAttempt, ArchivedWebhook } from '../../src/history/archive-records';
import { lane, lanesOutput } from './fake-lanes';
import { attempt, type FakeArchive, type FakeQueues, fakeArchive, fakeQueues, objectsFor, webhook } from './fake-history';

const NOW = Date.parse('2026-03-10T12:30:00Z');
const billing = lane('billing');
const crm = lane('crm');
const STAGES = {
  deliver_queue_url: 'https://sqs.us-east-1.amazonaws.com/123456789012/deliver',
  deliver_dlq_url: 'https://sqs.us-east-1.amazonaws.com/123456789012/deliver-dlq',
  process_queue_url: 'https://sqs.us-east-1.amazonaws.com/123456789012/process',
  process_dlq_url: 'https://sqs.us-east-1.amazonaws.com/123456789012/process-dlq',
};

// Three events: a delivered one, one failing at billing (crm pending), one dead-lettered at billing.
const ok = webhook('github', 'ok-1', '2026-03-10T10:00:00Z');
const flaky = webhook('github', 'flaky-2', '2026-03-10T11:00:00Z', { destinations: ['billing', 'crm'], event_type: 'issues' });
const dead = webhook('stripe', 'evt_3', '2026-03-10T11:30:00Z', { event_type: 'charge.failed' });
const old = webhook('github', 'old-0', '2026-03-05T09:00:00Z');
const records: Array<ArchivedWebhook | ArchivedAttempt> = [
  ok,
  flaky,
  dead,
  old,
  attempt(ok, 'billing', 1, '2026-03-10T10:00:01Z'),
  attempt(flaky, 'billing', 1, '2026-03-10T11:00:01Z', { outcome: 'failed', status: 503, reason: 'http-503' }),
  attempt(dead, 'billing', 1, '2026-03-10T11:30:01Z', { outcome: 'failed', status: 500, reason: 'http-500' }),
  attempt(dead, 'billing', 2, '2026-03-10T11:45:01Z', { outcome: 'failed', status: null, reason: 'timeout', last: true }),
  attempt(old, 'billing', 1, '2026-03-05T09:00:01Z'),
];

let dir: string;
let archive: FakeArchive;
let queues: FakeQueues;
let clock: number;
let outputs: Record<string, unknown>;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-history-'));
  clock = NOW;
  archive = fakeArchive(objectsFor(records));
  queues = fakeQueues(() => clock);
  for (const url of [billing.queueUrl, billing.deadLetterQueueUrl, crm.queueUrl, crm.deadLetterQueueUrl, ...Object.values(STAGES)]) {
    queues.queues.set(url, []);
  }
  outputs = { delivery_lanes: lanesOutput(billing, crm), history_bucket: 'hist', history_retention_days: 30, ...STAGES };
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function capture(tty = false) {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
  if (tty) Object.assign(stream, { isTTY: true, columns: 100, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

async function cli(args: string[], options: { tty?: boolean; io?: Partial<CliIo> } = {}) {
  const file = path.join(dir, 'outputs.json');
  fs.writeFileSync(file, JSON.stringify(outputs));
  const stdout = capture();
  const stderr = capture(options.tty);
  const code = await run(['--outputs', file, ...args], {
    stdout: stdout.stream,
    stderr: stderr.stream,
    env: {},
    cwd: dir,
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
    archiveApi: (_config, bucket) => {
      expect(bucket).toBe('hist');
      return archive;
    },
    queueApi: () => queues,
    ...options.io,
  });
  await new Promise((resolve) => setImmediate(resolve));
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

const rowsOf = (stdout: string) =>
  stdout
    .trimEnd()
    .split('\n')
    .map((line) => line.split(/\s{2,}/));

describe('events list', () => {
  test('a table of the last 24 h, each destination’s status, and a summary', async () => {
    const { code, stdout, stderr } = await cli(['events', 'list']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(rowsOf(stdout)).toEqual([
      ['RECEIVED', 'WEBHOOK ID', 'TYPE', 'DESTINATIONS'],
      ['2026-03-10 10:00:00Z', 'github:ok-1', 'push', 'billing delivered'],
      ['2026-03-10 11:00:00Z', 'github:flaky-2', 'issues', 'billing failed (http-503), crm pending'],
      ['2026-03-10 11:30:00Z', 'stripe:evt_3', 'charge.failed', 'billing dead-lettered ×2 (timeout)'],
      [
        expect.stringMatching(
          /^3 events matched, received 2026-03-09T12:30:00.000Z – 2026-03-10T12:30:00.000Z \(\d+ archive objects read\)$/,
        ),
      ],
    ]);
    // The day's hours, not the old event's folder, and attempts to now.
    expect(archive.listed).toContain('webhooks/2026/03/09/12/');
    expect(archive.listed).toContain('attempts/2026/03/10/12/');
    expect(archive.listed.some((prefix) => prefix.includes('/03/05/'))).toBe(false);
    expect(archive.closed).toBe(1);
  });

  test('filters, --limit, --json and --jsonl', async () => {
    const failed = await cli(['events', 'list', '--status', 'failed,dead-lettered', '--destination', 'billing']);
    expect(failed.stdout).toContain('github:flaky-2');
    expect(failed.stdout).toContain('stripe:evt_3');
    expect(failed.stdout).not.toContain('github:ok-1');

    const pending = await cli(['events', 'list', '--status', 'pending', '--source', 'github', '--type', 'issues']);
    expect(rowsOf(pending.stdout).map((row) => row[1])).toEqual(['WEBHOOK ID', 'github:flaky-2', undefined]);

    const limited = await cli(['--json', 'events', 'list', '--limit', '2', '--since', '7d']);
    const document = JSON.parse(limited.stdout);
    expect(document).toMatchObject({ matched: 4, shown: 2, since: '2026-03-03T12:30:00.000Z' });
    expect(document.events.map((e: { webhookId: string }) => e.webhookId)).toEqual(['github:flaky-2', 'stripe:evt_3']);
    expect(document.events[0].destinations).toEqual([
      { name: 'billing', status: 'failed', attempts: 1, lastAttemptAt: '2026-03-10T11:00:01Z', lastStatus: 503, lastReason: 'http-503' },
      { name: 'crm', status: 'pending', attempts: 0, lastAttemptAt: null, lastStatus: null, lastReason: null },
    ]);

    const lines = await cli(['events', 'list', '--jsonl', '--since', '2026-03-10T10:30Z', '--until', '2026-03-10T11:10Z']);
    expect(
      lines.stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line).webhookId),
    ).toEqual(['github:flaky-2']);

    const cut = await cli(['events', 'list', '--limit', '1']);
    expect(cut.stdout).toContain('3 events matched');
    expect(cut.stdout).toContain('showing the 1 most recent (--limit)');

    const none = await cli(['events', 'list', '--source', 'shopify']);
    expect(none.stdout).toMatch(/^0 events matched/);
  });

  test('mistakes: a bad time, a bad status, a bad limit, the archive off or missing: exit 2, one line', async () => {
    expect(await cli(['events', 'list', '--since', 'yesterday'])).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: --since "yesterday" is not a time: use an ISO time (2026-01-02T10:00Z, 2026-01-02) or a duration ago (30m, 2h, 7d), or now\n',
    });
    expect((await cli(['events', 'list', '--status', 'lost'])).stderr).toMatch(/^error: --status "lost" is not a delivery status/);
    expect((await cli(['events', 'list', '--limit', '0'])).code).toBe(2);
    outputs.history_bucket = '';
    outputs.history_retention_days = 0;
    const off = await cli(['events', 'list']);
    expect(off).toMatchObject({ code: 2, stdout: '' });
    expect(off.stderr).toMatch(/^error: the history archive is off \(history_retention_days = 0\)[^\n]*\n$/);
    delete outputs.history_bucket;
    expect((await cli(['events', 'show', 'x'])).stderr).toMatch(
      /has no history_bucket output: this deployment predates the history archive/,
    );
  });

  test('works without lanes, says so of torn lines, and shows progress on a terminal only', async () => {
    delete outputs.delivery_lanes;
    const objects = objectsFor(records);
    objects.set('webhooks/2026/03/10/11/torn', Buffer.from('{"v":1,\n'));
    archive = fakeArchive(objects);
    const tty = await cli(['--verbose', 'events', 'list'], { tty: true });
    expect(tty.code).toBe(0);
    expect(tty.stderr).toContain('note: 1 archive line was not JSON and skipped');
    expect(tty.stderr).toContain('archive: skipped a line of webhooks/2026/03/10/11/torn');
    expect(tty.stderr).toContain('reading the archive');
    const json = await cli(['--json', 'events', 'list'], { tty: true });
    expect(json.stderr).not.toContain('reading the archive');
  });

  test('an S3 failure: exit 1, one line', async () => {
    archive = fakeArchive(new Map(), Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    const { code, stderr } = await cli(['events', 'list']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: listing webhooks\/\S+ in the history bucket hist failed: cannot reach AWS[^\n]*\n$/);
  });
});

describe('events show', () => {
  test('headers, body and every attempt, by webhook-id or delivery id', async () => {
    const { code, stdout } = await cli(['events', 'show', 'stripe:evt_3']);
    expect(code).toBe(0);
    expect(stdout).toContain('stripe:evt_3  charge.failed');
    expect(stdout).toContain('  content-type: application/json');
    expect(stdout).toContain(`  ${dead.body}`);
    expect(stdout).toMatch(/2026-03-10 11:30:01Z\s+billing\s+1\s+failed\s+500\s+http-500/);
    expect(stdout).toMatch(/2026-03-10 11:45:01Z\s+billing\s+2\s+failed \(last\)\s+-\s+timeout/);
    const byId = await cli(['--json', 'events', 'show', 'old-0']);
    const [event] = JSON.parse(byId.stdout).events;
    expect(event).toMatchObject({
      webhookId: 'github:old-0',
      headers: old.headers,
      body: old.body,
      attempts: [{ outcome: 'delivered', destination: 'billing' }],
    });
  });

  test('an id not in the window: exit 2, saying how to look further back', async () => {
    const { code, stderr } = await cli(['events', 'show', 'github:old-0', '--since', '2d']);
    expect(code).toBe(2);
    expect(stderr).toBe(
      'error: no webhook "github:old-0" archived since 2026-03-08T12:30:00.000Z: check the id (<source>:<delivery id>), or look further back with --since 30d\n',
    );
  });
});

describe('replay', () => {
  const sentTo = (url: string) => queues.bodies(url).map((body) => JSON.parse(body));

  test('--dry-run prints what would be sent and sends nothing', async () => {
    const { code, stdout } = await cli(['replay', '--status', 'failed,dead-lettered', '--dry-run']);
    expect(code).toBe(0);
    const id = /^replay (r-[0-9a-f]{12}): 2 events, 2 messages \(dry run: nothing is sent\); journal /.exec(stdout)?.[1];
    expect(id).toBeDefined();
    expect(stdout).toContain('  would send  github:flaky-2 → billing  (issues, received 2026-03-10T11:00:00Z)');
    expect(stdout).toContain('  would send  stripe:evt_3 → billing');
    expect(stdout).toContain(`replay ${id}: matched 2, would send 2, skipped 0, failed 0`);
    expect(queues.sends).toEqual([]);
    expect(fs.existsSync(path.join(dir, '.webhook-pipeline'))).toBe(false);
  });

  test('sends DeliveryEvents with the replay id; a re-run skips everything', async () => {
    const first = await cli(['replay', 'github:flaky-2', 'evt_3']);
    expect(first.code).toBe(0);
    const id = /^replay (r-[0-9a-f]{12})/.exec(first.stdout)![1];
    expect(first.stdout).toContain(`replay ${id}: matched 3, sent 3, skipped 0, failed 0`);
    expect(sentTo(billing.queueUrl).map((m) => [m.source, m.id, m.replayId, m.webhookId])).toEqual([
      ['github', 'flaky-2', id, undefined],
      ['stripe', 'evt_3', id, undefined],
    ]);
    expect(sentTo(crm.queueUrl)).toEqual([expect.objectContaining({ destination: 'crm', id: 'flaky-2', body: flaky.body, version: 2 })]);
    const journal = fs
      .readFileSync(path.join(dir, '.webhook-pipeline', 'replays', `${id}.jsonl`), 'utf8')
      .trimEnd()
      .split('\n');
    expect(journal).toHaveLength(3);

    const again = await cli(['--json', 'replay', 'github:flaky-2', 'evt_3']);
    expect(JSON.parse(again.stdout)).toMatchObject({ replayId: id, matched: 3, sent: 0, skipped: 3, failed: 0 });
    expect(queues.sends).toHaveLength(2);
  });

  test('--to backfills an existing destination only; --as-new sends a new webhook-id', async () => {
    const unknown = await cli(['replay', '--to', 'search']);
    expect(unknown).toEqual({ code: 2, stdout: '', stderr: 'error: no destination named "search"; known destinations: billing, crm\n' });

    const backfill = await cli(['replay', '--source', 'stripe', '--to', 'crm', '--as-new', '--replay-id', 'inc-7']);
    expect(backfill.code).toBe(0);
    expect(sentTo(crm.queueUrl)).toEqual([
      expect.objectContaining({ destination: 'crm', id: 'evt_3', webhookId: 'stripe:evt_3:replay-inc-7', replayId: 'inc-7' }),
    ]);
    expect(sentTo(billing.queueUrl)).toEqual([]);
    expect(backfill.stdout).toContain('journal ' + path.join(dir, '.webhook-pipeline', 'replays', 'inc-7.jsonl'));
    expect((await cli(['replay', '--replay-id', 'a/b'])).stderr).toMatch(
      /^error: option '--replay-id <id>' argument 'a\/b' is invalid|^error: --replay-id "a\/b"/,
    );
  });

  test('--rate paces the sends', async () => {
    const { code } = await cli(['replay', '--since', '7d', '--rate', '2']);
    expect(code).toBe(0);
    // 5 messages (4 events, flaky to two lanes) at 2 a second: batches of 2, a second apart.
    const times = queues.sends.map((send) => [send.messages.length, send.at - NOW]);
    expect(times.reduce((n, [count]) => n + count, 0)).toBe(5);
    expect(times.every(([count]) => count <= 2)).toBe(true);
    expect(Math.max(...times.map(([, at]) => at))).toBe(2000);
  });

  test('unknown ids: exit 2 before anything is sent', async () => {
    const { code, stderr } = await cli(['replay', 'github:ok-1', 'github:nope', '--source', 'github']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^error: not in the archive since \S+ \(with these filters\): github:nope; check the ids/);
    expect(queues.sends).toEqual([]);
  });

  test('a destination without a lane is noted and not sent; entries SQS refuses fail the command with exit 1', async () => {
    outputs.delivery_lanes = lanesOutput(billing);
    queues.failSends = { entries: 'evt_3' };
    const { code, stdout, stderr } = await cli(['replay', '--since', '1d']);
    expect(code).toBe(1);
    expect(stderr).toContain('note: crm has no delivery lane in this deployment (removed?): its 1 messages are not sent');
    expect(stderr).toContain('failed: stripe:evt_3 → billing: InternalError: try again');
    expect(stdout).toMatch(/matched 4, sent 2, skipped 0, failed 1, no lane 1\n$/);
    expect(stderr).toMatch(/error: 1 message was not sent; run the same command with --replay-id r-[0-9a-f]{12} to retry them\n$/);

    queues.failSends = undefined;
    const retry = await cli(['replay', '--since', '1d']);
    expect(retry.stdout).toMatch(/matched 4, sent 1, skipped 2 \(already sent: in the journal of r-\w+\), failed 0, no lane 1\n$/);
  });

  test('--dry-run --json shows each message with its body; skipped and laneless ones say so; --limit keeps the most recent', async () => {
    outputs.delivery_lanes = lanesOutput(billing);
    await cli(['replay', 'github:ok-1', '--since', '1d', '--replay-id', 'mixed']);
    const dry = await cli(['replay', '--since', '1d', '--replay-id', 'mixed', '--dry-run']);
    expect(dry.stdout).toContain('  skip (sent)  github:ok-1 → billing');
    expect(dry.stdout).toContain('  no lane  github:flaky-2 → crm');
    const { stdout } = await cli(['--json', 'replay', '--since', '1d', '--replay-id', 'mixed', '--dry-run', '--limit', '2']);
    const document = JSON.parse(stdout);
    expect(document).toMatchObject({ replayId: 'mixed', dryRun: true, events: 2, matched: 3, skipped: 0, noLane: 1 });
    expect(document.messages.map((m: { webhookId: string; state: string }) => [m.webhookId, m.state])).toEqual([
      ['github:flaky-2', 'would-send'],
      ['github:flaky-2', 'no-lane'],
      ['stripe:evt_3', 'would-send'],
    ]);
    expect(document.messages[0].body).toMatchObject({ version: 2, destination: 'billing', replayId: 'mixed' });
    expect(document.messages[1].queueUrl).toBeNull();
    expect((await cli(['replay', '--rate', '0'])).stderr).toMatch(
      /^error: option '--rate <n>' argument '0' is invalid\. messages per second/,
    );
  });

  test('a send that fails outright: exit 1, saying how to resume', async () => {
    queues.failSends = { call: Object.assign(new Error('denied'), { name: 'AccessDenied' }) };
    const { code, stderr } = await cli(['replay', 'github:ok-1']);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^error: sending to billing's lane \S+ failed: access denied.*; what was sent before it \(0\) is in the journal: run the same command with --replay-id r-\w+ to send the rest\n$/,
    );
  });
});

describe('dlq', () => {
  const delivery = (event: ArchivedWebhook, destination: string) =>
    JSON.stringify({ version: 2, destination, id: event.delivery_id, source: event.source, type: event.event_type, body: event.body });

  beforeEach(() => {
    queues.put(billing.deadLetterQueueUrl, delivery(dead, 'billing'), { sentAt: Date.parse('2026-03-10T11:30:00Z') });
    queues.put(billing.deadLetterQueueUrl, delivery(flaky, 'billing'), { sentAt: Date.parse('2026-03-10T11:00:00Z') });
    queues.put(STAGES.deliver_dlq_url, delivery(ok, 'crm'), {
      sentAt: Date.parse('2026-03-10T12:00:00Z'),
      attributes: {
        reason: { DataType: 'String', StringValue: 'destination-gone' },
        destination: { DataType: 'String', StringValue: 'crm' },
      },
    });
    queues.put(STAGES.process_dlq_url, JSON.stringify({ version: 2, source: 'github', deliveryId: 'p-1', eventType: 'push' }), {
      sentAt: NOW - 60_000,
    });
  });

  test('list peeks at every DLQ: each message’s last failure, nothing deleted, all visible again', async () => {
    const { code, stdout, stderr } = await cli(['dlq', 'list']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(rowsOf(stdout)).toEqual([
      ['DLQ', 'SENT', 'RECEIVES', 'WEBHOOK ID', 'DESTINATION', 'TYPE', 'LAST FAILURE'],
      ['lane billing', '2026-03-10 11:30:00Z', '1', 'stripe:evt_3', 'billing', 'charge.failed', 'timeout (attempt 2)'],
      ['lane billing', '2026-03-10 11:00:00Z', '1', 'github:flaky-2', 'billing', 'issues', '503 http-503 (attempt 1)'],
      ['stage process', '2026-03-10 12:29:00Z', '1', 'github:p-1', '-', 'push', '-'],
      ['stage deliver', '2026-03-10 12:00:00Z', '1', 'github:ok-1', 'crm', 'push', '410 destination-gone'],
      [
        expect.stringMatching(
          /^4 messages in 4 DLQs \(lane billing, lane crm, stage process, stage deliver\), 4 matched; they stay in their DLQs/,
        ),
      ],
    ]);
    expect(await queues.visibleCount(billing.deadLetterQueueUrl)).toBe(2);
    expect(await queues.visibleCount(STAGES.deliver_dlq_url)).toBe(1);
  });

  test('list filters: --status, --reason, --since, --destination, --stage; --json', async () => {
    const fivexx = await cli(['--json', 'dlq', 'list', '--status', '5xx']);
    expect(JSON.parse(fivexx.stdout)).toMatchObject({
      received: 4,
      matched: 1,
      messages: [{ webhookId: 'github:flaky-2', lastFailure: { status: 503, reason: 'http-503', attempt: 1 } }],
    });
    const timeout = await cli(['--json', 'dlq', 'list', '--destination', 'billing', '--status', 'timeout']);
    expect(JSON.parse(timeout.stdout)).toMatchObject({
      dlqs: 1,
      received: 2,
      matched: 1,
      messages: [{ webhookId: 'stripe:evt_3', redriveTo: billing.queueUrl }],
    });
    const gone = await cli(['--json', 'dlq', 'list', '--stage', 'deliver', '--reason', 'destination-gone', '--since', '2026-03-10T11:59Z']);
    expect(JSON.parse(gone.stdout).messages.map((m: { redriveTo: string }) => m.redriveTo)).toEqual([crm.queueUrl]);
    const bad = await cli(['dlq', 'list', '--stage', 'lanes']);
    expect(bad).toMatchObject({ code: 2, stderr: 'error: --stage "lanes" is not a stage: use ingest, process, deliver\n' });
    expect((await cli(['dlq', 'list', '--destination', 'search'])).stderr).toBe(
      'error: no destination named "search"; known destinations: billing, crm\n',
    );
    expect((await cli(['dlq', 'list', '--status', 'slow'])).code).toBe(2);
  });

  test('without the archive, the reason attribute is all there is, and --status says so', async () => {
    delete outputs.history_bucket;
    const { code, stdout, stderr } = await cli(['--json', 'dlq', 'list', '--status', '4xx']);
    expect(code).toBe(0);
    expect(stderr).toMatch(
      /^note: --outputs \S+ has no history_bucket output: the last failure is only the dispatcher’s reason attribute\n$/,
    );
    expect(JSON.parse(stdout).messages.map((m: { webhookId: string }) => m.webhookId)).toEqual(['github:ok-1']);
  });

  test('redrive --dry-run moves nothing; redrive sends matching messages back and deletes them, leaving the rest', async () => {
    const dry = await cli(['dlq', 'redrive', '--destination', 'billing', '--stage', 'deliver', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/TO\n/);
    expect(dry.stdout).toMatch(/stage deliver .* lane-crm\n/);
    expect(dry.stdout).toMatch(
      /redrive \(dry run: nothing sent or deleted\): 3 in lane billing, stage deliver; matched 3, would redrive 3, skipped 0 .*, failed 0\n$/,
    );
    expect(queues.sends).toEqual([]);
    expect(await queues.visibleCount(billing.deadLetterQueueUrl)).toBe(2);

    const { code, stdout } = await cli(['dlq', 'redrive', '--destination', 'billing', '--stage', 'deliver', '--status', '5xx,410']);
    expect(code).toBe(0);
    expect(stdout).toBe(
      'redrive: 3 in lane billing, stage deliver; matched 2, sent 2, skipped 1 (not matching: left in the DLQ), failed 0\n',
    );
    expect(queues.bodies(billing.queueUrl).map((body) => JSON.parse(body).id)).toEqual(['flaky-2']);
    expect(queues.bodies(crm.queueUrl).map((body) => JSON.parse(body).id)).toEqual(['ok-1']);
    // The attributes went along; what did not match is still there, visible.
    expect(queues.queues.get(crm.queueUrl)![0].attributes.reason).toEqual({ DataType: 'String', StringValue: 'destination-gone' });
    expect(queues.bodies(billing.deadLetterQueueUrl).map((body) => JSON.parse(body).id)).toEqual(['evt_3']);
    expect(await queues.visibleCount(billing.deadLetterQueueUrl)).toBe(1);
    expect(queues.bodies(STAGES.deliver_dlq_url)).toEqual([]);
  });

  test('redrive needs a DLQ named; --rate paces it; a failed send leaves the message, exit 1', async () => {
    expect((await cli(['dlq', 'redrive'])).stderr).toMatch(/^error: name the DLQs to redrive: --destination NAME/);

    await cli(['dlq', 'redrive', '--stage', 'process', '--rate', '1']);
    expect(queues.bodies(STAGES.process_queue_url)).toHaveLength(1);

    queues.failSends = { entries: 'evt_3' };
    const { code, stdout, stderr } = await cli(['dlq', 'redrive', '--destination', 'billing']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^failed: m-\d+ in lane billing: InternalError: try again; left in the DLQ\n/);
    expect(stdout).toMatch(/matched 2, sent 1, skipped 0 \(not matching: left in the DLQ\), failed 1\n$/);
    expect(queues.bodies(billing.deadLetterQueueUrl).map((body) => JSON.parse(body).id)).toEqual(['evt_3']);
    expect(await queues.visibleCount(billing.deadLetterQueueUrl)).toBe(1);

    queues.failSends = { call: Object.assign(new Error('x'), { name: 'AccessDenied' }) };
    const thrown = await cli(['dlq', 'redrive', '--destination', 'billing']);
    expect(thrown.code).toBe(1);
    expect(thrown.stderr).toMatch(
      /^error: redriving lane billing's DLQ to \S+ failed: access denied; the caller needs sqs:ReceiveMessage.*; 0 were redriven before it, the rest are still in the DLQ\n$/,
    );
    expect(await queues.visibleCount(billing.deadLetterQueueUrl)).toBe(1);
  });

  test('a redriven message that cannot be deleted is counted sent, with a note; --until bounds by SentTimestamp', async () => {
    queues.deleteBatch = async (_url, entries) => ({
      ok: [],
      failed: entries.map((e) => ({ id: e.id, reason: 'ReceiptHandleIsInvalid' })),
    });
    const { code, stdout, stderr } = await cli(['dlq', 'redrive', '--destination', 'billing', '--until', '2026-03-10T11:10Z']);
    expect(code).toBe(0);
    expect(stderr).toBe(
      "note: 1 redriven message was not deleted from lane billing's DLQ (ReceiptHandleIsInvalid): they would be redriven again\n",
    );
    expect(stdout).toMatch(/matched 1, sent 1, skipped 1/);
    expect(queues.bodies(billing.queueUrl).map((body) => JSON.parse(body).id)).toEqual(['flaky-2']);
  });

  test('an archive that cannot be read: exit 1, and the DLQ messages are visible again', async () => {
    archive = fakeArchive(new Map(), Object.assign(new Error('nope'), { name: 'AccessDenied' }));
    const { code, stderr } = await cli(['dlq', 'list', '--destination', 'billing']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: listing attempts\/\S+ in the history bucket hist failed: access denied/);
    expect(await queues.visibleCount(billing.deadLetterQueueUrl)).toBe(2);
  });

  test('a stage DLQ whose queue is not in the outputs: those messages fail and stay', async () => {
    delete outputs.process_queue_url;
    const { code, stderr } = await cli(['--json', 'dlq', 'redrive', '--stage', 'process']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^failed: m-\d+ in stage process: no queue to send it back to \(the outputs have no process_queue_url\)\n/);
    expect(queues.bodies(STAGES.process_dlq_url)).toHaveLength(1);
  });

  test('a DLQ that cannot be read: exit 1, one line', async () => {
    queues.queues.delete(crm.deadLetterQueueUrl);
    const { code, stderr } = await cli(['dlq', 'list']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: reading lane crm's DLQ \S+ failed: it does not exist in this account and region/);
    // What was read before it is visible again.
    expect(await queues.visibleCount(billing.deadLetterQueueUrl)).toBe(2);
  });
});
