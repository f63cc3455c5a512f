import { Agent, createServer, type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A counting, delaying HTTP proxy in front of moto, for the handlers' AWS SDK (`AWS_ENDPOINT_URL`
 * points here). Every request is attributed to a service and action, from `X-Amz-Target` (the JSON
 * protocol of SQS, DynamoDB, SSM, Firehose), the form-encoded `Action=` (the query protocol), or else the
 * method and path (REST protocols); the service comes from the SigV4 credential scope. Each
 * request waits `latencyMs` before it is forwarded, a stand-in for the round trip to a real AWS
 * endpoint that moto on loopback does not have.
 *
 * Billing units are taken from the request itself: SQS bills a send or receive per 64 KiB chunk
 * of payload (a batch of ten small messages is one request); DynamoDB on demand bills request
 * units per item (a write per KiB, a read per 4 KiB), counted here as items and later sized from
 * the table (see bench/cost.ts). Firehose Direct PUT bills the data ingested, each record rounded up
 * to the next 5 KB ("billed per GB ingested in 5KB increments (a 3KB record is billed as 5KB, a
 * 12KB record is billed as 15KB …)", aws.amazon.com/firehose/pricing; the rounding is per record,
 * not per call): counted here as records, their decoded bytes and their billed bytes.
 */

/** One service and action, e.g. `sqs:SendMessageBatch`, and what its requests carried. */
export interface ActionCount {
  readonly service: string;
  readonly action: string;
  /** HTTP requests made. */
  calls: number;
  /** SQS only: 64 KiB payload chunks sent (each is one billed request). */
  sqsChunks: number;
  /** DynamoDB only: items written (a conditional write that fails still consumes write units). */
  dynamoWriteItems: number;
  /** DynamoDB only: items written inside a transaction (twice the write units). */
  dynamoTransactWriteItems: number;
  /** DynamoDB only: items read, strongly consistent. */
  dynamoStrongReadItems: number;
  /** DynamoDB only: items read, eventually consistent (half a read unit). */
  dynamoEventualReadItems: number;
  /** DynamoDB only: the largest item a request carried whole (PutItem), in bytes. */
  dynamoLargestPutItemBytes: number;
  /** Firehose only (PutRecord, PutRecordBatch): records sent. */
  firehoseRecords: number;
  /** Firehose only: the records' data, base64-decoded, in bytes. */
  firehoseDataBytes: number;
  /** Firehose only: the bytes Direct PUT ingestion bills, each record rounded up to {@link FIREHOSE_BILLING_INCREMENT_BYTES}. */
  firehoseBilledBytes: number;
}

/** Messages sent to one queue (by its name) through the proxy. */
export interface QueueTraffic {
  messages: number;
  payloadBytes: number;
}

/** What went through the proxy between two {@link AwsProxy.takeCounts} calls. */
export interface ProxyCounts {
  readonly actions: ActionCount[];
  readonly queues: Record<string, QueueTraffic>;
  /** Milliseconds moto took per request (forward to last response byte), without the added latency. */
  readonly motoMs: number[];
}

export interface AwsProxy {
  /** Base URL for `AWS_ENDPOINT_URL`. */
  readonly url: string;
  /** Returns what was counted since the last call, and starts counting afresh. */
  takeCounts(): ProxyCounts;
  close(): Promise<void>;
}

/** SigV4 `Credential=<key>/<date>/<region>/<service>/aws4_request`. */
function serviceOf(headers: IncomingHttpHeaders): string {
  const match = /Credential=[^/]+\/\d+\/[^/]+\/([^/]+)\/aws4_request/.exec(String(headers.authorization ?? ''));
  return match?.[1] ?? 'unknown';
}

const TARGET_PREFIXES: Record<string, string> = {
  AmazonSQS: 'sqs',
  DynamoDB_20120810: 'dynamodb',
  AmazonSSM: 'ssm',
  TrentService: 'kms',
  Firehose_20150804: 'firehose',
};

