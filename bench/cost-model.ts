import { ACCESS_LOG_FORMAT } from '../src/api/ingest-template';
import type { CostRun } from './cost';
import { type Price, PRICES } from './prices';

/**
 * Dollars per million accepted webhooks, from one cost run's measured figures and the dated prices
 * in bench/prices.ts. docs/COST.md states the formula line by line; the lines marked `modelled`
 * are what AWS does for us (API Gateway, the event source mappings, Lambda's own log lines), not
 * measured by the bench.
 */

export interface CostLine {
  readonly item: string;
  readonly basis: 'measured' | 'modelled';
  /** Units per accepted webhook. */
  readonly perWebhook: number;
  readonly unit: string;
  readonly price: Price;
  readonly usdPerMillion: number;
  /** False for a line shown for completeness but left out of the total (it depends on where the destination is). */
  readonly inTotal: boolean;
}

/** A cost that does not grow with the webhooks: dollars a month, whatever the volume. */
export interface FixedMonthlyLine {
  readonly item: string;
  readonly unitsPerMonth: number;
  readonly unit: string;
  readonly price: Price;
  readonly usdPerMonth: number;
  /** Why it is not in the per-million total. */
  readonly why: string;
}

export interface CostModel {
  readonly lines: readonly CostLine[];
  readonly usdPerMillion: number;
  /** Monthly costs beside the total (the event archive's; empty for a run without one). */
  readonly fixedMonthly: readonly FixedMonthlyLine[];
  readonly usdPerMonthFixed: number;
}

/**
 * The event archive as a default deployment runs it: `history_retention_days` 30
 * (DEFAULT_HISTORY_RETENTION_DAYS, src/config/history.ts), two Direct PUT streams buffering 60 s
 * or 64 MB (ARCHIVE_BUFFERING, src/constructs/event-archive.ts; the size applies before
 * compression), one KMS key with the S3 bucket key on.
 */
export const ARCHIVE_MODEL = {
  retentionDays: 30,
  streams: 2,
  bufferSeconds: 60,
  bufferBytes: 64 * 1024 ** 2,
  kmsKeys: 1,
  /** The month S3 storage is priced over (GB-month): 30 days. */
  daysPerMonth: 30,
} as const;

export const SQS_CHUNK_BYTES = 64 * 1024;
const GIB = 1024 ** 3;
/** CloudWatch Logs meters each event's message plus 26 bytes. */
export const LOG_EVENT_OVERHEAD_BYTES = 26;
/**
 * Lambda's own lines per invocation in the JSON log format the stack sets (`platform.start`,
 * `platform.report`), with their event overhead: modelled, not measured.
 */
export const PLATFORM_LOG_BYTES_PER_INVOCATION = 450;

/**
 * X-Ray's default sampling rule: the first request each second (the reservoir), then 5 % of the
 * rest. API Gateway's stage and each function's invocations are sampled apart (an SQS-triggered
 * invocation starts its own trace), so beyond the reservoir a webhook costs 5 % of a trace for
 * its request and 5 % for each invocation share. Below a request a second nearly every request and
 * invocation is traced: see docs/CAPACITY.md for the monthly figures.
 */
export const XRAY_FIXED_RATE = 0.05;

/** Lambda allocates CPU in proportion to memory: one full vCPU at 1,769 MB (Lambda docs, "Memory and computing power"). */
export const LAMBDA_MB_PER_VCPU = 1769;

/** One API Gateway access log line (the stack's format, typical values), with its event overhead. */
export function accessLogLineBytes(): number {
  const sample: Record<string, string> = {
    '$context.requestId': '8f1e6c7a-0b4d-4c1e-9a3f-2d5b7e9c1a20',
    '$context.identity.sourceIp': '140.82.115.10',
    '$context.requestTime': '27/Nov/2026:10:45:12 +0000',
    '$context.httpMethod': 'POST',
    '$context.path': '/prod/webhooks/github',
    '$context.status': '202',
    '$context.responseLength': '2',
    '$context.integration.status': '200',
    '$context.integration.latency': '12',
    '$context.error.message': '-',
    '$context.xrayTraceId': '1-6746f8a8-3b2c1d0e9f8a7b6c5d4e3f2a',
  };
  const line = ACCESS_LOG_FORMAT.replace(/\$context\.[A-Za-z.]+/g, (variable) => sample[variable] ?? '-');
  return Buffer.byteLength(line, 'utf8') + LOG_EVENT_OVERHEAD_BYTES;
}

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);

