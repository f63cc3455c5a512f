import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createArchiveWriter } from '../../../src/handlers/shared/archive-writer';
import {
  ARCHIVE_PREFIXES,
  type ArchivedAttempt,
  type ArchivedWebhook,
  archiveHourFolder,
  archiveLine,
} from '../../../src/history/archive-records';
import { archivedAttempt, archivedWebhook } from '../../support/archive-lines';
import { type ArchiveStream, createArchiveStream } from '../../support/archive-stream';
import { type MotoServer, startMoto } from '../../support/moto';
import { captureOutput, type CapturedOutput } from '../../support/output';

/**
 * The writer with its real FirehoseClient against moto's Firehose, which writes each
 * PutRecordBatch call's records, concatenated, as one S3 object: what lands in the bucket is what a
 * reader of the archive parses.
 */

jest.setTimeout(60_000);

let moto: MotoServer;
let output: CapturedOutput;
let webhooks: ArchiveStream;
let attempts: ArchiveStream;
const savedEndpoint = process.env.AWS_ENDPOINT_URL;

const BODY = '{"n": 12345678901234567890123, "s":"é\\u00e9\\n",  "k": [1 , 2]}  \n';

const webhook = (n: number): ArchivedWebhook =>
  archivedWebhook(n, {
    headers: { 'x-github-event': 'push', 'x-github-delivery': `d-${n}`, 'content-type': 'application/json' },
    body: BODY,
    destinations: n % 2 === 0 ? ['ci', 'audit'] : [],
  });

const attempt = (n: number): ArchivedAttempt =>
  archivedAttempt(n, {
    attempt: 2,
    outcome: 'failed',
    status: 503,
    reason: 'http-503',
    duration_ms: 41,
    at: '2026-01-01T00:00:05.000Z',
    replay_id: n === 1 ? 'rp-1' : null,
  });

const newWriter = (streamName: string) => {
  const logger = new Logger({ serviceName: 'archive-int' });
  const metrics = new Metrics({ namespace: 'WebhookPipeline', serviceName: 'archive-int' });
  return { metrics, archive: createArchiveWriter({ streamName, logger, metrics }) };
};

beforeAll(async () => {
  moto = await startMoto();
  // The writer's default client finds moto the way the handlers' clients do.
  process.env.AWS_ENDPOINT_URL = moto.endpoint;
  webhooks = await createArchiveStream(moto.endpoint, {
    streamName: 'webhook-history-webhooks-test',
    bucket: 'webhook-history-test',
    prefix: ARCHIVE_PREFIXES.webhook,
  });
  attempts = await createArchiveStream(moto.endpoint, {
    streamName: 'webhook-history-attempts-test',
    bucket: 'webhook-history-attempts-test',
    prefix: ARCHIVE_PREFIXES.attempt,
  });
});

afterAll(async () => {
  if (savedEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL;
  else process.env.AWS_ENDPOINT_URL = savedEndpoint;
  await moto?.stop();
});

beforeEach(() => {
  output = captureOutput();
});
afterEach(() => output.restore());

describe('the archive writer on moto’s Firehose → S3', () => {
  it('lands every line, whole, in one object per call under <prefix>YYYY/MM/DD/HH/, as parseArchiveLines reads it back', async () => {
    const { archive } = newWriter(webhooks.streamName);
    const records = Array.from({ length: 25 }, (_, n) => webhook(n));
    const before = new Date();
    records.forEach((record) => archive.add(record));
    expect(await archive.flush()).toEqual({ written: 25, failed: 0, records: 1, calls: 1 });
    const after = new Date();

    const objects = await webhooks.objects();
    expect(objects).toHaveLength(1);
    const hours = new Set([archiveHourFolder(before), archiveHourFolder(after)]);
    expect([...hours].some((hour) => objects[0]!.key.startsWith(`${ARCHIVE_PREFIXES.webhook}${hour}${webhooks.streamName}-`))).toBe(true);
    expect(objects[0]!.text).toBe(records.map(archiveLine).join(''));
    const badLines: string[] = [];
    expect(await webhooks.records(badLines)).toEqual(records);
    expect(badLines).toEqual([]);
    expect(output.logs().filter((line) => line.level !== 'DEBUG')).toEqual([]);
  });

  it('writes attempt lines, replay ids included, to their own stream', async () => {
    const { archive } = newWriter(attempts.streamName);
    archive.add(attempt(1));
    archive.add(attempt(2));
    await archive.flush();
    expect(await attempts.records()).toEqual([attempt(1), attempt(2)]);
  });

  it('resolves, logs the lost ids once and counts them when the stream does not exist', async () => {
    const { archive, metrics } = newWriter('webhook-history-missing');
    archive.add(webhook(7));
    expect(await archive.flush()).toEqual({ written: 0, failed: 1, records: 1, calls: 1 });
    expect(output.logs().filter((line) => line.level === 'ERROR')).toEqual([
      expect.objectContaining({
        stream: 'webhook-history-missing',
        lines: 1,
        reasons: { ResourceNotFoundException: 1 },
        webhookIds: ['gh:d-7'],
      }),
    ]);
    metrics.publishStoredMetrics();
    expect(output.metricValues('ArchiveWriteFailed').map(({ value }) => value)).toEqual([1]);
  });
});
