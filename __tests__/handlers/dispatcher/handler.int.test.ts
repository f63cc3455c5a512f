import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { DeliveryEvent } from '../../../src/handlers/shared/delivery-event';
import { type AwsClients, awsClients, createQueue, putSecureString } from '../../support/aws-resources';
import { lambdaContext } from '../../support/lambda-context';
import { type LoadedHandler, loadHandler } from '../../support/load-handler';
import { type MotoServer, startMoto } from '../../support/moto';
import { captureOutput, type CapturedOutput } from '../../support/output';
import { receiveAll, receiveRecords, settleBatch, toSqsEvent } from '../../support/sqs-records';
import { type Receiver, sameIdOverlapped, startReceiver } from '../../support/receiver';

jest.setTimeout(60_000);

const SECRET_PARAMETER = '/webhook-pipeline/test/destinations/orders';
const CURRENT = `whsec_${randomBytes(32).toString('base64')}`;
const PREVIOUS = 'previous-raw-secret';
/** Big numbers, escapes, non-ASCII and odd spacing: anything a parse and re-serialize would change. */
const BODY = '{"n": 12345678901234567890123, "s":"é\\u00e9\\n",  "k": [1 , 2]}  \n';

let moto: MotoServer;
let aws: AwsClients;
let receiver: Receiver;
let output: CapturedOutput;
/** Fresh per test, so no test sees another's messages. */
let deliverQueueUrl: string;
let deadLetterQueueUrl: string;

function dispatcherEnv(overrides: Record<string, string | undefined> = {}) {
  return {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_MAX_ATTEMPTS: '1',
    DELIVERY_DESTINATIONS: JSON.stringify({
      orders: { url: `${receiver.url}/webhooks/inbound`, secretParameter: SECRET_PARAMETER },
      unsigned: { url: `${receiver.url}/unsigned`, secretParameter: '/webhook-pipeline/test/absent' },
    }),
    DELIVERY_RETRY_SCHEDULE: '[2]',
    SOURCE_QUEUE_URL: deliverQueueUrl,
    DEAD_LETTER_QUEUE_URL: deadLetterQueueUrl,
    DELIVERY_TIMEOUT_MS: '2000',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    AWS_LAMBDA_LOG_LEVEL: undefined,
    ...overrides,
  };
}

function event(id: string, overrides: Partial<DeliveryEvent> = {}): DeliveryEvent {
  return {
    version: 2,
    destination: 'orders',
    id,
    source: 'shop',
    type: 'orders/create',
    receivedAt: '2026-01-01T00:00:00.000Z',
    processedAt: '2026-01-01T00:00:01.000Z',
    requestId: `req-${id}`,
    body: BODY,
    ...overrides,
  };
}

/** Puts bodies on the deliver queue and receives them back, in order, as one Lambda event. */
async function enqueue(bodies: readonly string[]) {
  const messageIds: string[] = [];
  for (const body of bodies) {
    const { MessageId } = await aws.sqs.send(new SendMessageCommand({ QueueUrl: deliverQueueUrl, MessageBody: body }));
    messageIds.push(MessageId!);
  }
  // Received with a long visibility timeout, so a record receivable again soon proves the dispatcher shortened it.
  const received = await receiveRecords(aws.sqs, deliverQueueUrl, { count: bodies.length, visibilityTimeoutSeconds: 60 });
  const byId = new Map(received.map((record) => [record.messageId, record]));
  const records = messageIds.map((id) => byId.get(id)!);
  return { messageIds, records, event: toSqsEvent(records) };
}

/** Runs the handler over bodies as the event source mapping would: receive, invoke, delete what succeeded. */
async function invoke(handler: LoadedHandler, bodies: readonly string[]) {
  const batch = await enqueue(bodies);
  const response: SQSBatchResponse = await handler(batch.event, lambdaContext('dispatcher'));
  await settleBatch(aws.sqs, deliverQueueUrl, batch.records, response);
  return { ...batch, response };
}

/** Whatever the queue lets a consumer receive right now, without waiting. */
async function receivableNow(queueUrl: string) {
  const { Messages = [] } = await aws.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
  );
  return Messages;
}

beforeAll(async () => {
  moto = await startMoto();
  aws = awsClients(moto.endpoint);
  await putSecureString(aws.ssm, SECRET_PARAMETER, `${CURRENT}\n${PREVIOUS}`);
  receiver = await startReceiver();
});

