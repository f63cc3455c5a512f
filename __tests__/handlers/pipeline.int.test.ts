import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { createHmac, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { DEFAULT_DESTINATION } from '../../src/contract';
import { type AwsClients, awsClients, createIdempotencyTable, createQueue, putSecureString } from '../support/aws-resources';
import { lambdaContext } from '../support/lambda-context';
import { type LoadedHandler, loadHandler } from '../support/load-handler';
import { type MotoServer, startMoto } from '../support/moto';
import { captureOutput, type CapturedOutput } from '../support/output';
import { receiveAll, settleBatch, toSqsEvent } from '../support/sqs-records';
import { githubWebhook, sendIngestMessage, stripeWebhook } from '../support/webhooks';
import { type Receiver, startReceiver } from '../support/receiver';

/**
 * The three handlers chained over real queues with the event source mapping's semantics
 * (docs/ARCHITECTURE.md, "The flow"): a signed webhook reaches the destination once, with the
 * provider's bytes and a Standard Webhooks signature; forged ones and redeliveries do not; and a
 * poison message ends in its DLQ after maxReceiveCount.
 */

jest.setTimeout(60_000);

/** The deliver queue's maxReceiveCount is the retry schedule's length + 1, as the stack sets it. */
const RETRY_SCHEDULE = [1];
const MAX_RECEIVE_COUNT = RETRY_SCHEDULE.length + 1;
const SOURCE_SECRET = 'pipeline-github-secret';
/** The destination's parameter holds two secrets during a rotation: the new (whsec_) one, then the old raw one. */
const DELIVERY_SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const PREVIOUS_DELIVERY_SECRET = 'pipeline-delivery-secret';
const DELIVERY_SECRET_PARAMETER = '/e2e/delivery';
/** Big numbers, escapes, non-ASCII and odd spacing: anything a parse and re-serialize would change. */
const ODD_BODY = '{"zen": "Keep it\\u0020logically awesome", "hook_id":  12345678901234567890123, "s":"é\\n"}  \n';

let moto: MotoServer;
let aws: AwsClients;
let receiver: Receiver;
let output: CapturedOutput;
const queues: Record<'ingest' | 'process' | 'deliver' | 'ingestDlq' | 'processDlq' | 'deliverDlq', string> = {
  ingest: '',
  process: '',
  deliver: '',
  ingestDlq: '',
  processDlq: '',
  deliverDlq: '',
};
let validator: LoadedHandler;
let processor: LoadedHandler;
let dispatcher: LoadedHandler;

/** One ESM poll: receive what the queue holds, invoke, delete successes, release failures. */
async function pump(queueUrl: string, handler: LoadedHandler, name: string): Promise<number> {
  const records = await receiveAll(aws.sqs, queueUrl, { visibilityTimeoutSeconds: 30, waitSeconds: 0 });
  if (records.length === 0) return 0;
  const response = await handler(toSqsEvent(records), lambdaContext(name));
  await settleBatch(aws.sqs, queueUrl, records, response, { releaseFailures: true });
  return records.length;
}

async function runPipeline(): Promise<void> {
  await pump(queues.ingest, validator, 'validator');
  await pump(queues.process, processor, 'processor');
  await pump(queues.deliver, dispatcher, 'dispatcher');
}

beforeAll(async () => {
  moto = await startMoto();
  aws = awsClients(moto.endpoint);
  receiver = await startReceiver();
  for (const stage of ['ingest', 'process', 'deliver'] as const) {
    const dlq = await createQueue(aws.sqs, `webhook-${stage}-dlq-e2e`);
    queues[`${stage}Dlq`] = dlq;
    queues[stage] = await createQueue(aws.sqs, `webhook-${stage}-e2e`, {
      deadLetter: { queueUrl: dlq, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
  }
  await putSecureString(aws.ssm, '/e2e/sources/gh', SOURCE_SECRET);
  await putSecureString(aws.ssm, '/e2e/sources/billing', 'whsec_e2e');
  await putSecureString(aws.ssm, DELIVERY_SECRET_PARAMETER, `${DELIVERY_SECRET}\n${PREVIOUS_DELIVERY_SECRET}`);
  await createIdempotencyTable(aws.dynamodb, 'webhook-idempotency-e2e');

  const common = { AWS_ENDPOINT_URL: moto.endpoint, AWS_MAX_ATTEMPTS: '1' };
  // What the stack sets for delivery_url: the destination named "default", every source and type.
  const destinations = JSON.stringify({
    [DEFAULT_DESTINATION]: { url: `${receiver.url}/inbound`, secretParameter: DELIVERY_SECRET_PARAMETER, sources: null, eventTypes: null },
  });
  validator = loadHandler('validator', {
    ...common,
    NEXT_QUEUE_URL: queues.process,
    WEBHOOK_SOURCES: JSON.stringify({ gh: { scheme: 'github' }, billing: { scheme: 'stripe' } }),
    SOURCE_SECRETS_PATH: '/e2e/sources/',
  });
  processor = loadHandler('processor', {
    ...common,
    NEXT_QUEUE_URL: queues.deliver,
    IDEMPOTENCY_TABLE_NAME: 'webhook-idempotency-e2e',
    DELIVERY_DESTINATIONS: destinations,
  });
  dispatcher = loadHandler('dispatcher', {
    ...common,
    DELIVERY_DESTINATIONS: destinations,
    DELIVERY_RETRY_SCHEDULE: JSON.stringify(RETRY_SCHEDULE),
    SOURCE_QUEUE_URL: queues.deliver,
    DEAD_LETTER_QUEUE_URL: queues.deliverDlq,
    DELIVERY_TIMEOUT_MS: '1000',
  });
});

afterAll(async () => {
  await receiver?.close();
  if (aws) Object.values(aws).forEach((client) => client.destroy());
  await moto?.stop();
});

beforeEach(() => {
  output = captureOutput();
  receiver.reset();
  receiver.answer({ status: 200 });
});
afterEach(() => output?.restore());

describe('the pipeline over moto', () => {
  it('delivers a signed webhook once, byte for byte and Standard Webhooks-signed, despite a provider retry, and drops forged ones', async () => {
    const genuine = githubWebhook({ source: 'gh', secret: SOURCE_SECRET, deliveryId: 'e2e-1', event: 'issues', body: ODD_BODY });
    await sendIngestMessage(aws.sqs, queues.ingest, genuine);
    await sendIngestMessage(aws.sqs, queues.ingest, githubWebhook({ source: 'gh', secret: 'forged' }));
    await sendIngestMessage(aws.sqs, queues.ingest, stripeWebhook({ source: 'billing', secret: 'forged' }));
    await runPipeline();

    // The provider did not see our 202 and sends the same delivery again.
    await sendIngestMessage(aws.sqs, queues.ingest, { ...genuine, attributes: { ...genuine.attributes, 'request-id': 'retry' } });
    await runPipeline();

    expect(receiver.requests).toHaveLength(1);
    const [delivery] = receiver.requests;
    expect(delivery.path).toBe('/inbound');
    // The provider's bytes, not a re-serialization (which would round the big number and re-space it).
    expect(delivery.raw.equals(Buffer.from(ODD_BODY, 'utf8'))).toBe(true);
    expect(delivery.headers).toMatchObject({
      'content-type': 'application/json',
      'webhook-id': 'gh:e2e-1',
      'x-webhook-id': 'e2e-1',
      'x-webhook-source': 'gh',
      'x-webhook-event-type': 'issues',
      'x-webhook-request-id': genuine.attributes['request-id'],
      'x-webhook-attempt': '1',
    });
    // One `v1,` signature per secret line: the receiver verifies with either.
    const headers = delivery.headers as Record<string, string>;
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(DELIVERY_SECRET).verify(delivery.raw, headers)).not.toThrow();
    expect(() => new Webhook(PREVIOUS_DELIVERY_SECRET, { format: 'raw' }).verify(delivery.raw, headers)).not.toThrow();
    expect(() => new Webhook('whsec_' + randomBytes(24).toString('base64')).verify(delivery.raw, headers)).toThrow();
    // The 0.1.0 signature, over the same bytes, with the current secret.
    expect(headers['x-signature-256']).toBe(`sha256=${createHmac('sha256', DELIVERY_SECRET).update(delivery.raw).digest('hex')}`);

    // Two forgeries, counted once per reason and invocation.
    expect(output.metricValues('Rejected')).toEqual([{ value: 2, dimensions: { service: 'validator', reason: 'bad-signature' } }]);
    expect(output.metricValues('Duplicate')).toHaveLength(1);
    expect(output.metricValues('Delivered').filter((entry) => entry.dimensions.destination === DEFAULT_DESTINATION)).toHaveLength(1);

    for (const queueUrl of Object.values(queues)) expect(await receiveAll(aws.sqs, queueUrl, { waitSeconds: 0 })).toHaveLength(0);
  });

  it('retries an undeliverable event and dead-letters it after maxReceiveCount, losing nothing', async () => {
    receiver.answer({ status: 503 });
    await sendIngestMessage(aws.sqs, queues.ingest, githubWebhook({ source: 'gh', secret: SOURCE_SECRET, deliveryId: 'e2e-2' }));
    await aws.sqs.send(new SendMessageCommand({ QueueUrl: queues.process, MessageBody: '{"poison":true}' }));

    await runPipeline();
    for (let attempt = 0; attempt < MAX_RECEIVE_COUNT + 1; attempt += 1) {
      await pump(queues.process, processor, 'processor');
      await pump(queues.deliver, dispatcher, 'dispatcher');
    }

    // Same webhook-id on every attempt, so the destination can de-duplicate; the attempt number grows.
    expect(receiver.requests.map((request) => [request.headers['webhook-id'], request.headers['x-webhook-attempt']])).toEqual([
      ['gh:e2e-2', '1'],
      ['gh:e2e-2', '2'],
    ]);
    const deliverDlq = await receiveAll(aws.sqs, queues.deliverDlq);
    expect(deliverDlq.map((record) => JSON.parse(record.body)).map(({ id, destination }) => ({ id, destination }))).toEqual([
      { id: 'e2e-2', destination: DEFAULT_DESTINATION },
    ]);
    const processDlq = await receiveAll(aws.sqs, queues.processDlq);
    expect(processDlq.map((record) => record.body)).toEqual(['{"poison":true}']);
    for (const stage of ['ingest', 'process', 'deliver'] as const) {
      expect(await receiveAll(aws.sqs, queues[stage], { waitSeconds: 0 })).toHaveLength(0);
    }
  });
});
