import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSRecord } from 'aws-lambda';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { AuthorizedDelivery } from '../../../src/handlers/dispatcher/auth';
import type { DispatcherConfig } from '../../../src/handlers/dispatcher/config';
import { archiveReasonOf, createRecordDispatcher, type DispatchDependencies } from '../../../src/handlers/dispatcher/dispatch-record';
import type { QueueActions } from '../../../src/handlers/dispatcher/queue-actions';
import type { ArchiveWriter } from '../../../src/handlers/shared/archive-writer';
import { parseDeliveryEvent, type DeliveryEvent } from '../../../src/handlers/shared/delivery-event';
import type { DeliveryDestination } from '../../../src/handlers/shared/destinations';
import { MissingSecretError } from '../../../src/handlers/shared/secrets';
import type { ArchivedAttempt, ArchiveRecord } from '../../../src/history/archive-records';
import { archiveLine } from '../../../src/history/archive-records';
import { captureOutput, type CapturedOutput } from '../../support/output';
import { type Receiver, startReceiver } from '../../support/receiver';
import { buildSqsRecord } from '../../support/sqs-records';

/**
 * Which attempt line the dispatcher archives for each outcome (src/history/archive-records.ts,
 * ArchivedAttempt), against a loopback destination and a writer that keeps what it is given.
 */

const CURRENT = `whsec_${randomBytes(24).toString('base64')}`;
const SECRETS: Record<string, string> = { '/secrets/orders': CURRENT, '/secrets/broken': 'whsec_***' };
const NOW = Date.parse('2026-03-01T12:00:00.000Z');
/** A typical delivery: a Stripe invoice event of about 1 KB. */
const BODY = JSON.stringify({
  id: 'evt_1',
  object: 'event',
  type: 'invoice.paid',
  data: { object: { id: 'in_1', object: 'invoice', amount_paid: 2_000, currency: 'eur', customer: 'cus_1', lines: { data: [] } } },
});

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

/** The line expected for `event`'s attempt, from its outcome fields. */
function line(fields: Partial<ArchivedAttempt>, of: DeliveryEvent = event()): ArchivedAttempt {
  return {
    v: 1,
    kind: 'attempt',
    webhook_id: `${of.source}:${of.id}`,
    source: of.source,
    delivery_id: of.id,
    event_type: of.type,
    destination: of.destination,
    attempt: 1,
    outcome: 'delivered',
    last: false,
    status: 200,
    reason: null,
    duration_ms: 7,
    at: '2026-03-01T12:00:00.000Z',
    replay_id: null,
    ...fields,
  };
}

