import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import {
  type ActionCount,
  type AwsProxy,
  FIREHOSE_BILLING_INCREMENT_BYTES,
  firehoseBilledBytes,
  startAwsProxy,
} from '../../bench/aws-proxy';
import { type ArchiveFigures, archiveFigures, type ArchiveObject, type CostRun, firehoseTraffic, readCostBaseline } from '../../bench/cost';
import { ARCHIVE_MODEL, archiveBytesPerWebhook, archiveFixedMonthly, costModel } from '../../bench/cost-model';
import { evaluateCostTargets, renderCost } from '../../bench/cost-report';
import { pipelineEnv, type PipelineSettings } from '../../bench/pipeline-env';
import { PRICES } from '../../bench/prices';
import { HANDLER_ENV } from '../../src/contract';
import { type ArchivedAttempt, type ArchivedWebhook, archiveLine } from '../../src/history/archive-records';

const GIB = 1024 ** 3;

describe('the proxy’s Firehose tally', () => {
  it('rounds each record up to the next 5 KiB, an empty one to one increment', () => {
    expect(FIREHOSE_BILLING_INCREMENT_BYTES).toBe(5120);
    expect([0, 1, 5120, 5121, 12_000].map(firehoseBilledBytes)).toEqual([5120, 5120, 5120, 10_240, 15_360]);
  });

  describe('through a running proxy', () => {
    let upstream: Server;
    let proxy: AwsProxy;
    beforeAll(async () => {
      upstream = createServer((request, response) => {
        request.resume();
        request.on('end', () => response.end('{"FailedPutCount":0}'));
      });
      await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
      proxy = await startAwsProxy(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, 0);
    });
    afterAll(async () => {
      await proxy.close();
      await new Promise<void>((resolve) => upstream.close(() => resolve()));
    });

    const send = (target: string, body: unknown) =>
      new Promise<void>((resolve, reject) => {
        const url = new URL(proxy.url);
        const request = httpRequest(
          {
            host: url.hostname,
            port: url.port,
            method: 'POST',
            path: '/',
            headers: {
              'content-type': 'application/x-amz-json-1.1',
              'x-amz-target': target,
              authorization:
                'AWS4-HMAC-SHA256 Credential=testing/20261201/us-east-1/firehose/aws4_request, SignedHeaders=host, Signature=0',
            },
          },
          (response) => {
            response.resume();
            response.on('end', () => resolve());
          },
        );
        request.once('error', reject);
        request.end(typeof body === 'string' ? body : JSON.stringify(body));
      });
    const data = (bytes: number) => Buffer.alloc(bytes, 'x').toString('base64');
    const find = (actions: readonly ActionCount[], action: string) => actions.find((entry) => entry.action === action)!;

    it('counts PutRecordBatch and PutRecord records, their decoded bytes and their billed bytes', async () => {
      await send('Firehose_20150804.PutRecordBatch', {
        DeliveryStreamName: 'archive',
        Records: [{ Data: data(1000) }, { Data: data(5121) }, { Data: data(12_000) }],
      });
      await send('Firehose_20150804.PutRecordBatch', { DeliveryStreamName: 'archive', Records: [{ Data: data(3000) }] });
      await send('Firehose_20150804.PutRecord', { DeliveryStreamName: 'archive', Record: { Data: data(6000) } });
      const { actions } = proxy.takeCounts();
      expect(find(actions, 'PutRecordBatch')).toMatchObject({
        service: 'firehose',
        calls: 2,
        firehoseRecords: 4,
        firehoseDataBytes: 1000 + 5121 + 12_000 + 3000,
        firehoseBilledBytes: 5120 + 10_240 + 15_360 + 5120,
        sqsChunks: 0,
      });
      expect(find(actions, 'PutRecord')).toMatchObject({
        service: 'firehose',
        calls: 1,
        firehoseRecords: 1,
        firehoseDataBytes: 6000,
        firehoseBilledBytes: 10_240,
      });
      expect(firehoseTraffic(actions)).toEqual({
        calls: 3,
        records: 5,
        dataBytes: 1000 + 5121 + 12_000 + 3000 + 6000,
        billedBytes: 5120 + 10_240 + 15_360 + 5120 + 10_240,
      });
    });

    it('bills a record without data as one increment', async () => {
      await send('Firehose_20150804.PutRecordBatch', { DeliveryStreamName: 'archive', Records: [{}] });
      const { actions } = proxy.takeCounts();
      expect(find(actions, 'PutRecordBatch')).toMatchObject({ firehoseRecords: 1, firehoseDataBytes: 0, firehoseBilledBytes: 5120 });
    });

    it('leaves other Firehose actions and a body that is not JSON at their call', async () => {
      await send('Firehose_20150804.DescribeDeliveryStream', { DeliveryStreamName: 'archive' });
      await send('Firehose_20150804.PutRecordBatch', '{"Records": [torn');
      const { actions } = proxy.takeCounts();
      expect(find(actions, 'DescribeDeliveryStream')).toMatchObject({ service: 'firehose', calls: 1, firehoseRecords: 0 });
      expect(find(actions, 'PutRecordBatch')).toMatchObject({ calls: 1, firehoseRecords: 0, firehoseBilledBytes: 0 });
      expect(firehoseTraffic(actions)).toEqual({ calls: 1, records: 0, dataBytes: 0, billedBytes: 0 });
    });
  });
});

