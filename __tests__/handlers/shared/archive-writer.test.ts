import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import {
  type ArchiveWriterOptions,
  createArchiveWriter,
  FIREHOSE_LIMITS,
  type PutRecordBatch,
} from '../../../src/handlers/shared/archive-writer';
import { type ArchivedAttempt, type ArchivedWebhook, archiveLine, parseArchiveLines } from '../../../src/history/archive-records';
import { archivedAttempt, archivedWebhook } from '../../support/archive-lines';
import { captureOutput, type CapturedOutput } from '../../support/output';

/**
 * The writer's packing, limits and retries against a small fake PutRecordBatch; the real client
 * against moto's Firehose is archive-writer.int.test.ts.
 */

const webhook = (n: number, body = `{"n":${n}}`): ArchivedWebhook => archivedWebhook(n, { body });

const attempt = (n: number, destination = 'crm'): ArchivedAttempt =>
  archivedAttempt(n, { webhook_id: `shop:o-${n}`, source: 'shop', delivery_id: `o-${n}`, event_type: 'orders/create', destination });

interface Call {
  readonly stream: string;
  /** Each record's lines, gunzipped. */
  readonly records: string[];
  /** Each record's bytes as sent (GZIP), which Firehose's limits and bill count. */
  readonly sentBytes: number[];
}

/** Records every call; `answer` decides, per call, what Firehose says (default: all taken). */
function fakeFirehose(answer?: (records: string[], call: number) => Awaited<ReturnType<PutRecordBatch>> | Promise<never>) {
  const calls: Call[] = [];
  const put: PutRecordBatch = async (input) => {
    const records = input.Records.map(({ Data }) => gunzipSync(Data).toString('utf8'));
    calls.push({ stream: input.DeliveryStreamName, records, sentBytes: input.Records.map(({ Data }) => Data.length) });
    return answer ? answer(records, calls.length) : { FailedPutCount: 0, RequestResponses: records.map(() => ({ RecordId: 'r' })) };
  };
  return { calls, put };
}

