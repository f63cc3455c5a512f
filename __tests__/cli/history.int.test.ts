/**
 * events, replay and dlq as a user runs them: the CLI spawned against moto, on an archive bucket
 * this suite fills itself (hour folders of newline-delimited JSON; one object GZIP-compressed, a
 * member per line as the writers pack them, under a .gz key; the others plain), two lanes and
 * their queues. Queue contents are checked with the SDK. The five queues are made once, together.
 * HISTORY_INT_EVENTS=1000 runs it on more events (a multiple of 10); it prints its wall times.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { type ArchivedAttempt, type ArchivedWebhook, archiveHourFolder, archiveLine } from '../../src/history/archive-records';
import { awsArchiveApi } from '../../src/cli/archive';
import { run } from '../../src/cli/program';
import { FAKE_AWS_CREDENTIALS, type MotoServer, startMoto } from '../support/moto';
import { attempt, webhook } from './fake-history';

jest.setTimeout(240_000);
// The SDK's notice that its 2027 releases need Node 22, from this suite's own clients.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'src', 'cli', 'bin.ts');
const REGISTER = require.resolve('esbuild-register');
const REGION = 'us-east-1';
const BUCKET = 'webhook-history-test';
/** Events in the archive: enough that a replay sends several batches to each lane. */
const N = Number(process.env.HISTORY_INT_EVENTS ?? 120);
const HOUR = 3_600_000;

let moto: MotoServer;
let workDir: string;
let outputsFile: string;
let sqs: SQSClient;
const q: Record<'billing' | 'crm' | 'billingDlq' | 'crmDlq' | 'deliverDlq', string> = {} as never;
const start = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();

// N events spread over 2.5 hours from 3 hours ago: every one routed to billing and delivered there; every tenth also
// to crm, where it failed (retries left). Two more, dead-lettered at billing, are in its DLQ.
const events: ArchivedWebhook[] = Array.from({ length: N }, (_, i) =>
  webhook(i % 2 ? 'github' : 'stripe', `e-${String(i).padStart(3, '0')}`, iso(start - 3 * HOUR + i * Math.floor((2.5 * HOUR) / N)), {
    destinations: i % 10 === 0 ? ['billing', 'crm'] : ['billing'],
    event_type: i % 2 ? 'push' : 'charge.succeeded',
  }),
);
const deadOne = webhook('github', 'dead-503', iso(start - 2 * HOUR), { event_type: 'issues' });
const deadTwo = webhook('github', 'dead-timeout', iso(start - 2 * HOUR + 5_000), { event_type: 'issues' });
const attempts: ArchivedAttempt[] = [
  ...events.map((e) => attempt(e, 'billing', 1, iso(Date.parse(e.received_at) + 1_000))),
  ...events
    .filter((_, i) => i % 10 === 0)
    .map((e) => attempt(e, 'crm', 1, iso(Date.parse(e.received_at) + 2_000), { outcome: 'failed', status: 502, reason: 'http-502' })),
  attempt(deadOne, 'billing', 8, iso(start - HOUR / 2), {
    outcome: 'failed',
    status: 503,
    reason: 'http-503',
    last: true,
  }),
  attempt(deadTwo, 'billing', 8, iso(start - HOUR / 2 + 5_000), {
    outcome: 'failed',
    status: null,
    reason: 'timeout',
    last: true,
  }),
];

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

function cli(args: readonly string[], options: { outputs?: string } = {}): Promise<Result> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-r', REGISTER, BIN, '--outputs', options.outputs ?? outputsFile, '--endpoint-url', moto.endpoint, ...args],
      { cwd: workDir, env: { PATH: process.env.PATH ?? '', HOME: workDir, ...FAKE_AWS_CREDENTIALS, AWS_REGION: REGION }, timeout: 120_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr, ms: Date.now() - started }),
    );
  });
}

/** GZIP as the writers make it: each line its own member, the members one after another. */
const gzipMembers = (text: string): Buffer =>
  Buffer.concat(
    text
      .trimEnd()
      .split('\n')
      .map((line) => gzipSync(`${line}\n`)),
  );

