import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { createHmac } from 'node:crypto';
import { type AwsClients, awsClients, createIdempotencyTable, createQueue, putSecureString } from '../support/aws-resources';
import { type HttpTarget, startHttpTarget } from '../support/http-target';
import { lambdaContext } from '../support/lambda-context';
import { type LoadedHandler, loadHandler } from '../support/load-handler';
import { type MotoServer, startMoto } from '../support/moto';
import { captureOutput, type CapturedOutput } from '../support/output';
import { receiveAll, settleBatch, toSqsEvent } from '../support/sqs-records';
import { githubWebhook, sendIngestMessage, stripeWebhook } from '../support/webhooks';

/**
 * The three handlers chained over real queues with the event source mapping's semantics
 * (docs/ARCHITECTURE.md, "The flow"): a signed webhook reaches the target once, forged ones and redeliveries do not, and a
 * poison message ends in its DLQ after maxReceiveCount.
 */

jest.setTimeout(90_000);

const MAX_RECEIVE_COUNT = 2;
const SOURCE_SECRET = 'pipeline-github-secret';
const DELIVERY_SECRET = 'pipeline-delivery-secret';

let moto: MotoServer;
let aws: AwsClients;
let target: HttpTarget;
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
  target = await startHttpTarget();
  for (const stage of ['ingest', 'process', 'deliver'] as const) {
    const dlq = await createQueue(aws.sqs, `webhook-${stage}-dlq-e2e`);
    queues[`${stage}Dlq`] = dlq;
    queues[stage] = await createQueue(aws.sqs, `webhook-${stage}-e2e`, {
      deadLetter: { queueUrl: dlq, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
  }
  await putSecureString(aws.ssm, '/e2e/sources/gh', SOURCE_SECRET);
  await putSecureString(aws.ssm, '/e2e/sources/billing', 'whsec_e2e');
  await putSecureString(aws.ssm, '/e2e/delivery', DELIVERY_SECRET);
  await createIdempotencyTable(aws.dynamodb, 'webhook-idempotency-e2e');

  const common = { AWS_ENDPOINT_URL: moto.endpoint, AWS_MAX_ATTEMPTS: '1' };
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
  });
  dispatcher = loadHandler('dispatcher', {
    ...common,
    DELIVERY_URL: `${target.url}/inbound`,
    DELIVERY_SECRET_PARAMETER: '/e2e/delivery',
    DELIVERY_TIMEOUT_MS: '1000',
  });
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

describe('the pipeline over moto', () => {
  it('delivers a signed webhook once, despite a provider retry, and drops forged ones', async () => {
    const genuine = githubWebhook({ source: 'gh', secret: SOURCE_SECRET, deliveryId: 'e2e-1', event: 'issues' });
    await sendIngestMessage(aws.sqs, queues.ingest, genuine);
    await sendIngestMessage(aws.sqs, queues.ingest, githubWebhook({ source: 'gh', secret: 'forged' }));
    await sendIngestMessage(aws.sqs, queues.ingest, stripeWebhook({ source: 'billing', secret: 'forged' }));
    await runPipeline();

    // The provider did not see our 202 and sends the same delivery again.
    await sendIngestMessage(aws.sqs, queues.ingest, { ...genuine, attributes: { ...genuine.attributes, 'request-id': 'retry' } });
    await runPipeline();

    expect(target.requests).toHaveLength(1);
    const [delivery] = target.requests;
    expect(delivery.headers['x-webhook-id']).toBe('e2e-1');
    expect(delivery.headers['x-signature-256']).toBe(`sha256=${createHmac('sha256', DELIVERY_SECRET).update(delivery.body).digest('hex')}`);
    expect(JSON.parse(delivery.body)).toMatchObject({ id: 'e2e-1', source: 'gh', type: 'issues', data: JSON.parse(genuine.body) });
    expect(output.metricValues('Rejected').map((entry) => entry.dimensions.reason)).toEqual(['bad-signature', 'bad-signature']);
    expect(output.metricValues('Duplicate')).toHaveLength(1);

    for (const queueUrl of Object.values(queues)) expect(await receiveAll(aws.sqs, queueUrl, { waitSeconds: 0 })).toHaveLength(0);
  });

  it('retries an undeliverable event and dead-letters it after maxReceiveCount, losing nothing', async () => {
    target.respondWith(503);
    await sendIngestMessage(aws.sqs, queues.ingest, githubWebhook({ source: 'gh', secret: SOURCE_SECRET, deliveryId: 'e2e-2' }));
    await aws.sqs.send(new SendMessageCommand({ QueueUrl: queues.process, MessageBody: '{"poison":true}' }));

    await runPipeline();
    for (let attempt = 0; attempt < MAX_RECEIVE_COUNT + 1; attempt += 1) {
      await pump(queues.process, processor, 'processor');
      await pump(queues.deliver, dispatcher, 'dispatcher');
    }

    expect(target.requests.map((request) => request.headers['x-webhook-id'])).toEqual(['e2e-2', 'e2e-2']);
    const deliverDlq = await receiveAll(aws.sqs, queues.deliverDlq);
    expect(deliverDlq.map((record) => JSON.parse(record.body).id)).toEqual(['e2e-2']);
    const processDlq = await receiveAll(aws.sqs, queues.processDlq);
    expect(processDlq.map((record) => record.body)).toEqual(['{"poison":true}']);
    for (const stage of ['ingest', 'process', 'deliver'] as const) {
      expect(await receiveAll(aws.sqs, queues[stage], { waitSeconds: 0 })).toHaveLength(0);
    }
  });
});
