import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { PurgeQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import type { DeliveryEvent } from '../../../src/handlers/shared/delivery-event';
import type { ProcessEnvelope } from '../../../src/handlers/shared/process-envelope';
import { type AwsClients, awsClients, createIdempotencyTable, createQueue } from '../../support/aws-resources';
import { lambdaContext } from '../../support/lambda-context';
import { loadHandler } from '../../support/load-handler';
import { type MotoServer, startMoto } from '../../support/moto';
import { captureOutput, type CapturedOutput } from '../../support/output';
import { receiveAll, receiveRecords, settleBatch, toSqsEvent } from '../../support/sqs-records';
import { type AwsFaultProxy, type BatchEntry, type ProxiedRequest, startFaultProxy } from '../shared/aws-fault-proxy';

/**
 * The processor against moto's SQS and DynamoDB, through the fault proxy (../shared/aws-fault-proxy.ts),
 * which counts every AWS request the handler makes and injects failures: failed entries, failed
 * calls, throttling, a failing DeleteItem.
 */

jest.setTimeout(60_000);

const TABLE = 'webhook-idempotency-test';
const TTL_SECONDS = 90_000;
/** crm takes Shopify orders; ci takes GitHub pushes and pull requests; audit takes everything. */
const DESTINATIONS = {
  crm: { url: 'https://crm.example.com/hooks', secretParameter: '/d/crm', sources: ['shop'], eventTypes: ['orders/*'] },
  ci: { url: 'https://ci.example.com/hooks', secretParameter: '/d/ci', sources: ['gh'], eventTypes: ['push', 'pull_request'] },
  audit: { url: 'https://audit.example.com/in', secretParameter: '/d/audit' },
};
const WITHOUT_AUDIT = { crm: DESTINATIONS.crm, ci: DESTINATIONS.ci };

let moto: MotoServer;
let proxy: AwsFaultProxy;
let aws: AwsClients;
let processQueueUrl: string;
let deliverQueueUrl: string;
/** The delivery lanes of crm, ci and audit, as the construct names them. */
const laneQueueUrls: Record<string, string> = {};
let output: CapturedOutput;

function processorEnv(overrides: Record<string, string | undefined> = {}) {
  return {
    AWS_ENDPOINT_URL: proxy.endpoint,
    AWS_MAX_ATTEMPTS: '1',
    NEXT_QUEUE_URL: proxy.viaProxy(deliverQueueUrl),
    IDEMPOTENCY_TABLE_NAME: TABLE,
    IDEMPOTENCY_TTL_SECONDS: String(TTL_SECONDS),
    DELIVERY_DESTINATIONS: JSON.stringify({ default: { url: 'https://receiver.example.com/hooks', secretParameter: '/d/default' } }),
    POWERTOOLS_LOG_LEVEL: 'INFO',
    AWS_LAMBDA_LOG_LEVEL: undefined,
    DELIVERY_LANE_QUEUE_URL: undefined,
    ...overrides,
  };
}

function envelope(deliveryId: string, overrides: Partial<ProcessEnvelope> = {}): ProcessEnvelope {
  return {
    version: 2,
    source: 'gh',
    scheme: 'github',
    deliveryId,
    eventType: null,
    receivedAt: '2026-01-01T00:00:00.000Z',
    requestId: `req-${deliveryId}`,
    body: '{"action": "opened", "number": 1}',
    ...overrides,
  };
}

/** Puts bodies on the process queue and receives them back, in order, as one Lambda event. */
async function enqueue(bodies: readonly string[]) {
  const messageIds: string[] = [];
  for (const body of bodies) {
    const { MessageId } = await aws.sqs.send(new SendMessageCommand({ QueueUrl: processQueueUrl, MessageBody: body }));
    messageIds.push(MessageId!);
  }
  const received = await receiveRecords(aws.sqs, processQueueUrl, { count: bodies.length, visibilityTimeoutSeconds: 60 });
  const byId = new Map(received.map((record) => [record.messageId, record]));
  return { messageIds, records: messageIds.map((id) => byId.get(id)!) };
}

/** Makes failed records visible again and receives them, as SQS redelivers them. */
async function redeliver(records: readonly SQSRecord[], response: { batchItemFailures: { itemIdentifier: string }[] }) {
  await settleBatch(aws.sqs, processQueueUrl, records, response, { releaseFailures: true });
  return receiveRecords(aws.sqs, processQueueUrl, { count: response.batchItemFailures.length, visibilityTimeoutSeconds: 60 });
}

async function drainDeliverQueue(): Promise<DeliveryEvent[]> {
  const records = await receiveAll(aws.sqs, deliverQueueUrl, { waitSeconds: 0 });
  await settleBatch(aws.sqs, deliverQueueUrl, records, { batchItemFailures: [] });
  return records.map((record) => JSON.parse(record.body) as DeliveryEvent);
}

const routed = (events: readonly DeliveryEvent[]) => events.map((event) => `${event.source}#${event.id}→${event.destination}`).sort();

async function claim(key: string) {
  return (await aws.dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: key } }, ConsistentRead: true }))).Item;
}