describe('the dispatcher’s attempt archive', () => {
  let receiver: Receiver;
  let output: CapturedOutput;
  let archived: ArchiveRecord[];
  let failing: { deadLetter: boolean };

  const archive: ArchiveWriter = {
    enabled: true,
    add: (line) => archived.push(line),
    flush: async () => ({ written: 0, failed: 0, records: 0, calls: 0 }),
  };
  const queue: QueueActions = {
    deadLetter: async () => {
      if (failing.deadLetter) throw Object.assign(new Error('SQS is down'), { name: 'ServiceUnavailable' });
    },
    delayRetry: async () => undefined,
  };
  const destination = (
    name: string,
    secretParameter = '/secrets/orders',
    url = `${receiver.url}/${name}`,
  ): [string, DeliveryDestination] => [name, { name, url, secretParameter, sources: null, eventTypes: null }];

  function dispatcher(overrides: Partial<DispatcherConfig> = {}, deps: Partial<DispatchDependencies> = {}) {
    // A clock that advances 7 ms per reading: each attempt lasts 7 ms.
    let ticks = 0;
    return createRecordDispatcher({
      config: {
        destinations: new Map([destination('orders'), destination('broken', '/secrets/broken'), destination('absent', '/secrets/none')]),
        retrySchedule: [5, 300, 1_800],
        sourceQueueUrl: 'http://queue/deliver',
        deadLetterQueueUrl: 'http://queue/deliver-dlq',
        deliveryTimeoutMs: 1_000,
        ...overrides,
      },
      logger: new Logger({ serviceName: 'dispatcher' }),
      metrics: new Metrics({ namespace: 'WebhookPipeline', serviceName: 'dispatcher' }),
      queue,
      readSecret: async (name) => {
        if (!(name in SECRETS)) throw new MissingSecretError(name);
        return SECRETS[name]!;
      },
      now: () => NOW,
      random: () => 0.5,
      clock: () => (ticks += 7),
      archive,
      ...deps,
    });
  }

  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(() => receiver.close());
  beforeEach(() => {
    receiver.reset();
    receiver.answer({ status: 200 });
    output = captureOutput();
    archived = [];
    failing = { deadLetter: false };
  });
  afterEach(() => output.restore());

  it('archives a delivered attempt, and logs no line for it', async () => {
    await expect(dispatcher().dispatch(record(event()))).resolves.toMatchObject({ delivered: expect.anything() });
    expect(archived).toEqual([line({ outcome: 'delivered', status: 200, reason: null, duration_ms: 7 })]);
    expect(output.logs()).toEqual([]);
    // The typical attempt line.
    expect(Buffer.byteLength(archiveLine(archived[0]!))).toBeLessThan(400);
  });

  it('archives a failed attempt with the status as its reason, and the attempt number', async () => {
    receiver.answer({ status: 503 });
    await expect(dispatcher().dispatch(record(event(), 2))).resolves.toBe('failed');
    expect(archived).toEqual([line({ attempt: 2, outcome: 'failed', last: false, status: 503, reason: 'http-503' })]);
  });

  it('marks the schedule’s last attempt (the next receive dead-letters it), by the destination’s own schedule', async () => {
    receiver.answer({ status: 500 });
    await dispatcher().dispatch(record(event(), 4));
    await dispatcher().dispatch(record(event(), 3));
    const [orders] = destination('orders');
    const ownSchedule = new Map([[orders, { ...destination('orders')[1], retrySchedule: [5, 5, 5, 5, 5] }]]);
    await dispatcher({ destinations: ownSchedule }).dispatch(record(event(), 4));
    expect(archived.map((entry) => [(entry as ArchivedAttempt).attempt, (entry as ArchivedAttempt).last])).toEqual([
      [4, true],
      [3, false],
      [4, false],
    ]);
  });

  it('archives a timeout and an unreachable destination with no status', async () => {
    receiver.answer('hang');
    await dispatcher({ deliveryTimeoutMs: 100 }).dispatch(record(event()));
    const closed = await startReceiver();
    await closed.close();
    await dispatcher({ destinations: new Map([destination('orders', '/secrets/orders', closed.url)]) }).dispatch(record(event()));
    expect(archived).toEqual([
      line({ outcome: 'failed', status: null, reason: 'timeout' }),
      line({ outcome: 'failed', status: null, reason: 'network' }),
    ]);
  });

  it('archives a 410 as gone once the message is on the DLQ, and as failed when the DLQ could not be reached', async () => {
    receiver.answer({ status: 410 });
    await expect(dispatcher().dispatch(record(event(), 2))).resolves.toBe('succeeded');
    failing.deadLetter = true;
    await expect(dispatcher().dispatch(record(event(), 3))).resolves.toBe('failed');
    expect(archived).toEqual([
      line({ attempt: 2, outcome: 'gone', status: 410, reason: 'http-410' }),
      line({ attempt: 3, outcome: 'failed', status: 410, reason: 'ServiceUnavailable' }),
    ]);
  });

  it('archives an unknown destination, with nothing sent', async () => {
    await expect(dispatcher().dispatch(record(event({ destination: 'retired' })))).resolves.toBe('succeeded');
    expect(receiver.requests).toHaveLength(0);
    expect(archived).toEqual([
      line(
        { outcome: 'unknown-destination', status: null, reason: 'unknown-destination', duration_ms: null },
        event({ destination: 'retired' }),
      ),
    ]);
  });

  it('archives failures before sending as failed, with their reason and neither status nor duration', async () => {
    await dispatcher().dispatch(record(event({ destination: 'absent' })));
    await dispatcher().dispatch(record(event({ destination: 'broken' })));
    expect(receiver.requests).toHaveLength(0);
    expect(archived).toEqual([
      line({ outcome: 'failed', status: null, reason: 'missing-secret', duration_ms: null }, event({ destination: 'absent' })),
      line({ outcome: 'failed', status: null, reason: 'invalid-secret', duration_ms: null }, event({ destination: 'broken' })),
    ]);
  });

  it('archives a failing token endpoint by its reason', async () => {
    const deliver: AuthorizedDelivery = async () => ({
      kind: 'failed',
      reason: 'auth-token-failed',
      detail: 'the token endpoint answered 500',
    });
    await dispatcher({}, { deliver }).dispatch(record(event()));
    expect(archived).toEqual([line({ outcome: 'failed', status: null, reason: 'auth-token-failed' })]);
  });

  it('archives nothing for a message that is not a delivery event', async () => {
    await expect(dispatcher().dispatch(record('not json'))).rejects.toThrow();
    expect(archived).toEqual([]);
  });

  it('delivers a replay under its own webhook-id, signed with it, and archives its replay id', async () => {
    const replay = event({ webhookId: 'stripe:evt_1:replay-rp_7', replayId: 'rp_7' });
    // The real clock, for the receiver's library to take the signed timestamp as fresh.
    await expect(dispatcher({}, { now: Date.now }).dispatch(record(replay))).resolves.toMatchObject({ delivered: expect.anything() });
    const [request] = receiver.requests;
    const headers = request!.headers as Record<string, string>;
    expect(headers['webhook-id']).toBe('stripe:evt_1:replay-rp_7');
    expect(headers['x-webhook-id']).toBe('evt_1');
    expect(() => new Webhook(CURRENT).verify(request!.raw, headers)).not.toThrow();
    // Signed with the replay's id: under the original one the signature does not verify.
    expect(() => new Webhook(CURRENT).verify(request!.raw, { ...headers, 'webhook-id': 'stripe:evt_1' })).toThrow();
    expect(archived).toEqual([
      line({ webhook_id: 'stripe:evt_1:replay-rp_7', replay_id: 'rp_7', at: expect.any(String) as unknown as string }),
    ]);
  });

  it('still delivers a message queued before replays existed under <source>:<id>', async () => {
    const { webhookId, replayId } = parseDeliveryEvent(JSON.stringify(event()));
    expect([webhookId, replayId]).toEqual([undefined, undefined]);
    await dispatcher().dispatch(record(event()));
    expect(receiver.requests[0]!.headers['webhook-id']).toBe('stripe:evt_1');
  });

  it('works without an archive', async () => {
    await expect(dispatcher({}, { archive: undefined }).dispatch(record(event()))).resolves.toMatchObject({ delivered: expect.anything() });
    expect(archived).toEqual([]);
  });
});

describe('archiveReasonOf', () => {
  it('names each outcome the way the archive does', () => {
    expect(archiveReasonOf({ kind: 'delivered', status: 204 })).toBeNull();
    expect(archiveReasonOf({ kind: 'gone', status: 410 })).toBe('http-410');
    expect(archiveReasonOf({ kind: 'failed', reason: 'delivery-rejected', status: 429, detail: '' })).toBe('http-429');
    expect(archiveReasonOf({ kind: 'failed', reason: 'delivery-timeout', detail: '' })).toBe('timeout');
    expect(archiveReasonOf({ kind: 'failed', reason: 'delivery-unreachable', detail: '' })).toBe('network');
    expect(archiveReasonOf({ kind: 'failed', reason: 'auth-token-failed', detail: '' })).toBe('auth-token-failed');
  });
});
