import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { gzipSync } from 'node:zlib';
import { FirehoseClient, PutRecordBatchCommand, type PutRecordBatchCommandOutput } from '@aws-sdk/client-firehose';
import { HANDLER_METRICS } from '../../contract';
import { archiveLine, type ArchiveRecord } from '../../history/archive-records';

/**
 * Firehose's PutRecordBatch limits: a record's data at most 1,000 KB (taken as 1,000,000 bytes), at
 * most 500 records and 4 MiB of data per call.
 */
export const FIREHOSE_LIMITS = { recordBytes: 1_000_000, recordsPerCall: 500, bytesPerCall: 4 * 1024 * 1024 } as const;
export type FirehoseLimits = { readonly [K in keyof typeof FIREHOSE_LIMITS]: number };

/** One PutRecordBatch call; the default sends it with a FirehoseClient. Resolves to Firehose's answer, rejects when the call failed as a whole. */
export type PutRecordBatch = (
  input: { readonly DeliveryStreamName: string; readonly Records: { readonly Data: Uint8Array }[] },
  options: { readonly abortSignal: AbortSignal },
) => Promise<Partial<Pick<PutRecordBatchCommandOutput, 'FailedPutCount' | 'RequestResponses'>>>;

/**
 * Buffers archive lines during an invocation and writes them to the function's Firehose stream at
 * its end (src/history/archive-records.ts).
 */
export interface ArchiveWriter {
  /** Whether lines go anywhere: false when the archive is off (no stream). */
  readonly enabled: boolean;
  /** Buffers one line until the next {@link flush}. Never throws. */
  add(record: ArchiveRecord): void;
  /**
   * Sends what is buffered and empties the buffer. **Never rejects, and never takes longer than its
   * budget**: the archive is a record of what happened, not part of it, so an archive outage must
   * never fail a record (SQS would redeliver it: a webhook processed twice, a delivery repeated) nor
   * hold the invocation until Lambda's timeout (which fails the whole batch). What Firehose does not
   * take after the retries is logged once, as one ERROR line naming the lines' ids, and counted in
   * `ArchiveWriteFailed`; it is lost to the archive, and only to the archive.
   */
  flush(options?: FlushOptions): Promise<FlushResult>;
}

export interface FlushOptions {
  /** The invocation's remaining time (`context.getRemainingTimeInMillis()`): the flush ends well before it. */
  readonly remainingTimeMs?: number;
}

export interface FlushResult {
  /** Lines Firehose took. */
  readonly written: number;
  /** Lines lost: failed after the retries, too large for a record, or out of time. */
  readonly failed: number;
  /** Firehose records sent (each holding many lines) and PutRecordBatch calls made, retries included. */
  readonly records: number;
  readonly calls: number;
}