/** Billed AWS requests per accepted webhook, per handler and in all (see HandlerCost.billedRequests). */
export function requestsPerWebhook(run: CostRun): { readonly byHandler: Readonly<Record<string, number>>; readonly total: number } {
  const byHandler = Object.fromEntries(run.handlers.map((handler) => [handler.name, handler.billedRequests / run.accepted]));
  return { byHandler, total: sum(Object.values(byHandler)) };
}

export function costModel(run: CostRun): CostModel {
  const perMillion = (perWebhook: number, price: Price) => perWebhook * price.usd; // prices per million units
  const perWebhook = (value: number) => value / run.accepted;
  const handlers = run.handlers;
  const batch = run.sizing.batchSize;
  const chunks = (bytes: number) => Math.max(1, Math.ceil(bytes / SQS_CHUNK_BYTES));
  const invocations = perWebhook(sum(handlers.map((handler) => handler.invocations)));
  const gbSeconds = sum(handlers.map((handler) => handler.billedMsPerRecord / 1000)) * (run.sizing.memoryMb / 1024);
  // Sensitivity: this machine's cores are faster than a 256 MB function's share of one; stretch the CPU part to that share.
  const cpuStretch = Math.max(0, LAMBDA_MB_PER_VCPU / run.sizing.memoryMb - 1);
  const gbSecondsCpuBound =
    sum(handlers.map((handler) => (handler.billedMsPerRecord + cpuStretch * handler.cpuMsPerRecord) / 1000)) * (run.sizing.memoryMb / 1024);
  const gbSecondPrice = run.sizing.architecture === 'arm64' ? PRICES.lambdaGbSecondArm64 : PRICES.lambdaGbSecondX86;
  const handlerLogBytes = perWebhook(sum(handlers.map((handler) => handler.logBytes + LOG_EVENT_OVERHEAD_BYTES * handler.logLines)));
  const awsLogBytes = invocations * PLATFORM_LOG_BYTES_PER_INVOCATION + accessLogLineBytes();
  const mappingRequests = sum(
    [run.messageBytes.ingest, run.messageBytes.process, run.messageBytes.deliver].map((bytes) => (chunks(batch * bytes) + 1) / batch),
  );
  const otherCalls = perWebhook(sum(handlers.map((handler) => handler.billed.other)));
  const ssmCalls = perWebhook(
    sum(handlers.flatMap((handler) => handler.actions.filter((action) => action.service === 'ssm').map((action) => action.calls))),
  );

  const lines: CostLine[] = [
    {
      item: 'API Gateway: the webhook’s REST request',
      basis: 'modelled',
      perWebhook: 1,
      unit: 'requests',
      price: PRICES.apiGatewayRestRequest,
      usdPerMillion: perMillion(1, PRICES.apiGatewayRestRequest),
      inTotal: true,
    },
    {
      item: 'SQS: API Gateway’s SendMessage to the ingest queue',
      basis: 'modelled',
      perWebhook: chunks(run.messageBytes.ingest),
      unit: 'requests',
      price: PRICES.sqsStandardRequest,
      usdPerMillion: perMillion(chunks(run.messageBytes.ingest), PRICES.sqsStandardRequest),
      inTotal: true,
    },
    {
      item: 'SQS: the handlers’ own requests',
      basis: 'measured',
      perWebhook: perWebhook(sum(handlers.map((handler) => handler.billed.sqs))),
      unit: 'requests',
      price: PRICES.sqsStandardRequest,
      usdPerMillion: perMillion(perWebhook(sum(handlers.map((handler) => handler.billed.sqs))), PRICES.sqsStandardRequest),
      inTotal: true,
    },
    {
      item: `SQS: event source mappings, a ReceiveMessage and a DeleteMessageBatch per batch of ${batch}, 3 queues`,
      basis: 'modelled',
      perWebhook: mappingRequests,
      unit: 'requests',
      price: PRICES.sqsStandardRequest,
      usdPerMillion: perMillion(mappingRequests, PRICES.sqsStandardRequest),
      inTotal: true,
    },
    {
      item: 'DynamoDB: write request units (idempotency records)',
      basis: 'measured',
      perWebhook: perWebhook(sum(handlers.map((handler) => handler.billed.dynamoWru))),
      unit: 'WRU',
      price: PRICES.dynamoWriteRequestUnit,
      usdPerMillion: perMillion(perWebhook(sum(handlers.map((handler) => handler.billed.dynamoWru))), PRICES.dynamoWriteRequestUnit),
      inTotal: true,
    },
    {
      item: 'DynamoDB: read request units',
      basis: 'measured',
      perWebhook: perWebhook(sum(handlers.map((handler) => handler.billed.dynamoRru))),
      unit: 'RRU',
      price: PRICES.dynamoReadRequestUnit,
      usdPerMillion: perMillion(perWebhook(sum(handlers.map((handler) => handler.billed.dynamoRru))), PRICES.dynamoReadRequestUnit),
      inTotal: true,
    },
    {
      item: 'SSM: GetParameter (secrets; cached per container)',
      basis: 'measured',
      perWebhook: ssmCalls,
      unit: 'requests',
      price: PRICES.ssmStandardParameterRead,
      usdPerMillion: 0,
      inTotal: true,
    },
    {
      item: `Lambda: invocations (batches of ${batch}, 3 functions)`,
      basis: 'measured',
      perWebhook: invocations,
      unit: 'invocations',
      price: PRICES.lambdaRequest,
      usdPerMillion: perMillion(invocations, PRICES.lambdaRequest),
      inTotal: true,
    },
    {
      item: `Lambda: duration (${run.sizing.memoryMb} MB, ${run.sizing.architecture})`,
      basis: 'measured',
      perWebhook: gbSeconds,
      unit: 'GB-s',
      price: gbSecondPrice,
      usdPerMillion: gbSeconds * 1e6 * gbSecondPrice.usd,
      inTotal: true,
    },
    {
      item: `Lambda: duration if the CPU time ran at a ${run.sizing.memoryMb} MB share of a vCPU (sensitivity, not in the total)`,
      basis: 'modelled',
      perWebhook: gbSecondsCpuBound,
      unit: 'GB-s',
      price: gbSecondPrice,
      usdPerMillion: gbSecondsCpuBound * 1e6 * gbSecondPrice.usd,
      inTotal: false,
    },
    {
      item: 'CloudWatch Logs: the handlers’ log lines and EMF metrics',
      basis: 'measured',
      perWebhook: handlerLogBytes,
      unit: 'bytes',
      price: PRICES.cloudWatchLogsIngestion,
      usdPerMillion: ((handlerLogBytes * 1e6) / GIB) * PRICES.cloudWatchLogsIngestion.usd,
      inTotal: true,
    },
    {
      item: 'CloudWatch Logs: Lambda platform lines and the API access log line',
      basis: 'modelled',
      perWebhook: awsLogBytes,
      unit: 'bytes',
      price: PRICES.cloudWatchLogsIngestion,
      usdPerMillion: ((awsLogBytes * 1e6) / GIB) * PRICES.cloudWatchLogsIngestion.usd,
      inTotal: true,
    },
    {
      item: 'CloudWatch Logs: the access log line alone, if system log level WARN dropped platform.start and platform.report (sensitivity, not in the total)',
      basis: 'modelled',
      perWebhook: accessLogLineBytes(),
      unit: 'bytes',
      price: PRICES.cloudWatchLogsIngestion,
      usdPerMillion: ((accessLogLineBytes() * 1e6) / GIB) * PRICES.cloudWatchLogsIngestion.usd,
      inTotal: false,
    },
    {
      item: `X-Ray: traces beyond the 1/s reservoir, ${XRAY_FIXED_RATE * 100} % of requests and invocations (tracing on by default; not in the total)`,
      basis: 'modelled',
      perWebhook: XRAY_FIXED_RATE * (1 + invocations),
      unit: 'traces',
      price: PRICES.xrayTraceRecorded,
      usdPerMillion: perMillion(XRAY_FIXED_RATE * (1 + invocations), PRICES.xrayTraceRecorded),
      inTotal: false,
    },
    ...(otherCalls > 0
      ? [
          {
            item: 'Other AWS requests (not priced here: see the breakdown)',
            basis: 'measured' as const,
            perWebhook: otherCalls,
            unit: 'requests',
            price: { usd: 0, per: 'request', source: 'n/a' },
            usdPerMillion: 0,
            inTotal: true,
          },
        ]
      : []),
    {
      item: 'Data transfer out: the delivery POST bodies (not in the total)',
      basis: 'measured',
      perWebhook: run.deliveryBytes / run.accepted,
      unit: 'bytes',
      price: PRICES.dataTransferOut,
      usdPerMillion: ((run.deliveryBytes / run.accepted) * 1e6 * PRICES.dataTransferOut.usd) / GIB,
      inTotal: false,
    },
  ];
  lines.push(...archiveLines(run));
  const fixedMonthly = archiveFixedMonthly(run);
  return {
    lines,
    usdPerMillion: sum(lines.filter((line) => line.inTotal).map((line) => line.usdPerMillion)),
    fixedMonthly,
    usdPerMonthFixed: sum(fixedMonthly.map((line) => line.usdPerMonth)),
  };
}