const webhookLine = (id: string, body = `{"ref":"refs/heads/main","id":"${id}"}`): ArchivedWebhook => ({
  v: 1,
  kind: 'webhook',
  webhook_id: `github:${id}`,
  source: 'github',
  delivery_id: id,
  event_type: 'push',
  received_at: '2026-12-01T12:00:00.000Z',
  processed_at: '2026-12-01T12:00:00.100Z',
  request_id: `request-${id}`,
  headers: { 'x-github-event': 'push' },
  body,
  destinations: ['default'],
});
const attemptLine = (id: string, attempt = 1): ArchivedAttempt => ({
  v: 1,
  kind: 'attempt',
  webhook_id: `github:${id}`,
  source: 'github',
  delivery_id: id,
  event_type: 'push',
  destination: 'default',
  attempt,
  outcome: 'delivered',
  last: false,
  status: 200,
  reason: null,
  duration_ms: 1001,
  at: '2026-12-01T12:00:02.000Z',
  replay_id: null,
});
const object = (kind: ArchiveObject['kind'], lines: string[]): ArchiveObject => ({ kind, data: Buffer.from(lines.join(''), 'utf8') });
const traffic = (records: number, bytes: number) => ({ calls: records, records, dataBytes: bytes, billedBytes: records * 5120 });
const ids = ['a', 'b', 'c', 'd'];
const allIds = new Set(ids.map((id) => `github:${id}`));