function identify(method: string, path: string, headers: IncomingHttpHeaders, body: string): { service: string; action: string } {
  const target = headers['x-amz-target'];
  if (typeof target === 'string' && target.includes('.')) {
    const [prefix, action] = target.split('.', 2);
    return { service: TARGET_PREFIXES[prefix] ?? serviceOf(headers), action };
  }
  if (String(headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    const action = new URLSearchParams(body).get('Action');
    if (action) return { service: serviceOf(headers), action };
  }
  return { service: serviceOf(headers), action: `${method} ${path.split('?')[0]}` };
}

const utf8 = (text: unknown) => (typeof text === 'string' ? Buffer.byteLength(text, 'utf8') : 0);

/** An SQS message's size as SQS bills it: body plus each attribute's name, type and value. */
export function sqsMessageBytes(message: { MessageBody?: unknown; MessageAttributes?: unknown }): number {
  let bytes = utf8(message.MessageBody);
  for (const [name, value] of Object.entries((message.MessageAttributes ?? {}) as Record<string, Record<string, unknown>>)) {
    bytes += utf8(name) + utf8(value.DataType) + utf8(value.StringValue);
    if (typeof value.BinaryValue === 'string') bytes += Buffer.from(value.BinaryValue, 'base64').length;
  }
  return bytes;
}

const SQS_CHUNK_BYTES = 64 * 1024;

/**
 * Firehose's billing increment: the pricing page says 5KB, taken here as 5 KiB (5,120 bytes; the
 * larger reading, so never under-billed by the model).
 */
export const FIREHOSE_BILLING_INCREMENT_BYTES = 5 * 1024;

/** The bytes Firehose bills a record of `dataBytes` at: rounded up to the next 5 KB, an empty record one increment. */
export function firehoseBilledBytes(dataBytes: number): number {
  return Math.max(1, Math.ceil(dataBytes / FIREHOSE_BILLING_INCREMENT_BYTES)) * FIREHOSE_BILLING_INCREMENT_BYTES;
}

/** The size DynamoDB bills an item at: attribute names plus values (docs: "Item sizes and formats"). */
export function dynamoItemBytes(item: Record<string, unknown>): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + utf8(name) + dynamoValueBytes(value as Record<string, unknown>), 0);
}

/** Digits of a DynamoDB number without sign, point, exponent, and leading or trailing zeros. */
const significantDigits = (number: string) =>
  number
    .replace(/e.*$/i, '')
    .replace(/[^0-9]/g, '')
    .replace(/^0+|0+$/g, '').length || 1;

function dynamoValueBytes(value: Record<string, unknown>): number {
  const [type, inner] = Object.entries(value)[0] ?? ['NULL', true];
  switch (type) {
    case 'S':
      return utf8(inner);
    case 'N':
      return Math.ceil(significantDigits(String(inner)) / 2) + 1;
    case 'B':
      return Buffer.from(String(inner), 'base64').length;
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'SS':
    case 'NS':
    case 'BS':
      return (inner as unknown[]).reduce<number>((sum, entry) => sum + dynamoValueBytes({ [type.slice(0, 1)]: entry }), 0);
    case 'L':
      return 3 + (inner as Record<string, unknown>[]).reduce<number>((sum, entry) => sum + 1 + dynamoValueBytes(entry), 0);
    case 'M':
      return (
        3 +
        Object.entries(inner as Record<string, Record<string, unknown>>).reduce(
          (sum, [key, entry]) => sum + utf8(key) + 1 + dynamoValueBytes(entry),
          0,
        )
      );
    default:
      return 0;
  }
}

