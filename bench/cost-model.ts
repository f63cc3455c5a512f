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

export interface CostModel {
  readonly lines: readonly CostLine[];
  readonly usdPerMillion: number;
}

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
  return { lines, usdPerMillion: sum(lines.filter((line) => line.inTotal).map((line) => line.usdPerMillion)) };
}