const sendsTo = (predicate: (entry: BatchEntry) => boolean) => (request: ProxiedRequest) =>
  request.operation === 'SendMessageBatch' && (request.input.Entries as BatchEntry[]).some(predicate);
const forDelivery = (deliveryId: string, destination?: string) => (entry: BatchEntry) => {
  const event = JSON.parse(entry.MessageBody) as DeliveryEvent;
  return event.id === deliveryId && (destination === undefined || event.destination === destination);
};

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startFaultProxy(moto.endpoint);
  aws = awsClients(moto.endpoint);
  processQueueUrl = await createQueue(aws.sqs, 'webhook-process-test');
  deliverQueueUrl = await createQueue(aws.sqs, 'webhook-deliver-test');
  await Promise.all(
    Object.keys(DESTINATIONS).map(async (name) => (laneQueueUrls[name] = await createQueue(aws.sqs, `webhook-lane-${name}-test`))),
  );
  await createIdempotencyTable(aws.dynamodb, TABLE);
});

afterAll(async () => {
  if (aws) Object.values(aws).forEach((client) => client.destroy());
  await proxy?.close();
  await moto?.stop();
});

beforeEach(async () => {
  for (const QueueUrl of [processQueueUrl, deliverQueueUrl, ...Object.values(laneQueueUrls)]) {
    await aws.sqs.send(new PurgeQueueCommand({ QueueUrl }));
  }
  proxy.reset();
  output = captureOutput();
});
afterEach(() => output?.restore());

