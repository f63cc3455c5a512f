import { PurgeQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import type { DeliveryEvent } from '../../../src/handlers/shared/delivery-event';
import type { ProcessEnvelope } from '../../../src/handlers/shared/process-envelope';
import { ARCHIVE_PREFIXES, type ArchivedWebhook, archiveLine } from '../../../src/history/archive-records';
import { type ArchiveStream, createArchiveStream } from '../../support/archive-stream';
import { type AwsClients, awsClients, createIdempotencyTable, createQueue } from '../../support/aws-resources';
import { lambdaContext } from '../../support/lambda-context';
import { loadHandler } from '../../support/load-handler';
import { type MotoServer, startMoto } from '../../support/moto';
import { captureOutput, type CapturedOutput } from '../../support/output';
import { receiveAll, receiveRecords, settleBatch, toSqsEvent } from '../../support/sqs-records';
import { type AwsFaultProxy, type BatchEntry, startFaultProxy } from '../shared/aws-fault-proxy';

/**
 * What the processor archives (ARCHIVE_WEBHOOK_STREAM): one line per first-seen webhook it handled,
 * forwarded or unrouted, none for a duplicate or a failed forward, in one PutRecordBatch after the
 * deliveries are queued; and an archive outage changes nothing for the deliveries. Against moto's
 * SQS, DynamoDB and Firehose → S3, through the fault proxy.
 */

jest.setTimeout(60_000);

const TABLE = 'webhook-idempotency-archive-test';
const STREAM = 'webhook-history-webhooks-test';
/** ci takes GitHub pushes; audit takes every GitHub event. Nothing takes Shopify's. */
const DESTINATIONS = {
  ci: { url: 'https://ci.example.com/hooks', secretParameter: '/d/ci', sources: ['gh'], eventTypes: ['push'] },
  audit: { url: 'https://audit.example.com/in', secretParameter: '/d/audit', sources: ['gh'] },
};
const GITHUB_HEADERS = {
  'x-hub-signature-256': 'sha256=0f4c6d7a0e0b1bd1c5cba9aa0a8b7fbd3f2a3e4d5c6b7a8f9e0d1c2b3a4f5e6d',
  'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
  'x-github-event': 'push',
  'content-type': 'application/json',
};
/** A typical GitHub push body, about 1 KB. */
const PUSH_BODY = JSON.stringify({
  ref: 'refs/heads/main',
  before: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
  after: '59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5',
  repository: { id: 186853002, name: 'webhook-pipeline', full_name: 'acme/webhook-pipeline', private: true },
  pusher: { name: 'octocat', email: 'octocat@github.com' },
  head_commit: {
    id: '59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5',
    message: 'Archive the pipeline’s webhooks and attempts',
    timestamp: '2026-01-01T00:00:00Z',
    author: { name: 'Octo Cat', email: 'octocat@github.com', username: 'octocat' },
    added: ['src/handlers/shared/archive-writer.ts'],
    modified: ['src/handlers/processor/index.ts', 'src/handlers/dispatcher/dispatch-record.ts'],
    removed: [],
  },
  commits: [{ id: '59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5', distinct: true, message: 'Archive the pipeline’s webhooks and attempts' }],
  sender: { login: 'octocat', id: 583231, type: 'User' },
});

let moto: MotoServer;
let proxy: AwsFaultProxy;
let aws: AwsClients;
let archive: ArchiveStream;
let processQueueUrl: string;
let deliverQueueUrl: string;
let output: CapturedOutput;

const processorEnv = (overrides: Record<string, string | undefined> = {}) => ({
  AWS_ENDPOINT_URL: proxy.endpoint,
  AWS_MAX_ATTEMPTS: '1',
  NEXT_QUEUE_URL: proxy.viaProxy(deliverQueueUrl),
  DELIVERY_LANE_QUEUE_URL: undefined,
  IDEMPOTENCY_TABLE_NAME: TABLE,
  DELIVERY_DESTINATIONS: JSON.stringify(DESTINATIONS),
  ARCHIVE_WEBHOOK_STREAM: STREAM,
  POWERTOOLS_LOG_LEVEL: 'INFO',
  AWS_LAMBDA_LOG_LEVEL: undefined,
  ...overrides,
});

function envelope(deliveryId: string, overrides: Partial<ProcessEnvelope> = {}): ProcessEnvelope {
  return {
    version: 2,
    source: 'gh',
    scheme: 'github',
    deliveryId,
    eventType: 'push',
    receivedAt: '2026-01-01T00:00:00.000Z',
    requestId: `req-${deliveryId}`,
    body: PUSH_BODY,
    headers: { ...GITHUB_HEADERS, 'x-github-delivery': deliveryId },
    ...overrides,
  };
}

/** The line the processor should archive for `envelope`, routed to `destinations`. */
const expectedLine = (envelope: ProcessEnvelope, destinations: string[], eventType = envelope.eventType): ArchivedWebhook => ({
  v: 1,
  kind: 'webhook',
  webhook_id: `${envelope.source}:${envelope.deliveryId}`,
  source: envelope.source,
  delivery_id: envelope.deliveryId,
  event_type: eventType,
  received_at: envelope.receivedAt,
  processed_at: expect.any(String) as unknown as string,
  request_id: envelope.requestId,
  headers: envelope.headers ?? {},
  body: envelope.body,
  destinations,
});

async function enqueue(bodies: readonly string[]): Promise<{ messageIds: string[]; records: SQSRecord[] }> {
  const messageIds: string[] = [];
  for (const body of bodies) {
    messageIds.push((await aws.sqs.send(new SendMessageCommand({ QueueUrl: processQueueUrl, MessageBody: body }))).MessageId!);
  }
  const received = await receiveRecords(aws.sqs, processQueueUrl, { count: bodies.length, visibilityTimeoutSeconds: 60 });
  const byId = new Map(received.map((record) => [record.messageId, record]));
  return { messageIds, records: messageIds.map((id) => byId.get(id)!) };
}

async function drainDeliverQueue(): Promise<DeliveryEvent[]> {
  const records = await receiveAll(aws.sqs, deliverQueueUrl, { waitSeconds: 0 });
  await settleBatch(aws.sqs, deliverQueueUrl, records, { batchItemFailures: [] });
  return records.map((record) => JSON.parse(record.body) as DeliveryEvent);
}

const routed = (events: readonly DeliveryEvent[]) => events.map((event) => `${event.id}→${event.destination}`).sort();
const forDelivery = (deliveryId: string, destination: string) => (entry: BatchEntry) => {
  const event = JSON.parse(entry.MessageBody) as DeliveryEvent;
  return event.id === deliveryId && event.destination === destination;
};

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startFaultProxy(moto.endpoint);
  aws = awsClients(moto.endpoint);
  processQueueUrl = await createQueue(aws.sqs, 'webhook-process-archive-test');
  deliverQueueUrl = await createQueue(aws.sqs, 'webhook-deliver-archive-test');
  await createIdempotencyTable(aws.dynamodb, TABLE);
  archive = await createArchiveStream(moto.endpoint, {
    streamName: STREAM,
    bucket: 'webhook-history-processor-test',
    prefix: ARCHIVE_PREFIXES.webhook,
  });
});