/** Every message of a queue, received and deleted. */
async function drain(url: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['SentTimestamp'],
      }),
    );
    if (Messages.length === 0) return all;
    all.push(...Messages);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
}

async function visible(url: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(Attributes.ApproximateNumberOfMessages);
}

const bodies = (messages: Message[]) => messages.map((m) => JSON.parse(m.Body!) as Record<string, unknown>);
const timings: string[] = [];

beforeAll(async () => {
  moto = await startMoto({ region: REGION });
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-history-'));
  const config = { endpoint: moto.endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  sqs = new SQSClient(config);
  const s3 = new S3Client({ ...config, forcePathStyle: true });

  const archive = (async () => {
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    // One object per kind and hour folder; the first webhook folder's gzip-compressed under a .gz key.
    const objects = new Map<string, string>();
    for (const record of [...events, deadOne, deadTwo, ...attempts]) {
      const time = record.kind === 'webhook' ? record.processed_at : record.at;
      const key = `${record.kind === 'webhook' ? 'webhooks' : 'attempts'}/${archiveHourFolder(new Date(time))}stream-1-${record.kind}`;
      objects.set(key, (objects.get(key) ?? '') + archiveLine(record));
    }
    // A line from a future version, and a torn one: skipped, the rest read.
    const [firstKey] = [...objects.keys()].sort();
    await Promise.all(
      [...objects].map(([key, text]) =>
        s3.send(
          key === firstKey
            ? new PutObjectCommand({ Bucket: BUCKET, Key: `${key}.gz`, Body: gzipMembers(`${text}{"v":2,"kind":"webhook"}\n`) })
            : new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: text }),
        ),
      ),
    );
  })();
  const create = async (name: string) => (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
  [q.billing, q.crm, q.billingDlq, q.crmDlq, q.deliverDlq] = await Promise.all(
    ['lane-billing', 'lane-crm', 'lanedlq-billing', 'lanedlq-crm', 'deliver-dlq'].map(create),
  );
  await archive;
  s3.destroy();

  const arn = (url: string) => `arn:aws:sqs:${REGION}:123456789012:${url.slice(url.lastIndexOf('/') + 1)}`;
  const laneOutput = (queue: string, dlq: string) => ({
    queue_url: queue,
    queue_arn: arn(queue),
    dead_letter_queue_url: dlq,
    dead_letter_queue_arn: arn(dlq),
    event_source_mapping_uuid: 'not-used',
  });
  outputsFile = path.join(workDir, 'outputs.json');
  fs.writeFileSync(
    outputsFile,
    JSON.stringify({
      'webhook-pipeline': {
        delivery_lanes: { billing: laneOutput(q.billing, q.billingDlq), crm: laneOutput(q.crm, q.crmDlq) },
        history_bucket: BUCKET,
        history_retention_days: 30,
        deliver_dlq_url: q.deliverDlq,
      },
    }),
  );
});

afterAll(async () => {
  sqs?.destroy();
  await moto?.stop();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  if (timings.length) process.stdout.write(`moto wall times (N = ${N} events): ${timings.join('; ')}\n`);
});

test('events list: the last 24 h by default, as a table; filters and --json', async () => {
  const all = await cli(['events', 'list', '--limit', '100000']);
  expect({ code: all.code, stderr: all.stderr }).toEqual({ code: 0, stderr: '' });
  timings.push(`events list ${all.ms} ms`);
  const lines = all.stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^RECEIVED\s+WEBHOOK ID\s+TYPE\s+DESTINATIONS$/);
  expect(lines).toHaveLength(1 + N + 2 + 1);
  expect(lines[1].split(/\s{2,}/)).toEqual([
    expect.any(String),
    'stripe:e-000',
    'charge.succeeded',
    'billing delivered, crm failed (http-502)',
  ]);
  expect(lines[lines.length - 1]).toMatch(new RegExp(`^${N + 2} events matched, received .* \\(\\d+ archive objects read\\)$`));

  const filtered = await cli(['--json', 'events', 'list', '--source', 'stripe', '--status', 'failed', '--destination', 'crm']);
  const document = JSON.parse(filtered.stdout);
  expect(document.matched).toBe(N / 10);
  expect(document.events.every((e: { source: string }) => e.source === 'stripe')).toBe(true);

  const dead = await cli(['--json', 'events', 'list', '--status', 'dead-lettered', '--since', '3h', '--until', 'now']);
  expect(JSON.parse(dead.stdout).events.map((e: { webhookId: string }) => e.webhookId)).toEqual(['github:dead-503', 'github:dead-timeout']);
});