describe('processor: forward once', () => {
  it('forwards a delivery once with one PutItem, and drops its redelivery as a duplicate', async () => {
    const handler = loadHandler('processor', processorEnv());

    const first = await enqueue([JSON.stringify(envelope('d-1'))]);
    const before = Date.now();
    expect(await handler(toSqsEvent(first.records), lambdaContext('processor'))).toEqual({ batchItemFailures: [] });
    await settleBatch(aws.sqs, processQueueUrl, first.records, { batchItemFailures: [] });
    expect(proxy.requests.map((request) => request.operation)).toEqual(['PutItem', 'SendMessageBatch']);

    const delivered = await drainDeliverQueue();
    expect(delivered).toEqual([
      {
        version: 2,
        destination: 'default',
        id: 'd-1',
        source: 'gh',
        type: 'opened',
        receivedAt: '2026-01-01T00:00:00.000Z',
        processedAt: expect.any(String),
        requestId: 'req-d-1',
        body: '{"action": "opened", "number": 1}',
      },
    ]);
    expect(Date.parse(delivered[0]!.processedAt)).toBeGreaterThanOrEqual(before - 1_000);

    // The provider retries: the validator produces a new message for the same delivery.
    proxy.reset();
    const retry = await enqueue([JSON.stringify(envelope('d-1', { requestId: 'req-retry' }))]);
    expect(await handler(toSqsEvent(retry.records), lambdaContext('processor'))).toEqual({ batchItemFailures: [] });
    await settleBatch(aws.sqs, processQueueUrl, retry.records, { batchItemFailures: [] });
    expect(await drainDeliverQueue()).toEqual([]);
    expect(proxy.requests.map((request) => request.operation)).toEqual(['PutItem']);

    expect(output.metricValues('Forwarded').map((entry) => entry.value)).toEqual([1]);
    expect(output.metricValues('Duplicate').map((entry) => entry.value)).toEqual([1]);
    expect(output.logs().find((line) => line.message === 'Duplicate delivery dropped')).toMatchObject({
      deliveryId: 'd-1',
      requestId: 'req-retry',
      source: 'gh',
      claimedBy: first.messageIds[0],
    });
    // The forward is the summary's; the duplicate drop keeps its own full line (above).
    expect(output.logs().filter((line) => line.message === 'Events forwarded')).toEqual([
      expect.objectContaining({ level: 'INFO', count: 1, deliveryIds: { gh: ['d-1'] } }),
    ]);
    expect(output.logs().filter((line) => line.message === 'Event forwarded')).toEqual([]);

    const item = await claim('gh#d-1');
    expect(item?.messageId).toEqual({ S: first.messageIds[0] });
    expect(Number(item?.expiration?.N)).toBeGreaterThan(before / 1000 + TTL_SECONDS - 60);
    expect(Number(item?.expiration?.N)).toBeLessThan(Date.now() / 1000 + TTL_SECONDS + 60);
  });

  it('spends one PutItem per first-seen event and one SendMessageBatch per ten messages', async () => {
    const handler = loadHandler('processor', processorEnv());
    const { records } = await enqueue(
      Array.from({ length: 10 }, (_, index) => JSON.stringify(envelope(`count-${index}`, { eventType: 'push' }))),
    );
    expect(await handler(toSqsEvent(records), lambdaContext('processor'))).toEqual({ batchItemFailures: [] });
    const operations = proxy.requests.map((request) => request.operation);
    expect(operations.filter((operation) => operation === 'PutItem')).toHaveLength(10);
    expect(operations.filter((operation) => operation === 'SendMessageBatch')).toHaveLength(1);
    expect(operations).toHaveLength(11);
    expect(await drainDeliverQueue()).toHaveLength(10);
  });

  it('in one batch, forwards the first copy, drops the second and fails the poison messages', async () => {
    const handler = loadHandler('processor', processorEnv());
    const { records, messageIds } = await enqueue([
      JSON.stringify(envelope('d-2', { eventType: 'pull_request' })),
      JSON.stringify(envelope('d-2', { eventType: 'pull_request' })),
      'this is not an envelope',
      JSON.stringify(envelope('d-2', { source: 'other-source' })),
      JSON.stringify({ ...envelope('d-3'), version: 99 }),
    ]);
    const response = await handler(toSqsEvent(records), lambdaContext('processor'));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: messageIds[2] }, { itemIdentifier: messageIds[4] }] });
    await settleBatch(aws.sqs, processQueueUrl, records, response);

    expect(routed(await drainDeliverQueue())).toEqual(['gh#d-2→default', 'other-source#d-2→default']);
    expect(output.metricValues('Duplicate')).toHaveLength(1);
    const failures = output.logs().filter((line) => line.level === 'ERROR');
    expect(failures.map((line) => [line.messageId, line.reason])).toEqual([
      [messageIds[2], 'invalid-message'],
      [messageIds[4], 'invalid-message'],
    ]);
    expect((failures[1]!.error as { message: string }).message).toBe('Not a valid process envelope: "version" must be 2');
  });

  it('still forwards a version 1 envelope queued before the upgrade', async () => {
    const handler = loadHandler('processor', processorEnv());
    const { body: _body, ...rest } = envelope('legacy-1');
    const { records } = await enqueue([JSON.stringify({ ...rest, version: 1, payload: { action: 'closed' } })]);
    expect(await handler(toSqsEvent(records), lambdaContext('processor'))).toEqual({ batchItemFailures: [] });
    const [event] = await drainDeliverQueue();
    expect(event).toMatchObject({ id: 'legacy-1', type: 'closed', body: '{"action":"closed"}' });
  });
});

