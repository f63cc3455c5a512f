import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSRecord } from 'aws-lambda';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { DispatcherConfig } from '../../../src/handlers/dispatcher/config';
import { attemptOf, createRecordDispatcher, type DispatchDependencies } from '../../../src/handlers/dispatcher/dispatch-record';
import type { DeadLetterReason, QueueActions } from '../../../src/handlers/dispatcher/queue-actions';
import type { DeliveryEvent } from '../../../src/handlers/shared/delivery-event';
import type { DeliveryDestination } from '../../../src/handlers/shared/destinations';
import { InvalidMessageError } from '../../../src/handlers/shared/invalid-message-error';
import { publishInvocationMetrics } from '../../../src/handlers/shared/powertools';
import { MissingSecretError } from '../../../src/handlers/shared/secrets';
import { lambdaContext } from '../../support/lambda-context';
import { captureOutput, type CapturedOutput } from '../../support/output';
import { buildSqsRecord } from '../../support/sqs-records';
import { type Receiver, startReceiver } from '../../support/receiver';

const CURRENT = `whsec_${randomBytes(24).toString('base64')}`;
const PREVIOUS = 'previous-raw-secret';
const SECRETS: Record<string, string> = {
  '/secrets/orders': `${CURRENT}\n${PREVIOUS}\n`,
  '/secrets/blank': '\n  \n',
  '/secrets/broken': 'whsec_***',
};
const BODY = '{"n": 12345678901234567890123, "s":"é\\u00e9\\n",  "k": [1 , 2]}';
const NOW = Date.parse('2026-03-01T12:00:00.000Z');

function event(overrides: Partial<DeliveryEvent> = {}): DeliveryEvent {
  return {
    version: 2,
    destination: 'orders',
    id: 'evt_1',
    source: 'stripe',
    type: 'invoice.paid',
    receivedAt: '2026-03-01T11:59:59.000Z',
    processedAt: '2026-03-01T12:00:00.000Z',
    requestId: 'req-1',
    body: BODY,
    ...overrides,
  };
}

const record = (body: DeliveryEvent | string, receiveCount = 1): SQSRecord =>
  buildSqsRecord({ body: typeof body === 'string' ? body : JSON.stringify(body), receiveCount });

/** Queue calls as made; either can be told to fail. */
function fakeQueue() {
  const deadLettered: { body: string; reason: DeadLetterReason; destination: string }[] = [];
  const delayed: { receiptHandle: string; seconds: number }[] = [];
  const failing = { deadLetter: false, delayRetry: false };
  const queue: QueueActions = {
    deadLetter: async (body, reason, destination) => {
      if (failing.deadLetter) throw Object.assign(new Error('SQS is down'), { name: 'ServiceUnavailable' });
      deadLettered.push({ body, reason, destination });
    },
    delayRetry: async (receiptHandle, seconds) => {
      if (failing.delayRetry) throw Object.assign(new Error('receipt handle expired'), { name: 'ReceiptHandleIsInvalid' });
      delayed.push({ receiptHandle, seconds });
    },
  };
  return { queue, deadLettered, delayed, failing };
}