describe('archiveFigures', () => {
  it('sizes each kind and finds one line per webhook and attempt', () => {
    const webhookObjects = [
      object('webhook', [archiveLine(webhookLine('a')), archiveLine(webhookLine('b'))]),
      object('webhook', [archiveLine(webhookLine('c')), archiveLine(webhookLine('d'))]),
    ];
    const attemptObjects = [
      object(
        'attempt',
        ids.map((id) => archiveLine(attemptLine(id))),
      ),
    ];
    const figures = archiveFigures(
      [...webhookObjects, ...attemptObjects],
      { webhook: traffic(2, 900), attempt: traffic(1, 800) },
      allIds,
      allIds,
    );
    const raw = webhookObjects.reduce((total, entry) => total + entry.data.length, 0);
    expect(figures).toMatchObject({
      webhooksArchived: 4,
      webhooksArchivedTwice: 0,
      attemptsArchived: 4,
      attemptsArchivedTwice: 0,
      strayLines: 0,
    });
    expect(figures.kinds.webhook).toEqual({
      objects: 2,
      lines: 4,
      rawBytes: raw,
      gzipBytes: webhookObjects.reduce((total, entry) => total + gzipSync(entry.data, { level: 6 }).length, 0),
      gzipBytesOneObject: gzipSync(Buffer.concat(webhookObjects.map((entry) => entry.data)), { level: 6 }).length,
      ...traffic(2, 900),
    });
    expect(figures.kinds.attempt).toMatchObject({ objects: 1, lines: 4, records: 1, dataBytes: 800 });
    expect(figures.kinds.webhook.gzipBytesOneObject).toBeLessThan(figures.kinds.webhook.gzipBytes);
  });

  it('counts lines twice, strangers, lines in the wrong stream and lines that are not JSON', () => {
    const figures = archiveFigures(
      [
        object('webhook', [archiveLine(webhookLine('a')), archiveLine(webhookLine('a')), archiveLine(webhookLine('zz')), '{torn\n']),
        object('webhook', [archiveLine(attemptLine('b'))]),
        object('attempt', [
          archiveLine(attemptLine('a')),
          archiveLine(attemptLine('a')),
          archiveLine(attemptLine('a', 2)),
          archiveLine(attemptLine('zz')),
        ]),
      ],
      { webhook: traffic(0, 0), attempt: traffic(0, 0) },
      allIds,
      new Set(['github:a']),
    );
    expect(figures).toMatchObject({
      webhooksArchived: 1,
      webhooksArchivedTwice: 1,
      attemptsArchived: 2, // attempt 1 (twice) and attempt 2
      attemptsArchivedTwice: 1,
      strayLines: 4, // zz's webhook, the torn line, b's attempt under webhooks/, zz's attempt
    });
    expect(figures.kinds.webhook.lines).toBe(4);
    expect(figures.kinds.attempt.lines).toBe(4);
  });

  it('reports an empty kind as zeros', () => {
    const figures = archiveFigures([], { webhook: traffic(0, 0), attempt: traffic(0, 0) }, allIds, allIds);
    expect(figures.kinds.webhook).toMatchObject({ objects: 0, lines: 0, rawBytes: 0, gzipBytes: 0, gzipBytesOneObject: 0 });
    expect(figures.webhooksArchived).toBe(0);
  });
});

/** The recorded baseline (no archive), given one: 200 accepted, 200 delivered. */
const baseline = readCostBaseline()!;
const kind = (changes: Partial<ArchiveFigures['kinds']['webhook']>) => ({
  objects: 20,
  lines: 200,
  rawBytes: 640_000,
  gzipBytes: 200_000,
  gzipBytesOneObject: 150_000,
  calls: 20,
  records: 20,
  dataBytes: 640_000,
  billedBytes: 20 * 7 * 5120, // 32,000 B a record: 7 increments
  ...changes,
});
const archive = (changes: Partial<ArchiveFigures> = {}): ArchiveFigures => ({
  kinds: {
    webhook: kind({}),
    attempt: kind({ rawBytes: 80_000, gzipBytes: 20_000, gzipBytesOneObject: 10_000, dataBytes: 80_000, billedBytes: 20 * 5120 }),
  },
  webhooksArchived: 200,
  webhooksArchivedTwice: 0,
  attemptsArchived: 200,
  attemptsArchivedTwice: 0,
  strayLines: 0,
  ...changes,
});
const withArchive = (figures: ArchiveFigures = archive()): CostRun => ({ ...baseline, archive: figures });
const line = (run: CostRun, start: string) => costModel(run).lines.find((entry) => entry.item.startsWith(start));