describe('processor: routing', () => {
  it('sends one message per matching destination, by source and event type, wildcards included', async () => {
    const handler = loadHandler('processor', processorEnv({ DELIVERY_DESTINATIONS: JSON.stringify(DESTINATIONS) }));
    const { records } = await enqueue([
      JSON.stringify(envelope('order-1', { source: 'shop', scheme: 'shopify', eventType: 'orders/create' })),
      JSON.stringify(envelope('cart-1', { source: 'shop', scheme: 'shopify', eventType: 'carts/update' })),
      JSON.stringify(envelope('push-1', { eventType: 'push' })),
      JSON.stringify(envelope('star-1', { eventType: 'star' })),
      JSON.stringify(envelope('order-2', { source: 'gh', eventType: 'orders/create' })),
    ]);
    expect(await handler(toSqsEvent(records), lambdaContext('processor'))).toEqual({ batchItemFailures: [] });
    expect(routed(await drainDeliverQueue())).toEqual(
      [
        'shop#order-1→crm',
        'shop#order-1→audit',
        'shop#cart-1→audit',
        'gh#push-1→ci',
        'gh#push-1→audit',
        'gh#star-1→audit',
        'gh#order-2→audit',
      ].sort(),
    );
    expect(proxy.count('SendMessageBatch')).toBe(1);
    expect(proxy.count('PutItem')).toBe(5);
    expect(output.metricValues('Forwarded')).toHaveLength(5);
    expect(output.logs().filter((line) => line.message === 'Events forwarded')).toEqual([
      expect.objectContaining({ count: 5, deliveryIds: { shop: ['order-1', 'cart-1'], gh: ['push-1', 'star-1', 'order-2'] } }),
    ]);
  });

  it("sends each destination's messages to its own delivery lane, one SendMessageBatch per lane", async () => {
    const lanes = proxy.viaProxy(laneQueueUrls.crm!).replace('webhook-lane-crm-test', 'webhook-lane-{destination}-test');
    const handler = loadHandler(
      'processor',
      processorEnv({ DELIVERY_DESTINATIONS: JSON.stringify(DESTINATIONS), DELIVERY_LANE_QUEUE_URL: lanes }),
    );
    const { records } = await enqueue([
      JSON.stringify(envelope('order-3', { source: 'shop', scheme: 'shopify', eventType: 'orders/create' })),
      JSON.stringify(envelope('push-3', { eventType: 'push' })),
    ]);
    expect(await handler(toSqsEvent(records), lambdaContext('processor'))).toEqual({ batchItemFailures: [] });
    const onLane = async (name: string) => {
      const received = await receiveAll(aws.sqs, laneQueueUrls[name]!, { waitSeconds: 0 });
      await settleBatch(aws.sqs, laneQueueUrls[name]!, received, { batchItemFailures: [] });
      return received.map((record) => (JSON.parse(record.body) as DeliveryEvent).id).sort();
    };
    expect(await onLane('crm')).toEqual(['order-3']);
    expect(await onLane('ci')).toEqual(['push-3']);
    expect(await onLane('audit')).toEqual(['order-3', 'push-3']);
    expect(await drainDeliverQueue()).toEqual([]);
    expect(proxy.count('SendMessageBatch')).toBe(3);
  });

  it('logs and counts an event no destination takes as unrouted, keeps its claim, and drops its retry', async () => {
    const handler = loadHandler('processor', processorEnv({ DELIVERY_DESTINATIONS: JSON.stringify(WITHOUT_AUDIT) }));
    const { records } = await enqueue([
      JSON.stringify(envelope('cart-2', { source: 'shop', scheme: 'shopify', eventType: 'carts/update' })),
      JSON.stringify(envelope('push-2', { eventType: 'push' })),
    ]);
    expect(await handler(toSqsEvent(records), lambdaContext('processor'))).toEqual({ batchItemFailures: [] });
    expect(routed(await drainDeliverQueue())).toEqual(['gh#push-2→ci']);
    expect(output.metricValues('Unrouted').map((entry) => entry.value)).toEqual([1]);
    expect(output.logs().find((line) => line.reason === 'unrouted')).toMatchObject({
      level: 'INFO',
      deliveryId: 'cart-2',
      source: 'shop',
      eventType: 'carts/update',
    });
    expect(await claim('shop#cart-2')).toBeDefined();

    const retry = await enqueue([JSON.stringify(envelope('cart-2', { source: 'shop', scheme: 'shopify', eventType: 'carts/update' }))]);
    expect(await handler(toSqsEvent(retry.records), lambdaContext('processor'))).toEqual({ batchItemFailures: [] });
    expect(output.metricValues('Duplicate')).toHaveLength(1);
  });

  it('treats every event as unrouted when no destination is configured', async () => {
    const handler = loadHandler('processor', processorEnv({ DELIVERY_DESTINATIONS: '{}' }));
    const { records } = await enqueue([JSON.stringify(envelope('none-1', { eventType: 'push' }))]);
    expect(await handler(toSqsEvent(records), lambdaContext('processor'))).toEqual({ batchItemFailures: [] });
    expect(proxy.count('SendMessageBatch')).toBe(0);
    expect(output.metricValues('Unrouted')).toHaveLength(1);
  });
});