afterAll(async () => {
  await receiver?.close();
  if (aws) Object.values(aws).forEach((client) => client.destroy());
  await moto?.stop();
});

beforeEach(async () => {
  const suffix = randomUUID().slice(0, 8);
  deadLetterQueueUrl = await createQueue(aws.sqs, `webhook-deliver-dlq-${suffix}`);
  // maxReceiveCount = schedule length + 1, as the infrastructure sets it.
  deliverQueueUrl = await createQueue(aws.sqs, `webhook-deliver-${suffix}`, {
    deadLetter: { queueUrl: deadLetterQueueUrl, maxReceiveCount: 2 },
  });
  output = captureOutput();
  receiver.reset();
  receiver.answer({ status: 200 });
});
afterEach(() => output?.restore());

describe('dispatcher against SQS, SSM and a loopback destination', () => {
  it('delivers each provider body byte for byte, signed so the standardwebhooks library verifies it with either secret', async () => {
    const handler = loadHandler('dispatcher', dispatcherEnv());
    const { response } = await invoke(handler, [JSON.stringify(event('o-1')), JSON.stringify(event('o-2'))]);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(receiver.requests.map((request) => request.headers['webhook-id']).sort()).toEqual(['shop:o-1', 'shop:o-2']);
    for (const request of receiver.requests) {
      expect(request.path).toBe('/webhooks/inbound');
      expect(request.raw.equals(Buffer.from(BODY, 'utf8'))).toBe(true);
      expect(request.headers).toMatchObject({
        'content-type': 'application/json',
        'user-agent': 'webhook-pipeline',
        'x-webhook-attempt': '1',
      });
      const headers = request.headers as Record<string, string>;
      expect(() => new Webhook(CURRENT).verify(request.raw, headers)).not.toThrow();
      expect(() => new Webhook(PREVIOUS, { format: 'raw' }).verify(request.raw, headers)).not.toThrow();
      expect(() => new Webhook(CURRENT).verify(request.body.replace('23,', '24,'), headers)).toThrow();
    }
    // One EMF document for the invocation: the alarms' `service` set and the dashboard's `service` + `destination`.
    expect(output.metrics()).toEqual([
      expect.objectContaining({
        _aws: expect.objectContaining({
          CloudWatchMetrics: [expect.objectContaining({ Dimensions: [['service'], ['service', 'destination']] })],
        }),
        service: 'dispatcher',
        destination: 'orders',
        Delivered: 2,
      }),
    ]);
    expect(output.logs()).toEqual([
      expect.objectContaining({ level: 'INFO', message: 'Events delivered', count: 2, deliveryIds: { orders: ['o-1', 'o-2'] } }),
    ]);
    expect(await receivableNow(deliverQueueUrl)).toHaveLength(0);
    expect(output.text()).not.toContain(CURRENT);
  });

  it('delivers a batch concurrently, but never two records of the same event to a destination at once', async () => {
    // At DEBUG (switched by the environment, as Lambda's application log level does), each record logs its own line too.
    const handler = loadHandler('dispatcher', dispatcherEnv({ POWERTOOLS_LOG_LEVEL: 'DEBUG' }));
    receiver.answer({ status: 200, delayMs: 300 });
    const distinct = Array.from({ length: 7 }, (_, i) => JSON.stringify(event(`c-${i}`)));
    const repeated = [1, 2, 3].map((n) => JSON.stringify(event('same', { body: `{"copy": ${n}}` })));
    const { response } = await invoke(handler, [repeated[0], ...distinct.slice(0, 3), repeated[1], ...distinct.slice(3), repeated[2]]);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(receiver.requests).toHaveLength(10);
    // Evidence of overlap: several requests were open at the destination at the same moment.
    expect(receiver.maxInFlight()).toBeGreaterThanOrEqual(2);
    expect(sameIdOverlapped(receiver.timeline)).toBe(false);
    const copies = receiver.requests.filter((request) => request.headers['webhook-id'] === 'shop:same').map((request) => request.body);
    expect(copies).toEqual(['{"copy": 1}', '{"copy": 2}', '{"copy": 3}']);
    // Each record's log line carries its own ids, though the records interleaved.
    const delivered = output.logs().filter((line) => line.message === 'Event delivered');
    expect(delivered).toHaveLength(10);
    for (const line of delivered) expect(line).toMatchObject({ level: 'DEBUG', requestId: `req-${line.deliveryId}` });
    expect(output.logs().filter((line) => line.message === 'Events delivered')).toEqual([expect.objectContaining({ count: 10 })]);
  });

  it('logs each failure, retry and DLQ move in full with its ids; first-attempt successes only in the summary', async () => {
    const handler = loadHandler('dispatcher', dispatcherEnv());
    receiver.answer((request) => {
      const id = String(request.headers['webhook-id']);
      return { status: id === 'shop:down-1' ? 503 : id === 'shop:gone-1' ? 410 : 200 };
    });
    const bodies = [event('ok-1'), event('down-1'), event('gone-1'), event('old-1', { destination: 'retired' }), event('ok-2')];
    const { messageIds, response } = await invoke(
      handler,
      bodies.map((body) => JSON.stringify(body)),
    );
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: messageIds[1] }] });

    const ids = (id: string, index: number, destination = 'orders') => ({
      deliveryId: id,
      requestId: `req-${id}`,
      source: 'shop',
      destination,
      messageId: messageIds[index],
    });
    expect(output.logs().filter((line) => line.level === 'INFO')).toEqual([
      expect.objectContaining({ message: 'Events delivered', count: 2, deliveryIds: { orders: ['ok-1', 'ok-2'] } }),
    ]);
    expect(output.logs().filter((line) => line.message === 'Events delivered')[0]).not.toHaveProperty('messageId');
    const errors = output.logs().filter((line) => line.level === 'ERROR');
    expect(errors).toHaveLength(3);
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          message: 'Delivery failed; it will be retried',
          reason: 'delivery-rejected',
          status: 503,
          attempt: 1,
          nextDelaySeconds: 2,
          ...ids('down-1', 1),
        }),
        expect.objectContaining({ reason: 'destination-gone', status: 410, ...ids('gone-1', 2) }),
        expect.objectContaining({ reason: 'unknown-destination', ...ids('old-1', 3, 'retired') }),
      ]),
    );

    // The retry succeeds: a line of its own, with the attempt, besides the summary.
    output.clear();
    const [again] = await receiveRecords(aws.sqs, deliverQueueUrl, { count: 1, timeoutMs: 8_000, visibilityTimeoutSeconds: 60 });
    receiver.answer({ status: 200 });
    expect(await handler(toSqsEvent([again]), lambdaContext('dispatcher'))).toEqual({ batchItemFailures: [] });
    await settleBatch(aws.sqs, deliverQueueUrl, [again], { batchItemFailures: [] });
    expect(output.logs()).toEqual([
      expect.objectContaining({ level: 'INFO', message: 'Event delivered', attempt: 2, status: 200, ...ids('down-1', 1) }),
      expect.objectContaining({ level: 'INFO', message: 'Events delivered', count: 1, deliveryIds: { orders: ['down-1'] } }),
    ]);
  });

  it('keeps a failed record invisible for the scheduled delay, then lets the redrive policy dead-letter it after the last attempt', async () => {
    const handler = loadHandler('dispatcher', dispatcherEnv());
    receiver.answer({ status: 500 });
    const first = await invoke(handler, [JSON.stringify(event('f-1'))]);

    expect(first.response).toEqual({ batchItemFailures: [{ itemIdentifier: first.messageIds[0] }] });
    expect(output.logs().find((line) => line.level === 'ERROR')).toMatchObject({
      reason: 'delivery-rejected',
      status: 500,
      attempt: 1,
      nextDelaySeconds: 2,
      deliveryId: 'f-1',
      destination: 'orders',
    });
    // Not receivable at once (the schedule's 2 s) ...
    expect(await receivableNow(deliverQueueUrl)).toHaveLength(0);
    // ... but long before the 60 s it was received with.
    const [again] = await receiveRecords(aws.sqs, deliverQueueUrl, { count: 1, timeoutMs: 8_000, visibilityTimeoutSeconds: 60 });
    expect(again.messageId).toBe(first.messageIds[0]);
    expect(again.attributes.ApproximateReceiveCount).toBe('2');

    // The second attempt is past the one-step schedule: it fails visible at once, and the next
    // receive moves it to the DLQ.
    output.clear();
    const second = await handler(toSqsEvent([again]), lambdaContext('dispatcher'));
    expect(second).toEqual({ batchItemFailures: [{ itemIdentifier: again.messageId }] });
    expect(output.logs().find((line) => line.level === 'ERROR')).toMatchObject({ attempt: 2, nextDelaySeconds: 0 });
    expect(receiver.requests.map((request) => request.headers['x-webhook-attempt'])).toEqual(['1', '2']);
    expect(await receiveAll(aws.sqs, deliverQueueUrl, { waitSeconds: 1 })).toHaveLength(0);
    const [deadLetter] = await receiveRecords(aws.sqs, deadLetterQueueUrl, { count: 1, timeoutMs: 5_000 });
    expect(deadLetter.body).toBe(first.records[0].body);
  });

  it('sends a delivery the destination answers 410 Gone to the DLQ at once, unchanged and labelled', async () => {
    const handler = loadHandler('dispatcher', dispatcherEnv());
    receiver.answer({ status: 410 });
    const body = JSON.stringify(event('g-1'));
    const { response } = await invoke(handler, [body]);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(receiver.requests).toHaveLength(1);
    const [deadLetter] = await receiveRecords(aws.sqs, deadLetterQueueUrl, { count: 1, timeoutMs: 5_000 });
    expect(deadLetter.body).toBe(body);
    expect(deadLetter.messageAttributes.reason?.stringValue).toBe('destination-gone');
    expect(deadLetter.messageAttributes.destination?.stringValue).toBe('orders');
    expect(await receiveAll(aws.sqs, deliverQueueUrl, { waitSeconds: 1 })).toHaveLength(0);
    expect(output.logs().find((line) => line.level === 'ERROR')).toMatchObject({ reason: 'destination-gone', deliveryId: 'g-1' });
    expect(output.metricValues('DeliveryGone')).toEqual([{ value: 1, dimensions: { service: 'dispatcher', destination: 'orders' } }]);
  });

  it('sends a record for a destination no longer configured to the DLQ without a request', async () => {
    const handler = loadHandler('dispatcher', dispatcherEnv());
    const body = JSON.stringify(event('u-1', { destination: 'retired' }));
    const { response } = await invoke(handler, [body]);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(receiver.requests).toHaveLength(0);
    const [deadLetter] = await receiveRecords(aws.sqs, deadLetterQueueUrl, { count: 1, timeoutMs: 5_000 });
    expect(deadLetter.body).toBe(body);
    expect(deadLetter.messageAttributes.reason?.stringValue).toBe('unknown-destination');
    expect(deadLetter.messageAttributes.destination?.stringValue).toBe('retired');
  });

  it('fails a record whose destination’s secret parameter is missing, and one that is not an event, delivering the rest', async () => {
    const handler = loadHandler('dispatcher', dispatcherEnv());
    const { messageIds, response } = await invoke(handler, [
      JSON.stringify(event('m-1', { destination: 'unsigned' })),
      JSON.stringify(event('m-2')),
      'not an event',
    ]);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: messageIds[0] }, { itemIdentifier: messageIds[2] }] });
    expect(receiver.requests.map((request) => request.headers['webhook-id'])).toEqual(['shop:m-2']);
    const errors = output.logs().filter((line) => line.level === 'ERROR');
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ reason: 'missing-secret', secretParameter: '/webhook-pipeline/test/absent', deliveryId: 'm-1' }),
        expect.objectContaining({ reason: 'invalid-message', messageId: messageIds[2] }),
      ]),
    );
  });

  it('with no destination configured, dead-letters whatever arrives', async () => {
    const handler = loadHandler('dispatcher', dispatcherEnv({ DELIVERY_DESTINATIONS: '{}', SOURCE_QUEUE_URL: undefined }));
    const { response } = await invoke(handler, [JSON.stringify(event('n-1'))]);
    expect(response).toEqual({ batchItemFailures: [] });
    const [deadLetter] = await receiveRecords(aws.sqs, deadLetterQueueUrl, { count: 1, timeoutMs: 5_000 });
    expect(deadLetter.messageAttributes.reason?.stringValue).toBe('unknown-destination');
    expect(receiver.requests).toHaveLength(0);
  });
});