describe('the cost model’s archive lines', () => {
  it('price Firehose’s billed bytes, 30 days of the GZIP objects and the 64 MB objects’ PUTs, all in the total', () => {
    const run = withArchive();
    const billed = (20 * 7 * 5120 + 20 * 5120) / 200; // 4,096
    const gzip = (200_000 + 20_000) / 200;
    const raw = (640_000 + 80_000) / 200;
    expect(archiveBytesPerWebhook(run)).toEqual({ raw, gzip, gzipOneObject: 160_000 / 200, firehoseData: raw, firehoseBilled: billed });
    expect(line(run, 'Firehose: ingestion')).toMatchObject({ perWebhook: billed, inTotal: true, basis: 'measured' });
    expect(line(run, 'Firehose: ingestion')!.usdPerMillion).toBeCloseTo(((billed * 1e6) / GIB) * 0.029, 10);
    expect(line(run, 'S3: storage')).toMatchObject({ perWebhook: gzip, inTotal: true });
    expect(line(run, 'S3: storage')!.usdPerMillion).toBeCloseTo(((gzip * 1e6) / GIB) * 0.023, 10);
    expect(line(run, 'S3: PUTs by Firehose')).toMatchObject({ perWebhook: raw / (64 * 1024 ** 2), inTotal: true, basis: 'modelled' });
    expect(line(run, 'S3: PUTs by Firehose')!.usdPerMillion).toBeCloseTo((raw / (64 * 1024 ** 2)) * 5, 12);
    const added = ['Firehose: ingestion', 'S3: storage', 'S3: PUTs by Firehose'].reduce(
      (total, start) => total + line(run, start)!.usdPerMillion,
      0,
    );
    expect(costModel(run).usdPerMillion - costModel(baseline).usdPerMillion).toBeCloseTo(added, 10);
    expect(added).toBeGreaterThan(0);
  });

  it('store for the default retention, as the stack’s archive is configured', () => {
    expect(ARCHIVE_MODEL).toMatchObject({
      retentionDays: 30,
      daysPerMonth: 30,
      bufferSeconds: 60,
      bufferBytes: 64 * 1024 ** 2,
      streams: 2,
    });
    expect(line(withArchive(), 'S3: storage')!.item).toMatch(/30 days/);
  });

  it('keep the fixed monthly part out of the per-million total: the key and 86,400 PUTs a month', () => {
    const model = costModel(withArchive());
    expect(model.fixedMonthly.map((entry) => entry.unitsPerMonth)).toEqual([1, 86_400]);
    expect(model.fixedMonthly[0].usdPerMonth).toBe(1);
    expect(model.fixedMonthly[1].usdPerMonth).toBeCloseTo(0.432, 10);
    expect(model.usdPerMonthFixed).toBeCloseTo(1.432, 10);
    expect(model.fixedMonthly.every((entry) => entry.why.length > 0)).toBe(true);
    expect(model.lines.some((entry) => /KMS/.test(entry.item))).toBe(false);
    expect(PRICES.firehoseDirectPutIngestion).toMatchObject({ usd: 0.029, source: 'https://aws.amazon.com/firehose/pricing/' });
    expect(PRICES.firehoseDirectPutIngestion.note).toMatch(/5KB increments/);
  });

  it('add nothing for a run without an archive (the baseline)', () => {
    const model = costModel(baseline);
    expect(archiveBytesPerWebhook(baseline)).toBeUndefined();
    expect(model.lines.filter((entry) => /^(Firehose|S3):/.test(entry.item))).toEqual([]);
    expect(model.fixedMonthly).toEqual([]);
    expect(archiveFixedMonthly(baseline)).toEqual([]);
    expect(model.usdPerMonthFixed).toBe(0);
  });
});