describe('processor: lossless', () => {
  it('delivers the raw body byte for byte: big numbers, odd whitespace, escapes, non-ASCII', async () => {
    const body = '{ "id" : 12345678901234567890123,\n\t"amount": 1.10, "note": "a\\"b\\\\c\\u00e9\\n", "name": "Zoë 😀" }\r\n';
    expect(() => JSON.parse(body)).not.toThrow();
    const handler = loadHandler('processor', processorEnv({ DELIVERY_DESTINATIONS: JSON.stringify(DESTINATIONS) }));
    const { records } = await enqueue([JSON.stringify(envelope('raw-1', { body, eventType: 'push' }))]);
    expect(await handler(toSqsEvent(records), lambdaContext('processor'))).toEqual({ batchItemFailures: [] });
    const events = await drainDeliverQueue();
    expect(events.map((event) => event.destination).sort()).toEqual(['audit', 'ci']);
    for (const event of events) expect(Buffer.from(event.body, 'utf8').equals(Buffer.from(body, 'utf8'))).toBe(true);
  });

  it('reads the event type from the raw body when the envelope names none', async () => {
    const handler = loadHandler('processor', processorEnv());
    const { records } = await enqueue([JSON.stringify(envelope('typed-1', { body: '{"type":"push","n":1e400}' }))]);
    expect(await handler(toSqsEvent(records), lambdaContext('processor'))).toEqual({ batchItemFailures: [] });
    expect(await drainDeliverQueue()).toMatchObject([{ type: 'push', body: '{"type":"push","n":1e400}' }]);
  });
});