test('events show: body, headers, every attempt in time order', async () => {
  const shown = await cli(['events', 'show', 'stripe:e-010']);
  expect({ code: shown.code, stderr: shown.stderr }).toEqual({ code: 0, stderr: '' });
  timings.push(`events show ${shown.ms} ms`);
  expect(shown.stdout).toContain('stripe:e-010  charge.succeeded');
  expect(shown.stdout).toContain('  x-github-delivery: e-010');
  expect(shown.stdout).toContain(`  ${events[10].body}`);
  const attemptRows = shown.stdout.split('\n').filter((line) => / {2}(billing|crm) {2,}/.test(line));
  expect(
    attemptRows.map((row) =>
      row
        .trim()
        .split(/\s{2,}/)
        .slice(1, 5),
    ),
  ).toEqual([
    ['billing', '1', 'delivered', '200'],
    ['crm', '1', 'failed', '502'],
  ]);
  const missing = await cli(['events', 'show', 'github:nope']);
  expect({ code: missing.code, stdout: missing.stdout }).toEqual({ code: 2, stdout: '' });
  expect(missing.stderr).toMatch(/^error: no webhook "github:nope" archived since [^\n]+\n$/);
});

test('replay: --dry-run sends nothing; then every event to its own lanes; a re-run skips them all', async () => {
  const dry = await cli(['replay', '--since', '4h', '--dry-run']);
  expect(dry.code).toBe(0);
  const id = /^replay (r-[0-9a-f]{12}): /.exec(dry.stdout)![1];
  expect(dry.stdout).toContain(`replay ${id}: matched ${N + N / 10 + 2}, would send ${N + N / 10 + 2}, skipped 0, failed 0`);
  expect([await visible(q.billing), await visible(q.crm)]).toEqual([0, 0]);

  const real = await cli(['replay', '--since', '4h']);
  expect({ code: real.code, stderr: real.stderr }).toEqual({ code: 0, stderr: '' });
  timings.push(`replay of ${N + 2} events (${N + N / 10 + 2} messages) ${real.ms} ms`);
  expect(real.stdout).toMatch(new RegExp(`replay ${id}: matched ${N + N / 10 + 2}, sent ${N + N / 10 + 2}, skipped 0, failed 0\\n$`));
  const billing = bodies(await drain(q.billing));
  const crm = bodies(await drain(q.crm));
  expect(billing).toHaveLength(N + 2);
  expect(crm.map((m) => m.id).sort()).toEqual(events.filter((_, i) => i % 10 === 0).map((e) => e.delivery_id));
  expect(billing.find((m) => m.id === 'e-007')).toEqual({
    version: 2,
    destination: 'billing',
    id: 'e-007',
    source: 'github',
    type: 'push',
    receivedAt: events[7].received_at,
    processedAt: events[7].processed_at,
    requestId: 'req-e-007',
    body: events[7].body,
    replayId: id,
  });
  const journal = path.join(workDir, '.webhook-pipeline', 'replays', `${id}.jsonl`);
  expect(fs.readFileSync(journal, 'utf8').trimEnd().split('\n')).toHaveLength(N + N / 10 + 2);

  const again = await cli(['replay', '--since', '4h']);
  expect(again.stdout).toMatch(
    new RegExp(`matched ${N + N / 10 + 2}, sent 0, skipped ${N + N / 10 + 2} \\(already sent: in the journal of ${id}\\), failed 0\\n$`),
  );
  expect([await visible(q.billing), await visible(q.crm)]).toEqual([0, 0]);
});