function tally(count: ActionCount, queues: Record<string, QueueTraffic>, body: string): void {
  let input: Record<string, any>;
  try {
    input = JSON.parse(body || '{}') as Record<string, any>;
  } catch {
    input = {};
  }
  if (count.service === 'sqs') {
    const messages: Record<string, unknown>[] =
      count.action === 'SendMessage'
        ? [input]
        : count.action === 'SendMessageBatch'
          ? ((input.Entries ?? []) as Record<string, unknown>[])
          : [];
    const bytes = messages.reduce((sum, message) => sum + sqsMessageBytes(message), 0);
    count.sqsChunks += Math.max(1, Math.ceil(bytes / SQS_CHUNK_BYTES));
    if (messages.length > 0) {
      const queue =
        String(input.QueueUrl ?? '')
          .split('/')
          .pop() ?? 'unknown';
      queues[queue] ??= { messages: 0, payloadBytes: 0 };
      queues[queue].messages += messages.length;
      queues[queue].payloadBytes += bytes;
    }
    return;
  }
  if (count.service === 'firehose') {
    const records: Record<string, unknown>[] =
      count.action === 'PutRecord'
        ? [(input.Record ?? {}) as Record<string, unknown>]
        : count.action === 'PutRecordBatch'
          ? ((input.Records ?? []) as Record<string, unknown>[])
          : [];
    for (const record of records) {
      const bytes = typeof record.Data === 'string' ? Buffer.from(record.Data, 'base64').length : 0;
      count.firehoseRecords += 1;
      count.firehoseDataBytes += bytes;
      count.firehoseBilledBytes += firehoseBilledBytes(bytes);
    }
    return;
  }
  if (count.service !== 'dynamodb') return;
  const consistent = (request: Record<string, unknown>) => request.ConsistentRead === true;
  switch (count.action) {
    case 'PutItem':
      count.dynamoWriteItems += 1;
      count.dynamoLargestPutItemBytes = Math.max(count.dynamoLargestPutItemBytes, dynamoItemBytes(input.Item ?? {}));
      break;
    case 'UpdateItem':
    case 'DeleteItem':
      count.dynamoWriteItems += 1;
      break;
    case 'BatchWriteItem':
      for (const requests of Object.values((input.RequestItems ?? {}) as Record<string, Record<string, any>[]>)) {
        count.dynamoWriteItems += requests.length;
        for (const request of requests) {
          if (request.PutRequest?.Item) {
            count.dynamoLargestPutItemBytes = Math.max(count.dynamoLargestPutItemBytes, dynamoItemBytes(request.PutRequest.Item));
          }
        }
      }
      break;
    case 'TransactWriteItems':
      count.dynamoTransactWriteItems += ((input.TransactItems ?? []) as unknown[]).length;
      break;
    case 'GetItem':
      if (consistent(input)) count.dynamoStrongReadItems += 1;
      else count.dynamoEventualReadItems += 1;
      break;
    case 'BatchGetItem':
      for (const request of Object.values((input.RequestItems ?? {}) as Record<string, Record<string, unknown>>)) {
        const items = ((request.Keys ?? []) as unknown[]).length;
        if (consistent(request)) count.dynamoStrongReadItems += items;
        else count.dynamoEventualReadItems += items;
      }
      break;
    case 'TransactGetItems':
      // Transactional reads cost two strongly consistent read units per item.
      count.dynamoStrongReadItems += 2 * ((input.TransactItems ?? []) as unknown[]).length;
      break;
    default:
      // Query and Scan are billed by bytes read, not items; the handlers make neither. Counted as calls only.
      break;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Starts the proxy on a free loopback port, forwarding to `upstream` (moto's endpoint). */
export async function startAwsProxy(upstream: string, latencyMs: number): Promise<AwsProxy> {
  const target = new URL(upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  let actions = new Map<string, ActionCount>();
  let queues: Record<string, QueueTraffic> = {};
  let motoMs: number[] = [];

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const method = request.method ?? 'GET';
      const path = request.url ?? '/';
      const { service, action } = identify(method, path, request.headers, body.toString('utf8'));
      const key = `${service}:${action}`;
      let count = actions.get(key);
      if (!count) {
        count = {
          service,
          action,
          calls: 0,
          sqsChunks: 0,
          dynamoWriteItems: 0,
          dynamoTransactWriteItems: 0,
          dynamoStrongReadItems: 0,
          dynamoEventualReadItems: 0,
          dynamoLargestPutItemBytes: 0,
          firehoseRecords: 0,
          firehoseDataBytes: 0,
          firehoseBilledBytes: 0,
        };
        actions.set(key, count);
      }
      count.calls += 1;
      tally(count, queues, body.toString('utf8'));
      const timings = motoMs;

      void sleep(latencyMs).then(() => {
        const started = performance.now();
        const forward = httpRequest(
          { host: target.hostname, port: target.port, method, path, headers: request.headers, agent },
          (upstreamResponse) => {
            response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
            upstreamResponse.pipe(response);
            upstreamResponse.once('end', () => timings.push(performance.now() - started));
          },
        );
        forward.once('error', (error) => {
          if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
          response.end(`bench proxy: ${error.message}`);
        });
        forward.end(body);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    takeCounts: () => {
      const counts: ProxyCounts = { actions: [...actions.values()], queues, motoMs };
      actions = new Map();
      queues = {};
      motoMs = [];
      return counts;
    },
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