describe('processor: batched sends and failures', () => {
  it('fails only the record whose entry failed, releases its claim, and forwards the others once', async () => {
    const handler = loadHandler('processor', processorEnv());
    const { records, messageIds } = await enqueue(['e-0', 'e-1', 'e-2'].map((id) => JSON.stringify(envelope(id, { eventType: 'push' }))));
    proxy.inject((request) => (request.operation === 'SendMessageBatch' ? { failEntries: forDelivery('e-1') } : undefined));
    const response = await handler(toSqsEvent(records), lambdaContext('processor'));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: messageIds[1] }] });
    expect(proxy.count('DeleteItem')).toBe(1);
    expect(await claim('gh#e-1')).toBeUndefined();
    expect(await claim('gh#e-0')).toBeDefined();
    expect(output.logs().find((line) => line.level === 'ERROR')).toMatchObject({
      deliveryId: 'e-1',
      messageId: messageIds[1],
      reason: 'forward-failed',
    });
    expect(output.metricValues('Forwarded')).toHaveLength(2);

    proxy.inject(undefined);
    const retried = await redeliver(records, response);
    expect(await handler(toSqsEvent(retried), lambdaContext('processor'))).toEqual({ batchItemFailures: [] });
    expect(routed(await drainDeliverQueue())).toEqual(['gh#e-0→default', 'gh#e-1→default', 'gh#e-2→default']);
  });

  it('fails the records of a failed call and only those, releasing each one’s claim', async () => {
    const handler = loadHandler('processor', processorEnv());
    const ids = Array.from({ length: 12 }, (_, index) => `c-${index}`);
    const { records, messageIds } = await enqueue(ids.map((id) => JSON.stringify(envelope(id, { eventType: 'push' }))));
    proxy.inject((request) => (sendsTo(forDelivery('c-0'))(request) ? { error: { status: 500, code: 'InternalError' } } : undefined));
    const response = await handler(toSqsEvent(records), lambdaContext('processor'));
    expect(proxy.count('SendMessageBatch')).toBe(2);
    expect(response).toEqual({ batchItemFailures: messageIds.slice(0, 10).map((itemIdentifier) => ({ itemIdentifier })) });
    expect(proxy.count('DeleteItem')).toBe(10);
    expect(routed(await drainDeliverQueue())).toEqual(['gh#c-10→default', 'gh#c-11→default']);
  });

  it('fails throttled records once the SDK has retried and given up', async () => {
    const handler = loadHandler('processor', processorEnv({ AWS_MAX_ATTEMPTS: '3' }));
    const { records, messageIds } = await enqueue([JSON.stringify(envelope('t-0', { eventType: 'push' }))]);
    proxy.inject((request) =>
      request.operation === 'SendMessageBatch' ? { error: { status: 400, code: 'ThrottlingException' } } : undefined,
    );
    const response = await handler(toSqsEvent(records), lambdaContext('processor'));
    expect(proxy.count('SendMessageBatch')).toBe(3);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: messageIds[0] }] });
    expect(await claim('gh#t-0')).toBeUndefined();
  });

  it('splits ten 100 KB events by size', async () => {
    const handler = loadHandler('processor', processorEnv());
    const bodies = Array.from({ length: 10 }, (_, index) =>
      JSON.stringify(envelope(`big-${index}`, { eventType: 'push', body: JSON.stringify({ pad: 'x'.repeat(100_000) }) })),
    );
    const { records } = await enqueue(bodies);
    expect(await handler(toSqsEvent(records), lambdaContext('processor'))).toEqual({ batchItemFailures: [] });
    expect(proxy.count('SendMessageBatch')).toBeGreaterThanOrEqual(4);
    expect(await drainDeliverQueue()).toHaveLength(10);
  });
});