/** The archive's bytes per accepted webhook: Firehose's raw data and billed bytes, S3's GZIP objects (both kinds). */
export function archiveBytesPerWebhook(run: CostRun):
  | {
      readonly raw: number;
      readonly gzip: number;
      readonly gzipOneObject: number;
      readonly firehoseData: number;
      readonly firehoseBilled: number;
    }
  | undefined {
  if (!run.archive) return undefined;
  const kinds = Object.values(run.archive.kinds);
  const perWebhook = (pick: (kind: (typeof kinds)[number]) => number) => sum(kinds.map(pick)) / run.accepted;
  return {
    raw: perWebhook((kind) => kind.rawBytes),
    gzip: perWebhook((kind) => kind.gzipBytes),
    gzipOneObject: perWebhook((kind) => kind.gzipBytesOneObject),
    firehoseData: perWebhook((kind) => kind.dataBytes),
    firehoseBilled: perWebhook((kind) => kind.billedBytes),
  };
}

/**
 * The event archive's lines, all in the total: Firehose's ingestion (its billed bytes, each record
 * rounded up to 5 KB), S3 storage of the GZIP objects for the retention, and the S3 PUTs of 64 MB
 * objects. The writers' Lambda time is in the measured duration already (they run inside the
 * processor and the dispatcher); KMS is called per bucket key, not per object (the fixed part).
 */