export interface ArchiveWriterOptions {
  /** The Firehose stream (ARCHIVE_WEBHOOK_STREAM / ARCHIVE_ATTEMPT_STREAM); `''` turns the writer into a no-op that creates no client. */
  readonly streamName: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Makes the PutRecordBatch call; called once, when the writer is created with a stream. Default: one FirehoseClient. */
  readonly connect?: () => PutRecordBatch;
  /** Wraps the default client (the Tracer's `captureAWSv3Client`). */
  readonly wrapClient?: (client: FirehoseClient) => FirehoseClient;
  /** PutRecordBatch rounds for records Firehose reports failed, the first included. */
  readonly maxAttempts?: number;
  /** Milliseconds to wait before round `round + 1` (round counts from 1). */
  readonly backoffMs?: (round: number) => number;
  /** Longest a flush may take, backoffs included. */
  readonly budgetMs?: number;
  readonly limits?: Partial<FirehoseLimits>;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** zlib's default: within a few percent of level 9's size for JSON, at a fraction of its time. */
export const ARCHIVE_GZIP_LEVEL = 6;
/** 3 rounds, 100 ms then 200 ms apart (±25 %), within 2.5 s: a throttled stream recovers or the lines are given up. */
export const DEFAULT_MAX_ATTEMPTS = 3;
export const DEFAULT_FLUSH_BUDGET_MS = 2_500;
/** What a flush leaves of the invocation's remaining time, for the response and the metrics. */
export const FLUSH_TIME_RESERVE_MS = 1_000;
const defaultBackoffMs = (round: number) => 100 * 2 ** (round - 1) * (0.75 + Math.random() / 2);
const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** The ids a failure line lists at most; the count says how many lines there were. */
const MAX_LOGGED_IDS = 100;

interface Line {
  readonly data: Buffer;
  readonly record: ArchiveRecord;
}
interface PackedRecord {
  readonly data: Buffer;
  readonly lines: readonly Line[];
}

/** The default PutRecordBatch: one FirehoseClient, created once (per cold start, the writer being module-scoped). */
export function firehosePutRecordBatch(wrapClient: (client: FirehoseClient) => FirehoseClient = (client) => client): PutRecordBatch {
  const client = wrapClient(new FirehoseClient({}));
  return (input, { abortSignal }) => client.send(new PutRecordBatchCommand(input), { abortSignal });
}

export function createArchiveWriter(options: ArchiveWriterOptions): ArchiveWriter {
  const { streamName, logger, metrics } = options;
  if (streamName === '') {
    return { enabled: false, add: () => undefined, flush: async () => ({ written: 0, failed: 0, records: 0, calls: 0 }) };
  }
  const put = (options.connect ?? (() => firehosePutRecordBatch(options.wrapClient)))();
  const limits: FirehoseLimits = { ...FIREHOSE_LIMITS, ...options.limits };
  const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  const backoffMs = options.backoffMs ?? defaultBackoffMs;
  const sleep = options.sleep ?? defaultSleep;
  const budgetMs = options.budgetMs ?? DEFAULT_FLUSH_BUDGET_MS;
  let buffer: Line[] = [];

  return {
    enabled: true,
    add(record) {
      try {
        buffer.push({ data: Buffer.from(archiveLine(record), 'utf8'), record });
      } catch (error) {
        // A record JSON cannot serialize is a bug; it must not cost the delivery.
        logger.warn('Archive line dropped: it cannot be serialized', { error: error as Error });
      }
    },

    async flush(flushOptions = {}) {
      const lines = buffer;
      buffer = [];
      let records = 0;
      let calls = 0;
      const lost: { line: Line; reason: string }[] = [];
      try {
        if (lines.length === 0) return { written: 0, failed: 0, records, calls };
        const fitting: Line[] = [];
        for (const line of lines) {
          if (line.data.length > limits.recordBytes) lost.push({ line, reason: 'line-too-large' });
          else fitting.push(line);
        }
        const remaining = flushOptions.remainingTimeMs === undefined ? budgetMs : flushOptions.remainingTimeMs - FLUSH_TIME_RESERVE_MS;
        const timeoutMs = Math.min(budgetMs, remaining);
        const deadline = Date.now() + timeoutMs;
        const abortSignal = AbortSignal.timeout(Math.max(1, timeoutMs));

        let pending = pack(fitting, limits.recordBytes);
        for (let round = 1; pending.length > 0; round++) {
          if (timeoutMs <= 0 || Date.now() >= deadline) {
            for (const record of pending) for (const line of record.lines) lost.push({ line, reason: 'out-of-time' });
            break;
          }
          const retry: { record: PackedRecord; reason: string }[] = [];
          await Promise.all(
            groupCalls(pending, limits).map(async (call) => {
              calls++;
              records += call.length;
              try {
                const answer = await put(
                  { DeliveryStreamName: streamName, Records: call.map(({ data }) => ({ Data: data })) },
                  { abortSignal },
                );
                const responses = answer.RequestResponses ?? [];
                if (!answer.FailedPutCount) return;
                call.forEach((record, index) => {
                  const code = responses[index]?.ErrorCode;
                  // A response missing from a call that reported failures cannot be told apart from a failure.
                  if (code !== undefined || responses[index] === undefined) retry.push({ record, reason: code ?? 'no-response' });
                });
              } catch (error) {
                // The SDK has already retried what is worth retrying (throttling, 5xx); what is
                // left (a missing stream, access denied, the budget spent) a retry here would not fix.
                const reason = abortSignal.aborted ? 'out-of-time' : errorName(error);
                for (const record of call) for (const line of record.lines) lost.push({ line, reason });
              }
            }),
          );
          pending = retry.map(({ record }) => record);
          if (pending.length === 0) break;
          const wait = backoffMs(round);
          if (round >= maxAttempts || Date.now() + wait >= deadline) {
            for (const { record, reason } of retry) for (const line of record.lines) lost.push({ line, reason });
            break;
          }
          await sleep(wait);
        }
        if (lost.length > 0) reportLost(streamName, logger, metrics, lost);
        else logger.debug('Archive lines written', { stream: streamName, lines: lines.length, records, calls });
        return { written: lines.length - lost.length, failed: lost.length, records, calls };
      } catch (error) {
        // Nothing above should throw; should it anyway, the lines are lost and the invocation goes on.
        const unreported = lines.filter((line) => !lost.some((entry) => entry.line === line));
        reportLost(streamName, logger, metrics, [...lost, ...unreported.map((line) => ({ line, reason: errorName(error) }))]);
        return { written: 0, failed: lines.length, records, calls };
      }
    },
  };
}

/**
 * Packs lines, in order, into as few records as fit `recordBytes`, each GZIP-compressed on its own.
 * Firehose bills the bytes it ingests, each record rounded up to 5 KB, before any compression of its
 * own: one record per line would multiply the cost, and uncompressed JSON costs about ten times
 * what its GZIP does (a webhook line is mostly its body and headers). The streams store records as
 * they come (no compression of their own, `.gz` keys), so each S3 object is a series of GZIP
 * members, which is one GZIP file (RFC 1952 §2.2): gunzip, zlib and Athena's readers decompress it
 * whole. Every line ends with a newline, so the text stays one JSON object per line. Each line fits
 * a record alone (longer ones were set aside).
 */
function pack(lines: readonly Line[], recordBytes: number): PackedRecord[] {
  const records: PackedRecord[] = [];
  let current: Line[] = [];
  let size = 0;
  const close = () => {
    if (current.length > 0)
      records.push({
        data: gzipSync(
          Buffer.concat(
            current.map((line) => line.data),
            size,
          ),
          { level: ARCHIVE_GZIP_LEVEL },
        ),
        lines: current,
      });
    current = [];
    size = 0;
  };
  for (const line of lines) {
    if (size + line.data.length > recordBytes) close();
    current.push(line);
    size += line.data.length;
  }
  close();
  return records;
}

/** Splits records into PutRecordBatch calls of at most `recordsPerCall` records and `bytesPerCall` bytes. */
function groupCalls<T extends { readonly data: Uint8Array }>(
  records: readonly T[],
  limits: Pick<FirehoseLimits, 'recordsPerCall' | 'bytesPerCall'>,
): T[][] {
  const calls: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const record of records) {
    if (current.length > 0 && (current.length >= limits.recordsPerCall || size + record.data.length > limits.bytesPerCall)) {
      calls.push(current);
      current = [];
      size = 0;
    }
    current.push(record);
    size += record.data.length;
  }
  if (current.length > 0) calls.push(current);
  return calls;
}

/** One ERROR line for everything a flush lost, with the lines' ids (the nth of each list belong together), and the count. */
function reportLost(streamName: string, logger: Logger, metrics: Metrics, lost: readonly { line: Line; reason: string }[]): void {
  const reasons: Record<string, number> = {};
  for (const { reason } of lost) reasons[reason] = (reasons[reason] ?? 0) + 1;
  const shown = lost.slice(0, MAX_LOGGED_IDS).map(({ line }) => line.record);
  const attempts = shown.filter((record) => record.kind === 'attempt');
  logger.error('Archive lines lost: Firehose did not take them (the deliveries are not affected)', {
    reason: 'archive-write-failed',
    stream: streamName,
    lines: lost.length,
    reasons,
    webhookIds: shown.map((record) => record.webhook_id),
    ...(attempts.length > 0 ? { destinations: shown.map((record) => (record.kind === 'attempt' ? record.destination : null)) } : {}),
    ...(lost.length > shown.length ? { idsOmitted: lost.length - shown.length } : {}),
  });
  metrics.addMetric(HANDLER_METRICS.archiveWriteFailed, MetricUnit.Count, lost.length);
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'unknown';
}