describe('the archive target and the report', () => {
  const clean = (figures?: ArchiveFigures): CostRun => ({ ...withArchive(figures), deliveredDistinct: 200 });
  const target = (run: CostRun) => evaluateCostTargets({ after: run }).find((entry) => entry.name.startsWith('archive:'))!;

  it('passes with one line per accepted webhook and per delivery', () => {
    expect(target(clean())).toMatchObject({
      name: 'archive: every accepted webhook and every attempt archived once',
      pass: true,
      detail: expect.stringMatching(
        /^200 webhook lines for 200 accepted .* 200 attempt lines for 200 deliveries .* 0 stray; 40 objects from 40/,
      ),
    });
  });

  it.each<[string, Partial<ArchiveFigures>]>([
    ['a webhook missing', { webhooksArchived: 199 }],
    ['a webhook twice', { webhooksArchivedTwice: 1 }],
    ['an attempt missing', { attemptsArchived: 199 }],
    ['an attempt twice', { attemptsArchivedTwice: 1 }],
    ['a stray line', { strayLines: 1 }],
    ['a webhook line too many', { kinds: { ...archive().kinds, webhook: kind({ lines: 201 }) } }],
    ['an attempt line too few', { kinds: { ...archive().kinds, attempt: kind({ lines: 199 }) } }],
  ])('fails with %s', (_, changes) => {
    expect(target(clean(archive(changes))).pass).toBe(false);
  });

  it('fails when no archive was read, or nothing was measured', () => {
    expect(target(baseline)).toMatchObject({ pass: false, detail: expect.stringMatching(/no archive/) });
    expect(evaluateCostTargets({ error: 'no bundle' }).find((entry) => entry.name.startsWith('archive:'))).toMatchObject({
      pass: false,
      detail: 'not measured: no bundle',
    });
  });

  it('counts the archive in the cost target and names it', () => {
    const usd = evaluateCostTargets({ after: clean() }).find((entry) => entry.name.startsWith('cost per million'))!;
    expect(usd.name).toMatch(/the event archive included/);
    expect(usd.detail).toMatch(/archive \$0\.\d\d; .*the archive's fixed \$1\.43 a month\)$/);
  });

  it('prints the archive’s bytes per webhook and its fixed monthly part', () => {
    const text = renderCost({ after: clean(), before: baseline }).join('\n');
    expect(text).toMatch(/\| archive: raw bytes \(webhook \+ attempt lines\) \| n\/a \| 3600 \|/);
    expect(text).toMatch(/\| archive: GZIP bytes \(level 6, per object\) \| n\/a \| 1100 \|/);
    expect(text).toMatch(/\| archive: GZIP bytes, all objects as one \(at volume\) \| n\/a \| 800 \|/);
    expect(text).toMatch(/\| archive: Firehose billed bytes \(records rounded up to 5 KB\) \| n\/a \| 4096 \|/);
    expect(text).toMatch(/\| Firehose: ingestion .* \| measured \| – \| 4096 bytes \| – \| \$0\.\d+ \|/);
    expect(text).toMatch(/fixed part, \$1\.43 a month/);
    expect(text).toMatch(/\| S3: PUTs by Firehose, 2 streams flushing every 60 s at low volume \| 86,400 requests \| \$0\.43 \|/);
    expect(text).toMatch(/webhooks 20 records in 20 calls, 32000 B a record; attempts 20 records in 20 calls, 4000 B a record/);
    expect(renderCost({ after: baseline }).join('\n')).not.toMatch(/fixed part/);
  });
});

describe('pipelineEnv and the archive', () => {
  const endpoints = {
    ingestQueueUrl: 'http://aws/ingest',
    processQueueUrl: 'http://aws/process',
    deliverQueueUrl: 'http://aws/deliver',
    deadLetterQueueUrls: { validator: 'http://aws/i-dlq', processor: 'http://aws/p-dlq', dispatcher: 'http://aws/d-dlq' },
    deliveryUrl: 'http://receiver/webhooks',
  };
  const settings: PipelineSettings = {
    sources: { github: 'github' },
    sourceSecretsPath: '/sources/',
    deliverySecretParameter: '/delivery',
    idempotencyTable: 'table',
    deliveryTimeoutMs: 4800,
  };
  const streams = { webhook: 'webhooks-stream', attempt: 'attempts-stream' };

  it('names the webhook stream to the processor and the attempt stream to the dispatcher', () => {
    const env = (name: 'validator' | 'processor' | 'dispatcher') => pipelineEnv(name, endpoints, { ...settings, archiveStreams: streams });
    expect(env('processor')[HANDLER_ENV.archiveWebhookStream]).toBe('webhooks-stream');
    expect(env('processor')[HANDLER_ENV.archiveAttemptStream]).toBeUndefined();
    expect(env('dispatcher')[HANDLER_ENV.archiveAttemptStream]).toBe('attempts-stream');
    expect(env('dispatcher')[HANDLER_ENV.archiveWebhookStream]).toBeUndefined();
    expect(Object.keys(env('validator')).filter((key) => key.startsWith('ARCHIVE_'))).toEqual([]);
  });

  it('turns the archive off without streams', () => {
    expect(pipelineEnv('processor', endpoints, settings)[HANDLER_ENV.archiveWebhookStream]).toBe('');
    expect(pipelineEnv('dispatcher', endpoints, settings)[HANDLER_ENV.archiveAttemptStream]).toBe('');
  });
});