function archiveLines(run: CostRun): CostLine[] {
  const bytes = archiveBytesPerWebhook(run);
  if (!bytes) return [];
  const months = ARCHIVE_MODEL.retentionDays / ARCHIVE_MODEL.daysPerMonth;
  const objects = bytes.raw / ARCHIVE_MODEL.bufferBytes;
  return [
    {
      item: 'Firehose: ingestion of the archive’s records, each rounded up to 5 KB (2 streams)',
      basis: 'measured',
      perWebhook: bytes.firehoseBilled,
      unit: 'bytes',
      price: PRICES.firehoseDirectPutIngestion,
      usdPerMillion: ((bytes.firehoseBilled * 1e6) / GIB) * PRICES.firehoseDirectPutIngestion.usd,
      inTotal: true,
    },
    {
      item: `S3: storage of the GZIP archive for ${ARCHIVE_MODEL.retentionDays} days (history_retention_days)`,
      basis: 'measured',
      perWebhook: bytes.gzip,
      unit: 'bytes',
      price: PRICES.s3StandardStorage,
      usdPerMillion: ((bytes.gzip * 1e6) / GIB) * months * PRICES.s3StandardStorage.usd,
      inTotal: true,
    },
    {
      item: `S3: PUTs by Firehose, one per ${ARCHIVE_MODEL.bufferBytes / 1024 ** 2} MB of records (at volume; see the fixed part below it)`,
      basis: 'modelled',
      perWebhook: objects,
      unit: 'requests',
      price: PRICES.s3PutRequest,
      usdPerMillion: perMillionOf(objects, PRICES.s3PutRequest),
      inTotal: true,
    },
  ];
}

const perMillionOf = (perWebhook: number, price: Price) => perWebhook * price.usd;

/**
 * What the archive costs a month whatever the volume: the KMS key, and the objects of two streams
 * flushing every 60 s when fewer than 64 MB arrive in a minute (a 30-day month: 2 × 43,200).
 * Not in the per-million total: it does not grow with the webhooks (at 1 million a month it is
 * $1.43; at 100 million, $0.01 a million).
 */
export function archiveFixedMonthly(run: CostRun): FixedMonthlyLine[] {
  if (!run.archive) return [];
  const flushes = (ARCHIVE_MODEL.streams * ARCHIVE_MODEL.daysPerMonth * 86_400) / ARCHIVE_MODEL.bufferSeconds;
  return [
    {
      item: 'KMS: the archive’s key',
      unitsPerMonth: ARCHIVE_MODEL.kmsKeys,
      unit: 'keys',
      price: PRICES.kmsCustomerManagedKey,
      usdPerMonth: ARCHIVE_MODEL.kmsKeys * PRICES.kmsCustomerManagedKey.usd,
      why: 'a key a month, however many webhooks',
    },
    {
      item: `S3: PUTs by Firehose, ${ARCHIVE_MODEL.streams} streams flushing every ${ARCHIVE_MODEL.bufferSeconds} s at low volume`,
      unitsPerMonth: flushes,
      unit: 'requests',
      price: PRICES.s3PutRequest,
      usdPerMonth: (flushes / 1e6) * PRICES.s3PutRequest.usd,
      why: 'one object a minute per stream whether a minute brings one webhook or thousands; the per-webhook line counts the 64 MB objects beyond them',
    },
  ];
}