afterAll(async () => {
  if (aws) Object.values(aws).forEach((client) => client.destroy());
  await proxy?.close();
  await moto?.stop();
});

/**
 * The archived lines of the deliveries whose ids start with `prefix` (each test has its own), in
 * the order written within one object; objects (one per invocation) are in key order, which is
 * only to the second.
 */
const archived = async (prefix: string) =>
  (await archive.records())
    .filter((line) => line.delivery_id.startsWith(prefix))
    .sort((a, b) => a.delivery_id.localeCompare(b.delivery_id));

beforeEach(async () => {
  for (const QueueUrl of [processQueueUrl, deliverQueueUrl]) await aws.sqs.send(new PurgeQueueCommand({ QueueUrl }));
  proxy.reset();
  output = captureOutput();
});
afterEach(() => output?.restore());

describe('processor: the webhook archive', () => {
  it('archives each first-seen webhook once with its routes, unrouted ones too, in one PutRecordBatch after the forward', async () => {
    const handler = loadHandler('processor', processorEnv());
    const push = envelope('a-push');
    const star = envelope('a-star', { eventType: 'star' });
    const shop = envelope('a-shop', {
      source: 'shop',
      scheme: 'shopify',
      eventType: 'orders/create',
      headers: { 'x-shopify-hmac-sha256': 'c2lnbmF0dXJl', 'x-shopify-topic': 'orders/create' },
    });
    // Queued before the archive: no headers.
    const { headers: _headers, ...old } = envelope('a-old');
    const { records } = await enqueue([push, star, shop, old].map((body) => JSON.stringify(body)));
    const before = Date.now();
    expect(await handler(toSqsEvent(records), lambdaContext('processor'))).toEqual({ batchItemFailures: [] });
    await settleBatch(aws.sqs, processQueueUrl, records, { batchItemFailures: [] });

    const events = await drainDeliverQueue();
    expect(routed(events)).toEqual(['a-old→audit', 'a-old→ci', 'a-push→audit', 'a-push→ci', 'a-star→audit']);
    // The deliveries first, then the archive: one call, one Firehose record for the four lines.
    expect(proxy.requests.map((request) => request.operation)).toEqual([
      'PutItem',
      'PutItem',
      'PutItem',
      'PutItem',
      'SendMessageBatch',
      'PutRecordBatch',
    ]);
    const [put] = proxy.requests.filter((request) => request.operation === 'PutRecordBatch');
    expect(put!.input).toMatchObject({ DeliveryStreamName: STREAM, Records: [{ Data: expect.any(String) }] });

    const lines = (await archived('a-')) as ArchivedWebhook[];
    // By delivery id: the unrouted line is written while planning, the forwarded ones once sent.
    expect(lines).toEqual([
      expectedLine({ ...old, headers: {} }, ['ci', 'audit']),
      expectedLine(push, ['ci', 'audit']),
      expectedLine(shop, []),
      expectedLine(star, ['audit']),
    ]);
    for (const line of lines) {
      expect(Date.parse(line.processed_at)).toBeGreaterThanOrEqual(before - 1_000);
      expect(Date.parse(line.processed_at)).toBeLessThanOrEqual(Date.now());
    }
    // A forwarded line's processed_at is the one its deliveries carry.
    expect(events.filter((event) => event.id === 'a-push').map((event) => event.processedAt)).toEqual([
      lines[1]!.processed_at,
      lines[1]!.processed_at,
    ]);
    expect(output.logs().filter((line) => line.level === 'ERROR' || line.level === 'WARN')).toEqual([]);
    expect(output.metricValues('ArchiveWriteFailed')).toEqual([]);

    // The typical webhook's line, for the record: a GitHub push of about 1 KB.
    expect(Buffer.byteLength(archiveLine(lines[1]!))).toBeLessThan(Buffer.byteLength(PUSH_BODY) + 700);

    // Provider retries of all four: duplicates, dropped, archived no more (and no Firehose call).
    proxy.reset();
    const retries = await enqueue([push, star, shop, old].map((body) => JSON.stringify({ ...body, requestId: 'req-retry' })));
    expect(await handler(toSqsEvent(retries.records), lambdaContext('processor'))).toEqual({ batchItemFailures: [] });
    await settleBatch(aws.sqs, processQueueUrl, retries.records, { batchItemFailures: [] });
    expect(output.metricValues('Duplicate')).toHaveLength(4);
    expect(proxy.count('PutRecordBatch')).toBe(0);
    expect(await archived('a-')).toHaveLength(4);
  });

  it('archives a webhook whose forward failed only once its retry reached every destination, naming them all', async () => {
    const handler = loadHandler('processor', processorEnv());
    const multi = envelope('b-multi');
    const single = envelope('b-single', { eventType: 'star' });
    const { records, messageIds } = await enqueue([JSON.stringify(multi), JSON.stringify(single)]);
    proxy.inject((request) => (request.operation === 'SendMessageBatch' ? { failEntries: forDelivery('b-multi', 'audit') } : undefined));
    const response = await handler(toSqsEvent(records), lambdaContext('processor'));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: messageIds[0] }] });
    expect(await archived('b-')).toEqual([expectedLine(single, ['audit'])]);

    proxy.inject(undefined);
    await settleBatch(aws.sqs, processQueueUrl, records, response, { releaseFailures: true });
    const retried = await receiveRecords(aws.sqs, processQueueUrl, { count: 1, visibilityTimeoutSeconds: 60 });
    expect(await handler(toSqsEvent(retried), lambdaContext('processor'))).toEqual({ batchItemFailures: [] });
    // The retry sent only audit; its line names both destinations its routes matched.
    expect(routed(await drainDeliverQueue())).toEqual(['b-multi→audit', 'b-multi→ci', 'b-single→audit']);
    expect(await archived('b-')).toEqual([expectedLine(multi, ['ci', 'audit']), expectedLine(single, ['audit'])]);
  });

  it('forwards as usual when Firehose is down: one ERROR line with the lost ids, ArchiveWriteFailed, no failed record', async () => {
    const handler = loadHandler('processor', processorEnv());
    const { records } = await enqueue([JSON.stringify(envelope('c-1')), JSON.stringify(envelope('c-2', { eventType: 'star' }))]);
    proxy.inject((request) =>
      request.operation === 'PutRecordBatch' ? { error: { status: 500, code: 'ServiceUnavailableException' } } : undefined,
    );
    expect(await handler(toSqsEvent(records), lambdaContext('processor'))).toEqual({ batchItemFailures: [] });
    expect(routed(await drainDeliverQueue())).toEqual(['c-1→audit', 'c-1→ci', 'c-2→audit']);
    expect(await archived('c-')).toEqual([]);
    expect(output.logs().filter((line) => line.level === 'ERROR')).toEqual([
      expect.objectContaining({ reason: 'archive-write-failed', stream: STREAM, lines: 2, webhookIds: ['gh:c-1', 'gh:c-2'] }),
    ]);
    // Published with the invocation's other metrics.
    expect(output.metricValues('ArchiveWriteFailed').map(({ value }) => value)).toEqual([2]);
    expect(output.metricValues('Forwarded')).toHaveLength(2);
  });

  it('makes no Firehose call with the archive off', async () => {
    const handler = loadHandler('processor', processorEnv({ ARCHIVE_WEBHOOK_STREAM: '' }));
    const { records } = await enqueue([JSON.stringify(envelope('d-1'))]);
    expect(await handler(toSqsEvent(records), lambdaContext('processor'))).toEqual({ batchItemFailures: [] });
    expect(proxy.requests.map((request) => request.operation)).toEqual(['PutItem', 'SendMessageBatch']);
    expect(await archived('d-')).toEqual([]);
  });
});