test('replay --to backfills a destination, --as-new with a new webhook-id; an unknown --to is one line, exit 2', async () => {
  const unknown = await cli(['replay', 'github:e-001', '--to', 'search']);
  expect(unknown).toMatchObject({
    code: 2,
    stdout: '',
    stderr: 'error: no destination named "search"; known destinations: billing, crm\n',
  });

  const backfill = await cli(['replay', 'github:e-001', 'stripe:e-002', '--to', 'crm', '--as-new', '--replay-id', 'backfill-1']);
  expect(backfill.code).toBe(0);
  expect(bodies(await drain(q.crm)).map((m) => [m.id, m.destination, m.webhookId, m.replayId])).toEqual([
    ['e-001', 'crm', 'github:e-001:replay-backfill-1', 'backfill-1'],
    ['e-002', 'crm', 'stripe:e-002:replay-backfill-1', 'backfill-1'],
  ]);
  expect(await visible(q.billing)).toBe(0);
});

test('replay --rate paces the sends: 6 messages at 2 a second span 2 s', async () => {
  const ids = events.slice(21, 27).map((e) => e.webhook_id);
  const paced = await cli(['replay', ...ids, '--rate', '2', '--replay-id', 'paced']);
  expect(paced.stdout).toMatch(/matched 6, sent 6, skipped 0, failed 0\n$/);
  const sent = (await drain(q.billing)).map((m) => Number(m.Attributes!.SentTimestamp)).sort();
  expect(sent).toHaveLength(6);
  expect(sent[5] - sent[0]).toBeGreaterThanOrEqual(1_900);
});

test('dlq list peeks (messages stay), with filters; redrive sends the matching ones back and leaves the rest', async () => {
  const delivery = (event: ArchivedWebhook, destination: string) =>
    JSON.stringify({
      version: 2,
      destination,
      id: event.delivery_id,
      source: event.source,
      type: event.event_type,
      receivedAt: event.received_at,
      processedAt: event.processed_at,
      requestId: event.request_id,
      body: event.body,
    });
  await Promise.all([
    sqs.send(new SendMessageCommand({ QueueUrl: q.billingDlq, MessageBody: delivery(deadOne, 'billing') })),
    sqs.send(new SendMessageCommand({ QueueUrl: q.billingDlq, MessageBody: delivery(deadTwo, 'billing') })),
    sqs.send(
      new SendMessageCommand({
        QueueUrl: q.deliverDlq,
        MessageBody: delivery(events[3], 'crm'),
        MessageAttributes: {
          reason: { DataType: 'String', StringValue: 'destination-gone' },
          destination: { DataType: 'String', StringValue: 'crm' },
        },
      }),
    ),
  ]);

  const listed = await cli(['dlq', 'list']);
  expect({ code: listed.code, stderr: listed.stderr }).toEqual({ code: 0, stderr: '' });
  const rows = listed.stdout.trimEnd().split('\n');
  expect(rows[0].split(/\s{2,}/)).toEqual(['DLQ', 'SENT', 'RECEIVES', 'WEBHOOK ID', 'DESTINATION', 'TYPE', 'LAST FAILURE']);
  expect(
    rows
      .slice(1, 4)
      .map((row) => {
        const c = row.split(/\s{2,}/);
        return [c[0], c[3], c[4], c[6]];
      })
      .sort(),
  ).toEqual([
    ['lane billing', 'github:dead-503', 'billing', '503 http-503 (attempt 8)'],
    ['lane billing', 'github:dead-timeout', 'billing', 'timeout (attempt 8)'],
    ['stage deliver', 'github:e-003', 'crm', '410 destination-gone'],
  ]);
  expect(rows[4]).toMatch(/^3 messages in 3 DLQs \(lane billing, lane crm, stage deliver\), 3 matched; they stay in their DLQs/);
  expect([await visible(q.billingDlq), await visible(q.deliverDlq)]).toEqual([2, 1]);

  const fivexx = await cli(['--json', 'dlq', 'list', '--destination', 'billing', '--status', '5xx']);
  expect(JSON.parse(fivexx.stdout).messages.map((m: { webhookId: string; receiveCount: number }) => [m.webhookId, m.receiveCount])).toEqual(
    [['github:dead-503', 2]],
  );

  const redriven = await cli(['dlq', 'redrive', '--destination', 'billing', '--status', '503']);
  expect({ code: redriven.code, stderr: redriven.stderr }).toEqual({ code: 0, stderr: '' });
  expect(redriven.stdout).toBe('redrive: 2 in lane billing; matched 1, sent 1, skipped 1 (not matching: left in the DLQ), failed 0\n');
  expect(bodies(await drain(q.billing)).map((m) => m.id)).toEqual(['dead-503']);
  expect(await visible(q.billingDlq)).toBe(1);

  const dry = await cli(['dlq', 'redrive', '--stage', 'deliver', '--dry-run']);
  expect(dry.stdout).toMatch(/stage deliver .* lane-crm\n/);
  expect(await visible(q.crm)).toBe(0);
  const stage = await cli(['dlq', 'redrive', '--stage', 'deliver', '--reason', 'destination-gone']);
  expect(stage.stdout).toMatch(/matched 1, sent 1, skipped 0/);
  const [moved] = await drain(q.crm);
  expect(JSON.parse(moved.Body!).id).toBe('e-003');
  expect(moved.MessageAttributes?.reason?.StringValue).toBe('destination-gone');
  expect([await visible(q.deliverDlq), await visible(q.billingDlq)]).toEqual([0, 1]);
});