describe('createRecordDispatcher', () => {
  let receiver: Receiver;
  let output: CapturedOutput;
  let logger: Logger;
  let metrics: Metrics;
  let calls: ReturnType<typeof fakeQueue>;

  const destination = (name: string, path = `/${name}`, secretParameter = '/secrets/orders'): [string, DeliveryDestination] => [
    name,
    { name, url: `${receiver.url}${path}`, secretParameter, sources: null, eventTypes: null },
  ];

  function dispatcher(overrides: Partial<DispatcherConfig> = {}, deps: Partial<DispatchDependencies> = {}) {
    const config: DispatcherConfig = {
      destinations: new Map([
        destination('orders'),
        destination('blank', '/blank', '/secrets/blank'),
        destination('broken', '/b', '/secrets/broken'),
        destination('absent', '/a', '/secrets/none'),
      ]),
      retrySchedule: [5, 300, 1_800],
      sourceQueueUrl: 'http://queue/deliver',
      deadLetterQueueUrl: 'http://queue/deliver-dlq',
      deliveryTimeoutMs: 1_000,
      ...overrides,
    };
    return createRecordDispatcher({
      config,
      logger,
      metrics,
      queue: calls.queue,
      readSecret: async (name) => {
        if (!(name in SECRETS)) throw new MissingSecretError(name);
        return SECRETS[name];
      },
      now: () => NOW,
      random: () => 0.5,
      ...deps,
    });
  }

  const errors = () => output.logs().filter((line) => line.level === 'ERROR');

  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(() => receiver.close());
  beforeEach(() => {
    receiver.reset();
    receiver.answer({ status: 200 });
    output = captureOutput();
    logger = new Logger({ serviceName: 'dispatcher' });
    logger.addContext(lambdaContext('dispatcher'));
    metrics = new Metrics({ namespace: 'WebhookPipeline', serviceName: 'dispatcher' });
    calls = fakeQueue();
  });
  afterEach(() => output.restore());

  describe('a 2xx answer', () => {
    it('delivers the provider’s bytes, signed so that a holder of either secret verifies them', async () => {
      const sqsRecord = record(event(), 2);
      await expect(dispatcher({}, { now: Date.now }).dispatch(sqsRecord)).resolves.toEqual({
        delivered: { group: 'orders', ids: { deliveryId: 'evt_1' } },
      });

      expect(receiver.requests).toHaveLength(1);
      const [received] = receiver.requests;
      expect(received.path).toBe('/orders');
      expect(received.raw.equals(Buffer.from(BODY, 'utf8'))).toBe(true);
      expect(received.headers).toMatchObject({ 'webhook-id': 'stripe:evt_1', 'x-webhook-attempt': '2', 'x-webhook-id': 'evt_1' });
      const headers = received.headers as Record<string, string>;
      expect(() => new Webhook(CURRENT).verify(received.body, headers)).not.toThrow();
      expect(() => new Webhook(PREVIOUS, { format: 'raw' }).verify(received.body, headers)).not.toThrow();
      expect(() => new Webhook(CURRENT).verify(received.body.replace('é', 'e'), headers)).toThrow();
      expect(calls.delayed).toEqual([]);
      expect(calls.deadLettered).toEqual([]);
      // The second attempt's success closes a retry: it keeps its own full line at INFO.
      expect(output.logs()).toEqual([
        expect.objectContaining({
          level: 'INFO',
          message: 'Event delivered',
          attempt: 2,
          deliveryId: 'evt_1',
          requestId: 'req-1',
          source: 'stripe',
          destination: 'orders',
          messageId: sqsRecord.messageId,
        }),
      ]);
    });

    it('counts Delivered under service and service + destination in one document per invocation, and logs at DEBUG only', async () => {
      const sqsRecord = record(event());
      await dispatcher().dispatch(sqsRecord);
      await dispatcher().dispatch(record(event({ id: 'evt_2' })));
      expect(output.metrics()).toHaveLength(0); // nothing until the invocation ends
      publishInvocationMetrics(metrics);
      expect(output.metrics()).toEqual([
        expect.objectContaining({
          _aws: expect.objectContaining({
            CloudWatchMetrics: [
              {
                Namespace: 'WebhookPipeline',
                Dimensions: [['service'], ['service', 'destination']],
                Metrics: [{ Name: 'Delivered', Unit: 'Count' }],
              },
            ],
          }),
          service: 'dispatcher',
          destination: 'orders',
          Delivered: 2,
        }),
      ]);
      // A first attempt's success is the summary's (the batch runner's): no line of its own at INFO.
      expect(output.logs()).toEqual([]);

      output.clear();
      logger.setLogLevel('DEBUG');
      await dispatcher().dispatch(sqsRecord);
      expect(output.logs().find((line) => line.message === 'Event delivered')).toMatchObject({
        level: 'DEBUG',
        deliveryId: 'evt_1',
        requestId: 'req-1',
        source: 'stripe',
        destination: 'orders',
        messageId: sqsRecord.messageId,
        eventType: 'invoice.paid',
        status: 200,
        attempt: 1,
        function_name: 'dispatcher',
      });
      expect(output.text()).not.toContain(CURRENT);
      expect(output.text()).not.toContain(PREVIOUS);
      expect(output.text()).not.toContain('12345678901234567890123');
    });
  });

  describe('a failed attempt', () => {
    it('backs off by the attempt’s step and fails the record, on a 500', async () => {
      receiver.answer({ status: 500 });
      const sqsRecord = record(event(), 2);
      await expect(dispatcher().dispatch(sqsRecord)).resolves.toBe('failed');
      expect(calls.delayed).toEqual([{ receiptHandle: sqsRecord.receiptHandle, seconds: 300 }]);
      expect(errors()).toEqual([
        expect.objectContaining({
          message: 'Delivery failed; it will be retried',
          reason: 'delivery-rejected',
          status: 500,
          detail: 'the destination answered 500',
          attempt: 2,
          nextDelaySeconds: 300,
          deliveryId: 'evt_1',
          destination: 'orders',
        }),
      ]);
      publishInvocationMetrics(metrics);
      expect(output.metricValues('DeliveryFailed')).toEqual([{ value: 1, dimensions: { service: 'dispatcher', destination: 'orders' } }]);
    });

    it('jitters the step between 0.8 and 1.2 times', async () => {
      receiver.answer({ status: 503 });
      await dispatcher({}, { random: () => 0 }).dispatch(record(event(), 3));
      await dispatcher({}, { random: () => 0.999999 }).dispatch(record(event(), 3));
      expect(calls.delayed.map((call) => call.seconds)).toEqual([1_440, 2_160]);
    });

    it.each([
      ['delta-seconds', '42', 42],
      ['an HTTP-date', 'Sun, 01 Mar 2026 12:02:00 GMT', 120],
      ['delta-seconds beyond the longest step', '99999', 1_800],
      ['a value it cannot read', 'later', 5],
    ])('waits as Retry-After says, in %s', async (_form, retryAfter, seconds) => {
      receiver.answer({ status: 429, headers: { 'retry-after': retryAfter } });
      await expect(dispatcher().dispatch(record(event()))).resolves.toBe('failed');
      expect(calls.delayed.map((call) => call.seconds)).toEqual([seconds]);
      expect(errors()[0]).toMatchObject({ reason: 'delivery-rejected', status: 429, nextDelaySeconds: seconds });
    });

    it('fails on a timeout', async () => {
      receiver.answer('hang');
      await expect(dispatcher({ deliveryTimeoutMs: 100 }).dispatch(record(event()))).resolves.toBe('failed');
      expect(errors()[0]).toMatchObject({ reason: 'delivery-timeout', attempt: 1, nextDelaySeconds: 5 });
      expect(calls.delayed).toHaveLength(1);
    });

    it('fails when the destination is unreachable', async () => {
      const closed = await startReceiver();
      await closed.close();
      const gone: [string, DeliveryDestination] = [
        'orders',
        { name: 'orders', url: closed.url, secretParameter: '/secrets/orders', sources: null, eventTypes: null },
      ];
      await expect(dispatcher({ destinations: new Map([gone]) }).dispatch(record(event()))).resolves.toBe('failed');
      expect(errors()[0]).toMatchObject({ reason: 'delivery-unreachable', detail: expect.stringContaining('ECONNREFUSED') });
    });

    it('makes the record visible at once after the last step, for the redrive policy to dead-letter', async () => {
      receiver.answer({ status: 500, headers: { 'retry-after': '60' } });
      await expect(dispatcher().dispatch(record(event(), 4))).resolves.toBe('failed');
      expect(calls.delayed.map((call) => call.seconds)).toEqual([0]);
      expect(errors()[0]).toMatchObject({
        message: 'Delivery failed on its last attempt; the next receive moves it to the DLQ',
        attempt: 4,
      });
    });

    it('still fails the record, with a warning, when its visibility cannot be changed', async () => {
      receiver.answer({ status: 500 });
      calls.failing.delayRetry = true;
      await expect(dispatcher().dispatch(record(event()))).resolves.toBe('failed');
      expect(output.logs().find((line) => line.level === 'WARN')).toMatchObject({
        message: "Could not set the retry's delay; the queue's visibility timeout applies",
        nextDelaySeconds: 5,
        deliveryId: 'evt_1',
        error: expect.objectContaining({ name: 'ReceiptHandleIsInvalid' }),
      });
    });
  });

  describe('a 410 Gone', () => {
    it('moves the message, unchanged, to the DLQ and stops retrying', async () => {
      receiver.answer({ status: 410 });
      const sqsRecord = record(event(), 2);
      await expect(dispatcher().dispatch(sqsRecord)).resolves.toBe('succeeded');
      expect(calls.deadLettered).toEqual([{ body: sqsRecord.body, reason: 'destination-gone', destination: 'orders' }]);
      expect(calls.delayed).toEqual([]);
      expect(errors()).toEqual([expect.objectContaining({ reason: 'destination-gone', status: 410, attempt: 2, deliveryId: 'evt_1' })]);
      publishInvocationMetrics(metrics);
      expect(output.metricValues('DeliveryGone')).toEqual([{ value: 1, dimensions: { service: 'dispatcher', destination: 'orders' } }]);
      expect(output.metricValues('DeliveryFailed')).toHaveLength(0);
    });

    it('fails the record, to try again later, when the DLQ cannot be reached', async () => {
      receiver.answer({ status: 410 });
      calls.failing.deadLetter = true;
      await expect(dispatcher().dispatch(record(event()))).resolves.toBe('failed');
      expect(errors()).toEqual([expect.objectContaining({ reason: 'ServiceUnavailable', nextDelaySeconds: 5 })]);
      expect(calls.delayed).toHaveLength(1);
      expect(output.metricValues('DeliveryGone')).toHaveLength(0);
    });
  });

  describe('a destination that is not configured', () => {
    it('moves the message to the DLQ without a request', async () => {
      const sqsRecord = record(event({ destination: 'retired' }));
      await expect(dispatcher().dispatch(sqsRecord)).resolves.toBe('succeeded');
      expect(receiver.requests).toHaveLength(0);
      expect(calls.deadLettered).toEqual([{ body: sqsRecord.body, reason: 'unknown-destination', destination: 'retired' }]);
      expect(errors()).toEqual([expect.objectContaining({ reason: 'unknown-destination', destination: 'retired', deliveryId: 'evt_1' })]);
    });

    it('does the same when no destination is configured at all', async () => {
      await expect(dispatcher({ destinations: new Map() }).dispatch(record(event()))).resolves.toBe('succeeded');
      expect(calls.deadLettered.map((call) => call.reason)).toEqual(['unknown-destination']);
    });
  });

  describe('a secret that cannot be used', () => {
    it.each([
      ['absent', '/secrets/none', 'missing-secret'],
      ['only blank lines', '/secrets/blank', 'missing-secret'],
    ])('fails the record, backing off, when the parameter is %s', async (_what, parameter, reason) => {
      const name = parameter === '/secrets/none' ? 'absent' : 'blank';
      await expect(dispatcher().dispatch(record(event({ destination: name })))).resolves.toBe('failed');
      expect(receiver.requests).toHaveLength(0);
      expect(errors()).toEqual([expect.objectContaining({ reason, secretParameter: parameter, destination: name, nextDelaySeconds: 5 })]);
      expect(calls.delayed).toHaveLength(1);
      expect(output.metricValues('DeliveryFailed')).toHaveLength(0);
    });

    it('fails the record when a whsec_ secret is not base64', async () => {
      await expect(dispatcher().dispatch(record(event({ destination: 'broken' })))).resolves.toBe('failed');
      expect(errors()[0]).toMatchObject({
        reason: 'invalid-secret',
        error: expect.objectContaining({ message: expect.stringContaining('/secrets/broken') }),
      });
      expect(output.text()).not.toContain('whsec_***');
    });
  });

  it('throws for a body that is not a delivery event', async () => {
    await expect(dispatcher().dispatch(record('not json'))).rejects.toBeInstanceOf(InvalidMessageError);
  });

  it('keeps each record’s keys on its own lines while records interleave', async () => {
    receiver.answer((request) => ({ status: 200, delayMs: request.headers['webhook-id'] === 'stripe:slow' ? 80 : 0 }));
    logger.setLogLevel('DEBUG');
    const subject = dispatcher();
    await Promise.all([
      subject.dispatch(record(event({ id: 'slow', requestId: 'r-slow' }))),
      subject.dispatch(record(event({ id: 'fast', requestId: null }))),
    ]);
    const delivered = output.logs().filter((line) => line.message === 'Event delivered');
    expect(delivered.map((line) => [line.deliveryId, line.requestId])).toEqual([
      // Powertools leaves out null keys: the fast record had no request id.
      ['fast', undefined],
      ['slow', 'r-slow'],
    ]);
    logger.info('after');
    expect(output.logs().find((line) => line.message === 'after')).not.toHaveProperty('deliveryId');
  });

  describe('keyOf', () => {
    it('is the same for the same destination, source and id, and differs otherwise', () => {
      const subject = dispatcher();
      const key = subject.keyOf(record(event()));
      expect(subject.keyOf(record(event({ type: 'other', body: '{}' }), 3))).toBe(key);
      expect(subject.keyOf(record(event({ destination: 'other' })))).not.toBe(key);
      expect(subject.keyOf(record(event({ source: 'github' })))).not.toBe(key);
      expect(subject.keyOf(record(event({ id: 'evt_2' })))).not.toBe(key);
      expect(subject.keyOf(record('not json'))).toBeUndefined();
    });
  });
});

describe('attemptOf', () => {
  it('reads ApproximateReceiveCount, counting anything unreadable as a first attempt', () => {
    const base = buildSqsRecord({ body: '{}' });
    const withCount = (count: string) => ({ ...base, attributes: { ...base.attributes, ApproximateReceiveCount: count } });
    expect(attemptOf(withCount('7'))).toBe(7);
    expect(attemptOf(withCount(''))).toBe(1);
    expect(attemptOf(withCount('0'))).toBe(1);
    expect(attemptOf(withCount('x'))).toBe(1);
  });
});