describe('processor: failures around the claim', () => {
  it('after a failed forward, a DLQ redrive (a new message id) is forwarded, not taken for a duplicate', async () => {
    const handler = loadHandler('processor', processorEnv());
    const body = JSON.stringify(envelope('redrive-1', { eventType: 'push' }));
    const first = await enqueue([body]);
    proxy.inject((request) => (request.operation === 'SendMessageBatch' ? { error: { status: 500, code: 'InternalError' } } : undefined));
    expect(await handler(toSqsEvent(first.records), lambdaContext('processor'))).toEqual({
      batchItemFailures: [{ itemIdentifier: first.messageIds[0] }],
    });
    await settleBatch(aws.sqs, processQueueUrl, first.records, { batchItemFailures: [] });

    proxy.inject(undefined);
    const redriven = await enqueue([body]);
    expect(redriven.messageIds[0]).not.toBe(first.messageIds[0]);
    expect(await handler(toSqsEvent(redriven.records), lambdaContext('processor'))).toEqual({ batchItemFailures: [] });
    expect(routed(await drainDeliverQueue())).toEqual(['gh#redrive-1→default']);
    expect(output.metricValues('Duplicate')).toEqual([]);
  });

  it('after a crash between the claim and the forward, the same message is forwarded and other messages stay dropped', async () => {
    const handler = loadHandler('processor', processorEnv());
    const body = JSON.stringify(envelope('crash-1', { eventType: 'push' }));
    const first = await enqueue([body]);
    // The claim is written, then nothing else happens: neither the forward nor the release.
    proxy.inject((request) =>
      request.operation === 'SendMessageBatch' || request.operation === 'DeleteItem'
        ? { error: { status: 500, code: 'InternalError' } }
        : undefined,
    );
    const response = await handler(toSqsEvent(first.records), lambdaContext('processor'));
    expect(response.batchItemFailures).toHaveLength(1);
    expect((await claim('gh#crash-1'))?.messageId).toEqual({ S: first.messageIds[0] });
    expect(output.logs().find((line) => line.message === 'Could not undo a failed forward')).toMatchObject({ deliveryId: 'crash-1' });
    proxy.inject(undefined);

    // A provider retry arrives meanwhile: dropped, the claim stands.
    const providerRetry = await enqueue([body]);
    expect(await handler(toSqsEvent(providerRetry.records), lambdaContext('processor'))).toEqual({ batchItemFailures: [] });
    await settleBatch(aws.sqs, processQueueUrl, providerRetry.records, { batchItemFailures: [] });
    expect(await drainDeliverQueue()).toEqual([]);

    // SQS redelivers the original message: same message id, so it is forwarded.
    const redelivered = await redeliver(first.records, response);
    expect(redelivered[0]?.messageId).toBe(first.messageIds[0]);
    expect(await handler(toSqsEvent(redelivered), lambdaContext('processor'))).toEqual({ batchItemFailures: [] });
    expect(routed(await drainDeliverQueue())).toEqual(['gh#crash-1→default']);
  });

  it('after some destinations failed, the retry sends only to those, with one PutItem', async () => {
    const handler = loadHandler('processor', processorEnv({ DELIVERY_DESTINATIONS: JSON.stringify(DESTINATIONS) }));
    const first = await enqueue([JSON.stringify(envelope('fan-1', { source: 'shop', scheme: 'shopify', eventType: 'orders/paid' }))]);
    proxy.inject((request) => (request.operation === 'SendMessageBatch' ? { failEntries: forDelivery('fan-1', 'audit') } : undefined));
    const response = await handler(toSqsEvent(first.records), lambdaContext('processor'));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: first.messageIds[0] }] });
    expect(routed(await drainDeliverQueue())).toEqual(['shop#fan-1→crm']);
    expect((await claim('shop#fan-1'))?.sent).toEqual({ SS: ['crm'] });
    expect(proxy.requests.map((request) => request.operation)).toEqual(['PutItem', 'SendMessageBatch', 'PutItem']);

    proxy.reset();
    const retried = await redeliver(first.records, response);
    expect(await handler(toSqsEvent(retried), lambdaContext('processor'))).toEqual({ batchItemFailures: [] });
    expect(routed(await drainDeliverQueue())).toEqual(['shop#fan-1→audit']);
    expect(proxy.requests.map((request) => request.operation)).toEqual(['PutItem', 'SendMessageBatch']);
    // Finishing a failed forward is a retry: its own full line at INFO, with its ids.
    expect(output.logs().filter((line) => line.message === 'Event forwarded')).toMatchObject([
      {
        level: 'INFO',
        destinations: ['audit'],
        alreadySent: ['crm'],
        deliveryId: 'fan-1',
        source: 'shop',
        requestId: 'req-fan-1',
        retry: true,
      },
    ]);
    expect(output.logs().find((line) => line.message === 'Claim released after a failed forward')).toMatchObject({
      level: 'INFO',
      deliveryId: 'fan-1',
      reached: ['crm'],
    });
    expect(output.metricValues('Forwarded')).toHaveLength(1);
    expect((await claim('shop#fan-1'))?.sent).toBeUndefined();

    const { Items = [] } = await aws.dynamodb.send(new ScanCommand({ TableName: TABLE }));
    expect(Items.filter((item) => item.id?.S === 'shop#fan-1')).toHaveLength(1);
  });
});