test('the SDK path in-process: S3 and SQS through the CLI’s own clients', async () => {
  const out: string[] = [];
  const err: string[] = [];
  const io = {
    stdout: { write: (text: string) => out.push(text) } as unknown as NodeJS.WritableStream,
    stderr: { write: (text: string) => err.push(text) } as unknown as NodeJS.WritableStream,
    env: {},
    cwd: workDir,
  };
  const cliIn = async (...args: string[]) => {
    out.length = 0;
    err.length = 0;
    const code = await run(['--outputs', outputsFile, '--endpoint-url', moto.endpoint, '--json', ...args], io);
    return { code, document: out.length ? JSON.parse(out.join('')) : undefined, stderr: err.join('') };
  };
  const replayed = await cliIn('replay', 'github:e-031', '--replay-id', 'in-process');
  expect(replayed).toMatchObject({ code: 0, document: { sent: 1, failed: 0 }, stderr: '' });
  expect(bodies(await drain(q.billing)).map((m) => [m.id, m.replayId])).toEqual([['e-031', 'in-process']]);

  await Promise.all(
    ['a', 'b'].map((id) =>
      sqs.send(
        new SendMessageCommand({
          QueueUrl: q.crmDlq,
          MessageBody: JSON.stringify({ version: 2, destination: 'crm', id, source: 'github', type: 'push', body: '{}' }),
          MessageAttributes: { reason: { DataType: 'String', StringValue: id === 'a' ? 'destination-gone' : 'unknown-destination' } },
        }),
      ),
    ),
  );
  const listed = await cliIn('dlq', 'list', '--destination', 'crm');
  expect(listed.document).toMatchObject({ received: 2, matched: 2 });
  expect(await visible(q.crmDlq)).toBe(2);
  const redriven = await cliIn('dlq', 'redrive', '--destination', 'crm', '--reason', 'destination-gone');
  expect(redriven.document).toMatchObject({ matched: 1, sent: 1, skipped: 1, failed: 0 });
  expect(bodies(await drain(q.crm)).map((m) => m.id)).toEqual(['a']);
  expect(bodies(await drain(q.crmDlq)).map((m) => m.id)).toEqual(['b']);
});

test('the S3 reader pages through a long listing', async () => {
  const api = awsArchiveApi(
    { endpoint: moto.endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } },
    BUCKET,
    2,
  );
  try {
    const keys = await api.list('attempts/');
    expect(keys.length).toBeGreaterThan(2);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.every((key) => key.startsWith('attempts/'))).toBe(true);
  } finally {
    api.close();
  }
});

test('the archive off: exit 2, one line', async () => {
  const off = path.join(workDir, 'off.json');
  fs.writeFileSync(
    off,
    JSON.stringify({
      ...JSON.parse(fs.readFileSync(outputsFile, 'utf8'))['webhook-pipeline'],
      history_bucket: '',
      history_retention_days: 0,
    }),
  );
  const result = await cli(['events', 'list'], { outputs: off });
  expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 2, stdout: '' });
  expect(result.stderr).toMatch(/^error: the history archive is off \(history_retention_days = 0\)[^\n]*\n$/);
});