describe('createArchiveWriter', () => {
  let output: CapturedOutput;
  let logger: Logger;
  let metrics: Metrics;
  const sleeps: number[] = [];

  beforeEach(() => {
    output = captureOutput();
    logger = new Logger({ serviceName: 'archive-test', logLevel: 'DEBUG' });
    metrics = new Metrics({ namespace: 'WebhookPipeline', serviceName: 'archive-test' });
    sleeps.length = 0;
  });
  afterEach(() => output.restore());

  const writer = (put: PutRecordBatch, options: Partial<ArchiveWriterOptions> = {}) =>
    createArchiveWriter({
      streamName: 'webhook-history-webhooks-test',
      logger,
      metrics,
      connect: () => put,
      backoffMs: (round) => 10 * round,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      ...options,
    });
  const failures = () => output.logs().filter((line) => line.level === 'ERROR');
  const failedCount = () => {
    metrics.publishStoredMetrics();
    return output.metricValues('ArchiveWriteFailed').map(({ value }) => value);
  };

  it('is a no-op that creates no client when the stream name is empty', async () => {
    const connect = jest.fn();
    const off = createArchiveWriter({ streamName: '', logger, metrics, connect });
    off.add(webhook(1));
    expect(off.enabled).toBe(false);
    expect(await off.flush()).toEqual({ written: 0, failed: 0, records: 0, calls: 0 });
    expect(connect).not.toHaveBeenCalled();
    expect(output.text()).toBe('');
  });

  it('connects once, however many flushes, and sends nothing for an empty buffer', async () => {
    const { calls, put } = fakeFirehose();
    const connect = jest.fn(() => put);
    const archive = writer(put, { connect });
    expect(await archive.flush()).toEqual({ written: 0, failed: 0, records: 0, calls: 0 });
    archive.add(webhook(1));
    await archive.flush();
    archive.add(webhook(2));
    await archive.flush();
    expect(connect).toHaveBeenCalledTimes(1);
    expect(calls.map((call) => call.records.length)).toEqual([1, 1]);
    expect(calls.every((call) => call.stream === 'webhook-history-webhooks-test')).toBe(true);
  });

  it('packs an invocation’s lines into one record of newline-terminated JSON, and logs nothing above DEBUG', async () => {
    const { calls, put } = fakeFirehose();
    const archive = writer(put);
    const records = [webhook(1), webhook(2), attempt(3)];
    records.forEach((record) => archive.add(record));

    expect(await archive.flush()).toEqual({ written: 3, failed: 0, records: 1, calls: 1 });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.records).toEqual([records.map(archiveLine).join('')]);
    expect(parseArchiveLines(calls[0]!.records[0]!)).toEqual(records);
    expect(output.logs().filter((line) => line.level !== 'DEBUG')).toEqual([]);
    expect(output.logs()).toEqual([expect.objectContaining({ message: 'Archive lines written', lines: 3, records: 1, calls: 1 })]);
    // The buffer is empty again.
    expect(await archive.flush()).toEqual({ written: 0, failed: 0, records: 0, calls: 0 });
    expect(failedCount()).toEqual([]);
  });

  it('keeps each record within 1,000,000 bytes and each call within 4 MiB, lines whole and in order', async () => {
    const { calls, put } = fakeFirehose();
    const archive = writer(put);
    // 3,000 lines of about 2.9 KB, mostly random (GZIP saves a quarter of base64): 8.7 MB, so 9
    // records, still over 4 MiB once compressed, so 2 calls.
    const records = Array.from({ length: 3_000 }, (_, n) => webhook(n, JSON.stringify({ n, pad: randomBytes(2_000).toString('base64') })));
    records.forEach((record) => archive.add(record));
    const result = await archive.flush();

    const sent = calls.flatMap((call) => call.records);
    expect(result).toEqual({ written: 3_000, failed: 0, records: sent.length, calls: calls.length });
    expect(sent.length).toBe(Math.ceil(records.map(archiveLine).join('').length / FIREHOSE_LIMITS.recordBytes));
    expect(calls).toHaveLength(2);
    for (const record of sent) {
      expect(Buffer.byteLength(record)).toBeLessThanOrEqual(FIREHOSE_LIMITS.recordBytes);
      expect(record.endsWith('\n')).toBe(true);
    }
    for (const call of calls) {
      expect(call.sentBytes.reduce((sum, bytes) => sum + bytes, 0)).toBeLessThanOrEqual(FIREHOSE_LIMITS.bytesPerCall);
      call.sentBytes.forEach((bytes, index) => expect(bytes).toBeLessThan(Buffer.byteLength(call.records[index]!)));
    }
    expect(parseArchiveLines(sent.join(''))).toEqual(records);
  });

  it('sends at most 500 records per call', async () => {
    const { calls, put } = fakeFirehose();
    // A record limit below two lines' size: one line per record.
    const archive = writer(put, { limits: { recordBytes: archiveLine(webhook(1000)).length + 10 } });
    for (let n = 1000; n < 2200; n++) archive.add(webhook(n));
    expect(await archive.flush()).toMatchObject({ written: 1_200, failed: 0, records: 1_200, calls: 3 });
    expect(calls.map((call) => call.records.length)).toEqual([500, 500, 200]);
  });

  it('counts multibyte text in bytes, not characters', async () => {
    const { calls, put } = fakeFirehose();
    const line = archiveLine(webhook(1, '"ééééé"'));
    const archive = writer(put, { limits: { recordBytes: Buffer.byteLength(line) * 2 - 1 } });
    archive.add(webhook(1, '"ééééé"'));
    archive.add(webhook(2, '"ééééé"'));
    await archive.flush();
    expect(calls[0]!.records).toHaveLength(2);
  });

  it('retries only the records Firehose reports failed, after a short backoff, and then logs nothing', async () => {
    const { calls, put } = fakeFirehose((records, call) =>
      call === 1
        ? {
            FailedPutCount: 1,
            RequestResponses: records.map((_record, index) =>
              index === 1 ? { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' } : { RecordId: `r-${index}` },
            ),
          }
        : { FailedPutCount: 0, RequestResponses: records.map(() => ({ RecordId: 'r' })) },
    );
    const archive = writer(put, { limits: { recordBytes: 2_000 } });
    const records = Array.from({ length: 6 }, (_, n) => webhook(n, JSON.stringify({ pad: 'y'.repeat(700) })));
    records.forEach((record) => archive.add(record));

    const result = await archive.flush();
    // Two lines per record: three records, the second of which is sent again, alone.
    expect(calls.map((call) => call.records.length)).toEqual([3, 1]);
    expect(calls[1]!.records).toEqual([calls[0]!.records[1]]);
    expect(result).toEqual({ written: 6, failed: 0, records: 4, calls: 2 });
    expect(sleeps).toEqual([10]);
    expect(failures()).toEqual([]);
    expect(failedCount()).toEqual([]);
  });

  it('gives up after the bounded rounds: one ERROR line with the lost lines’ ids, counted in ArchiveWriteFailed', async () => {
    const { calls, put } = fakeFirehose((records) => ({
      FailedPutCount: records.length,
      RequestResponses: records.map(() => ({ ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' })),
    }));
    const archive = writer(put, { streamName: 'webhook-history-attempts-test', maxAttempts: 3 });
    archive.add(attempt(1, 'crm'));
    archive.add(attempt(2, 'audit'));

    await expect(archive.flush()).resolves.toEqual({ written: 0, failed: 2, records: 3, calls: 3 });
    expect(calls).toHaveLength(3);
    expect(sleeps).toEqual([10, 20]);
    expect(failures()).toEqual([
      expect.objectContaining({
        message: 'Archive lines lost: Firehose did not take them (the deliveries are not affected)',
        reason: 'archive-write-failed',
        stream: 'webhook-history-attempts-test',
        lines: 2,
        reasons: { ServiceUnavailableException: 2 },
        webhookIds: ['shop:o-1', 'shop:o-2'],
        destinations: ['crm', 'audit'],
      }),
    ]);
    expect(failedCount()).toEqual([2]);
  });

  it('treats a response missing from a call that reported failures as failed', async () => {
    const { calls, put } = fakeFirehose((_records, call) => (call === 1 ? { FailedPutCount: 1 } : { FailedPutCount: 0 }));
    const archive = writer(put);
    archive.add(webhook(1));
    expect(await archive.flush()).toEqual({ written: 1, failed: 0, records: 2, calls: 2 });
    expect(calls[1]!.records).toEqual(calls[0]!.records);
  });

  it('does not retry a call that failed as a whole (the SDK retried it already), and names the error', async () => {
    const { calls, put } = fakeFirehose(() =>
      Promise.reject(Object.assign(new Error('Firehose webhook-history-webhooks-test not found.'), { name: 'ResourceNotFoundException' })),
    );
    const archive = writer(put);
    archive.add(webhook(1));
    archive.add(webhook(2));
    expect(await archive.flush()).toEqual({ written: 0, failed: 2, records: 1, calls: 1 });
    expect(calls).toHaveLength(1);
    const [line] = failures();
    expect(line).toMatchObject({ lines: 2, reasons: { ResourceNotFoundException: 2 }, webhookIds: ['gh:d-1', 'gh:d-2'] });
    // Webhook lines name no destination.
    expect(line).not.toHaveProperty('destinations');
    expect(failedCount()).toEqual([2]);
  });

  it('sets aside a line too large for any record, and still writes the others', async () => {
    const { calls, put } = fakeFirehose();
    const archive = writer(put);
    archive.add(webhook(1, JSON.stringify({ pad: 'z'.repeat(FIREHOSE_LIMITS.recordBytes) })));
    archive.add(webhook(2));
    expect(await archive.flush()).toEqual({ written: 1, failed: 1, records: 1, calls: 1 });
    expect(parseArchiveLines(calls[0]!.records[0]!)).toEqual([webhook(2)]);
    expect(failures()).toEqual([expect.objectContaining({ lines: 1, reasons: { 'line-too-large': 1 }, webhookIds: ['gh:d-1'] })]);
    expect(failedCount()).toEqual([1]);
  });

  it('spends no call when the invocation has no time left, and gives the lines up', async () => {
    const { calls, put } = fakeFirehose();
    const archive = writer(put);
    archive.add(webhook(1));
    expect(await archive.flush({ remainingTimeMs: 900 })).toEqual({ written: 0, failed: 1, records: 0, calls: 0 });
    expect(calls).toEqual([]);
    expect(failures()).toEqual([expect.objectContaining({ reasons: { 'out-of-time': 1 } })]);
  });

  it('abandons a call that hangs once the budget is spent, and resolves', async () => {
    let signal: AbortSignal | undefined;
    const hanging: PutRecordBatch = (_input, options) => {
      signal = options.abortSignal;
      return new Promise((_resolve, reject) => options.abortSignal.addEventListener('abort', () => reject(options.abortSignal.reason)));
    };
    const archive = writer(hanging, { budgetMs: 100 });
    archive.add(webhook(1));
    const started = Date.now();
    expect(await archive.flush({ remainingTimeMs: 60_000 })).toEqual({ written: 0, failed: 1, records: 1, calls: 1 });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(signal?.aborted).toBe(true);
    expect(failures()).toEqual([expect.objectContaining({ reasons: { 'out-of-time': 1 } })]);
  });

  it('does not back off past the budget: the lines still failing are given up at once', async () => {
    const { calls, put } = fakeFirehose((records) => ({
      FailedPutCount: records.length,
      RequestResponses: records.map(() => ({ ErrorCode: 'InternalFailure' })),
    }));
    const archive = writer(put, { budgetMs: 500, backoffMs: () => 10_000 });
    archive.add(webhook(1));
    expect(await archive.flush()).toMatchObject({ written: 0, failed: 1, calls: 1 });
    expect(calls).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(failures()).toEqual([expect.objectContaining({ reasons: { InternalFailure: 1 } })]);
  });

  it('caps the ids a failure line lists, saying how many it left out', async () => {
    const { put } = fakeFirehose(() => Promise.reject(new Error('down')));
    const archive = writer(put);
    for (let n = 0; n < 130; n++) archive.add(webhook(n));
    await archive.flush();
    const [line] = failures();
    expect(line).toMatchObject({ lines: 130, idsOmitted: 30, reasons: { Error: 130 } });
    expect(line!.webhookIds).toHaveLength(100);
  });

  it('never rejects, even when its own machinery throws', async () => {
    const { put } = fakeFirehose((records) => ({
      FailedPutCount: 1,
      RequestResponses: records.map(() => ({ ErrorCode: 'InternalFailure' })),
    }));
    const archive = writer(put, {
      backoffMs: () => {
        throw new TypeError('broken backoff');
      },
    });
    archive.add(webhook(1));
    archive.add(webhook(2));
    await expect(archive.flush()).resolves.toMatchObject({ written: 0, failed: 2 });
    expect(failures()).toEqual([expect.objectContaining({ lines: 2, reasons: { TypeError: 2 } })]);
    expect(failedCount()).toEqual([2]);
  });

  it('drops, with a warning, a record that cannot be serialized, and writes the rest', async () => {
    const { calls, put } = fakeFirehose();
    const archive = writer(put);
    archive.add({ ...webhook(1), attempt: 1n } as unknown as ArchivedWebhook);
    archive.add(webhook(2));
    expect(await archive.flush()).toMatchObject({ written: 1, failed: 0 });
    expect(parseArchiveLines(calls[0]!.records[0]!)).toEqual([webhook(2)]);
    expect(output.logs().filter((line) => line.level === 'WARN')).toEqual([
      expect.objectContaining({ message: 'Archive line dropped: it cannot be serialized' }),
    ]);
  });

  it('backs off about 100 ms by default before retrying', async () => {
    const { calls, put } = fakeFirehose((records, call) => ({
      FailedPutCount: call === 1 ? 1 : 0,
      RequestResponses: records.map(() => (call === 1 ? { ErrorCode: 'ServiceUnavailableException' } : { RecordId: 'r' })),
    }));
    const archive = createArchiveWriter({ streamName: 's', logger, metrics, connect: () => put });
    archive.add(webhook(1));
    const started = Date.now();
    expect(await archive.flush()).toMatchObject({ written: 1, calls: 2 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(70);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(calls).toHaveLength(2);
  });

  it('lists a mixed failure’s destinations in line with its ids, null for webhook lines, and names an odd rejection unknown', async () => {
    const { put } = fakeFirehose(() => Promise.reject('not an Error'));
    const archive = writer(put);
    archive.add(webhook(1));
    archive.add(attempt(2, 'crm'));
    await archive.flush();
    expect(failures()).toEqual([
      expect.objectContaining({ reasons: { unknown: 2 }, webhookIds: ['gh:d-1', 'shop:o-2'], destinations: [null, 'crm'] }),
    ]);
  });

  it('keeps lines added during a flush for the next one', async () => {
    const late: { archive?: ReturnType<typeof writer> } = {};
    const { calls, put } = fakeFirehose((records) => {
      late.archive!.add(webhook(9));
      return { FailedPutCount: 0, RequestResponses: records.map(() => ({ RecordId: 'r' })) };
    });
    const archive = (late.archive = writer(put));
    archive.add(webhook(1));
    await archive.flush();
    expect(parseArchiveLines(calls[0]!.records.join(''))).toEqual([webhook(1)]);
    await archive.flush();
    expect(parseArchiveLines(calls[1]!.records.join(''))).toEqual([webhook(9)]);
  });
});
