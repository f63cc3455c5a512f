import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { createHmac } from 'node:crypto';
import type { DeliveryEvent } from '../../../src/handlers/shared/delivery-event';
import { type AwsClients, awsClients, createQueue, putSecureString } from '../../support/aws-resources';
import { type HttpTarget, startHttpTarget } from '../../support/http-target';
import { lambdaContext } from '../../support/lambda-context';
import { loadHandler } from '../../support/load-handler';
import { type MotoServer, startMoto } from '../../support/moto';
import { captureOutput, type CapturedOutput } from '../../support/output';
import { receiveRecords, settleBatch, toSqsEvent } from '../../support/sqs-records';

jest.setTimeout(60_000);

const SECRET_PARAMETER = '/webhook-pipeline/test/delivery-secret';
const DELIVERY_SECRET = 'delivery-secret-value';

let moto: MotoServer;
let aws: AwsClients;
let deliverQueueUrl: string;
let target: HttpTarget;
let output: CapturedOutput;

function dispatcherEnv(overrides: Record<string, string | undefined> = {}) {
  return {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_MAX_ATTEMPTS: '1',
    DELIVERY_URL: `${target.url}/webhooks/inbound`,
    DELIVERY_SECRET_PARAMETER: SECRET_PARAMETER,
    DELIVERY_TIMEOUT_MS: '300',
    ...overrides,
  };
}

function event(id: string): DeliveryEvent {
  return {
    id,
    source: 'shop',
    type: 'orders/create',
    receivedAt: '2026-01-01T00:00:00.000Z',
    processedAt: '2026-01-01T00:00:01.000Z',
    requestId: `req-${id}`,
    data: { order: id, total: '10.00' },
  };
}

/** Puts bodies on the deliver queue and receives them back, in order, as one Lambda event. */
async function enqueue(bodies: readonly string[]) {
  const messageIds: string[] = [];
  for (const body of bodies) {
    const { MessageId } = await aws.sqs.send(new SendMessageCommand({ QueueUrl: deliverQueueUrl, MessageBody: body }));
    messageIds.push(MessageId!);
  }
  const received = await receiveRecords(aws.sqs, deliverQueueUrl, { count: bodies.length, visibilityTimeoutSeconds: 60 });
  const byId = new Map(received.map((record) => [record.messageId, record]));
  const records = messageIds.map((id) => byId.get(id)!);
  return { messageIds, records, event: toSqsEvent(records) };
}

beforeAll(async () => {
  moto = await startMoto();
  aws = awsClients(moto.endpoint);
  deliverQueueUrl = await createQueue(aws.sqs, 'webhook-deliver-test');
  await putSecureString(aws.ssm, SECRET_PARAMETER, DELIVERY_SECRET);
  target = await startHttpTarget();
});

afterAll(async () => {
  await target?.close();
  if (aws) Object.values(aws).forEach((client) => client.destroy());
  await moto?.stop();
});

beforeEach(() => {
  output = captureOutput();
  target.requests.length = 0;
  target.respondWith(200);
});
afterEach(() => output?.restore());

describe('dispatcher against SQS, SSM and an HTTP target', () => {
  it('POSTs each event signed with the delivery secret', async () => {
    const handler = loadHandler('dispatcher', dispatcherEnv());
    const { records, event: sqsEvent } = await enqueue([JSON.stringify(event('o-1')), JSON.stringify(event('o-2'))]);

    const response = await handler(sqsEvent, lambdaContext('dispatcher'));

    expect(response).toEqual({ batchItemFailures: [] });
    await settleBatch(aws.sqs, deliverQueueUrl, records, response);
    expect(target.requests.map((request) => request.headers['x-webhook-id'])).toEqual(['o-1', 'o-2']);
    for (const request of target.requests) {
      expect(request).toMatchObject({ method: 'POST', path: '/webhooks/inbound' });
      expect(request.headers['content-type']).toBe('application/json');
      const expected = `sha256=${createHmac('sha256', DELIVERY_SECRET).update(request.body).digest('hex')}`;
      expect(request.headers['x-signature-256']).toBe(expected);
    }
    expect(JSON.parse(target.requests[0].body)).toEqual(event('o-1'));
    expect(output.metricValues('Delivered').map((entry) => entry.value)).toEqual([1, 1]);
    expect(output.text()).not.toContain(DELIVERY_SECRET);
  });

  it('fails the records the target answers with 500', async () => {
    const handler = loadHandler('dispatcher', dispatcherEnv());
    target.respondWith(500);
    const { messageIds, event: sqsEvent } = await enqueue([JSON.stringify(event('o-3'))]);

    expect(await handler(sqsEvent, lambdaContext('dispatcher'))).toEqual({ batchItemFailures: [{ itemIdentifier: messageIds[0] }] });
    expect(output.metricValues('DeliveryFailed').map((entry) => entry.value)).toEqual([1]);
    expect(output.logs().find((line) => line.level === 'ERROR')).toMatchObject({ reason: 'delivery-rejected', deliveryId: 'o-3' });
  });

  it('fails a record whose delivery times out, and still delivers the rest of the batch', async () => {
    const handler = loadHandler('dispatcher', dispatcherEnv({ DELIVERY_TIMEOUT_MS: '250' }));
    const { messageIds, event: sqsEvent } = await enqueue([JSON.stringify(event('o-4')), JSON.stringify(event('o-5')), 'not an event']);
    target.respondWith((request) => (request.headers['x-webhook-id'] === 'o-4' ? 'hang' : 200));
    const started = Date.now();

    const response = await handler(sqsEvent, lambdaContext('dispatcher'));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: messageIds[0] }, { itemIdentifier: messageIds[2] }] });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(target.requests.map((request) => request.headers['x-webhook-id'])).toEqual(['o-4', 'o-5']);
    const failures = output.logs().filter((line) => line.level === 'ERROR');
    expect(failures.map((line) => line.reason)).toEqual(['delivery-timeout', 'invalid-message']);
    expect(output.metricValues('DeliveryFailed')).toHaveLength(1);
    expect(output.metricValues('Delivered')).toHaveLength(1);
  });

  it('fails every record while the delivery secret parameter is missing', async () => {
    const handler = loadHandler('dispatcher', dispatcherEnv({ DELIVERY_SECRET_PARAMETER: '/webhook-pipeline/test/absent' }));
    const { messageIds, event: sqsEvent } = await enqueue([JSON.stringify(event('o-6'))]);
    expect(await handler(sqsEvent, lambdaContext('dispatcher'))).toEqual({ batchItemFailures: [{ itemIdentifier: messageIds[0] }] });
    expect(target.requests).toHaveLength(0);
    expect(output.logs().find((line) => line.level === 'ERROR')).toMatchObject({ reason: 'MissingSecretError' });
  });

  it('with an empty DELIVERY_URL, logs each event and succeeds without sending anything', async () => {
    const handler = loadHandler('dispatcher', dispatcherEnv({ DELIVERY_URL: '', DELIVERY_SECRET_PARAMETER: undefined }));
    const { event: sqsEvent } = await enqueue([JSON.stringify(event('o-7'))]);
    expect(await handler(sqsEvent, lambdaContext('dispatcher'))).toEqual({ batchItemFailures: [] });
    expect(target.requests).toHaveLength(0);
    expect(output.logs().find((line) => line.eventType === 'orders/create')).toMatchObject({
      level: 'INFO',
      deliveryId: 'o-7',
      source: 'shop',
    });
    expect(output.text()).not.toContain('10.00');
  });
});
