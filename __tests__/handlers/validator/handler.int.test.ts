import { DeleteParameterCommand } from '@aws-sdk/client-ssm';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { lambdaContext } from '../../support/lambda-context';
import { loadHandler } from '../../support/load-handler';
import { type AwsClients, awsClients, createQueue, putSecureString } from '../../support/aws-resources';
import { type MotoServer, startMoto } from '../../support/moto';
import { captureOutput, type CapturedOutput } from '../../support/output';
import { receiveAll, receiveRecords, settleBatch, toSqsEvent } from '../../support/sqs-records';
import {
  genericWebhook,
  githubWebhook,
  type IngestWebhook,
  sendIngestMessage,
  shopifyWebhook,
  stripeWebhook,
  withAttributes,
} from '../../support/webhooks';

jest.setTimeout(60_000);

const SECRETS_PATH = '/webhook-pipeline/test/sources/';
const SECRETS = { gh: 'gh-secret-1', billing: 'whsec_billing_1', shop: 'shop-secret-1', ci: 'ci-secret-1' } as const;
const WEBHOOK_SOURCES = JSON.stringify({
  gh: { scheme: 'github' },
  billing: { scheme: 'stripe' },
  shop: { scheme: 'shopify' },
  ci: { scheme: 'hmac-sha256' },
  unprovisioned: { scheme: 'github' },
});

let moto: MotoServer;
let aws: AwsClients;
let ingestQueueUrl: string;
let processQueueUrl: string;
let output: CapturedOutput;

function validatorEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ENDPOINT_URL_SSM: undefined,
    AWS_MAX_ATTEMPTS: '1',
    NEXT_QUEUE_URL: processQueueUrl,
    WEBHOOK_SOURCES,
    SOURCE_SECRETS_PATH: SECRETS_PATH,
    MAX_BODY_BYTES: '4096',
    STRIPE_TOLERANCE_SECONDS: undefined,
    ...overrides,
  };
}

/** Sends the webhooks to the ingest queue and receives them back as one Lambda event. */
async function ingest(webhooks: readonly IngestWebhook[]) {
  const messageIds: string[] = [];
  for (const webhook of webhooks) messageIds.push(await sendIngestMessage(aws.sqs, ingestQueueUrl, webhook));
  const records = await receiveRecords(aws.sqs, ingestQueueUrl, { count: webhooks.length, visibilityTimeoutSeconds: 60 });
  const byId = new Map(records.map((record) => [record.messageId, record]));
  return { messageIds, records: messageIds.map((id) => byId.get(id)!) };
}

beforeAll(async () => {
  moto = await startMoto();
  aws = awsClients(moto.endpoint);
  ingestQueueUrl = await createQueue(aws.sqs, 'webhook-ingest-test');
  processQueueUrl = await createQueue(aws.sqs, 'webhook-process-test');
  for (const [source, secret] of Object.entries(SECRETS)) await putSecureString(aws.ssm, `${SECRETS_PATH}${source}`, secret);
});

afterAll(async () => {
  if (aws) Object.values(aws).forEach((client) => client.destroy());
  await moto?.stop();
});

beforeEach(() => {
  output = captureOutput();
});
afterEach(() => output?.restore());

describe('validator against SQS and SSM', () => {
  it('forwards exactly the genuine webhooks of a mixed batch and completes every rejection', async () => {
    const handler = loadHandler('validator', validatorEnv());
    const genuine = [
      githubWebhook({ source: 'gh', secret: SECRETS.gh, deliveryId: 'gh-delivery-1', event: 'push' }),
      stripeWebhook({ source: 'billing', secret: SECRETS.billing, eventId: 'evt_1', extraV1: ['0'.repeat(64)] }),
      shopifyWebhook({ source: 'shop', secret: SECRETS.shop, webhookId: 'shop-delivery-1' }),
      genericWebhook({ source: 'ci', secret: SECRETS.ci, webhookId: 'ci-delivery-1', event: 'build.finished' }),
    ];
    const github = genuine[0];
    const rejected: [IngestWebhook, string][] = [
      [githubWebhook({ source: 'gh', secret: 'forged' }), 'bad-signature'],
      [{ ...genuine[1], body: genuine[1].body.replace('evt_1', 'evt_2') }, 'bad-signature'],
      [stripeWebhook({ source: 'billing', secret: SECRETS.billing, timestamp: Math.floor(Date.now() / 1000) - 3_600 }), 'stale-timestamp'],
      [withAttributes(github, { source: 'gitlab' }), 'unknown-source'],
      [withAttributes(github, { 'x-hub-signature-256': undefined }), 'missing-signature'],
      [withAttributes(github, { 'x-hub-signature-256': 'sha256=' }), 'malformed-signature'],
      [githubWebhook({ source: 'gh', secret: SECRETS.gh, body: 'not json' }), 'invalid-json'],
      [githubWebhook({ source: 'gh', secret: SECRETS.gh, body: JSON.stringify({ pad: 'x'.repeat(5_000) }) }), 'body-too-large'],
      [githubWebhook({ source: 'unprovisioned', secret: 'x' }), 'missing-secret'],
    ];

    const { records } = await ingest([...genuine, ...rejected.map(([webhook]) => webhook)]);
    const response = await handler(toSqsEvent(records), lambdaContext('validator'));

    expect(response).toEqual({ batchItemFailures: [] });
    await settleBatch(aws.sqs, ingestQueueUrl, records, response);
    expect(await receiveAll(aws.sqs, ingestQueueUrl)).toHaveLength(0);

    const forwardedRecords = await receiveAll(aws.sqs, processQueueUrl);
    await settleBatch(aws.sqs, processQueueUrl, forwardedRecords, { batchItemFailures: [] });
    const forwarded = forwardedRecords.map((record) => JSON.parse(record.body));
    expect(forwarded.map((envelope) => [envelope.source, envelope.scheme, envelope.deliveryId, envelope.eventType]).sort()).toEqual(
      [
        ['billing', 'stripe', 'evt_1', 'payment_intent.succeeded'],
        ['ci', 'hmac-sha256', 'ci-delivery-1', 'build.finished'],
        ['gh', 'github', 'gh-delivery-1', 'push'],
        ['shop', 'shopify', 'shop-delivery-1', 'orders/create'],
      ].sort(),
    );
    const githubEnvelope = forwarded.find((envelope) => envelope.source === 'gh');
    expect(githubEnvelope).toEqual({
      version: 1,
      source: 'gh',
      scheme: 'github',
      deliveryId: 'gh-delivery-1',
      eventType: 'push',
      receivedAt: new Date(Number(records[0].attributes.SentTimestamp)).toISOString(),
      requestId: github.attributes['request-id'],
      payload: JSON.parse(github.body),
    });

    const rejections = output.logs().filter((line) => line.message === 'Webhook rejected');
    expect(rejections.map((line) => line.reason)).toEqual(rejected.map(([, reason]) => reason));
    expect(rejections[3]).toMatchObject({ source: 'gitlab', requestId: github.attributes['request-id'] });
    expect(output.metricValues('Rejected').map((entry) => entry.dimensions.reason)).toEqual(rejected.map(([, reason]) => reason));
    expect(output.metricValues('Rejected')[0].dimensions.service).toBe('validator');
    expect(output.metricValues('Accepted').map((entry) => entry.value)).toEqual([1, 1, 1, 1]);
    const accepted = output.logs().filter((line) => line.message === 'Webhook accepted');
    expect(accepted.map((line) => line.deliveryId)).toEqual(['gh-delivery-1', 'evt_1', 'shop-delivery-1', 'ci-delivery-1']);

    const text = output.text();
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
    expect(text).not.toContain('Keep it logically awesome');
  });

  it('caches secrets: a parameter deleted after the first read is not read again', async () => {
    await putSecureString(aws.ssm, `${SECRETS_PATH}temporary`, 'temporary-secret');
    const env = validatorEnv({ WEBHOOK_SOURCES: JSON.stringify({ temporary: { scheme: 'github' } }) });
    const cachingHandler = loadHandler('validator', env);
    const first = await ingest([githubWebhook({ source: 'temporary', secret: 'temporary-secret' })]);
    expect(await cachingHandler(toSqsEvent(first.records), lambdaContext('validator'))).toEqual({ batchItemFailures: [] });
    await aws.ssm.send(new DeleteParameterCommand({ Name: `${SECRETS_PATH}temporary` }));

    const second = await ingest([githubWebhook({ source: 'temporary', secret: 'temporary-secret' })]);
    expect(await cachingHandler(toSqsEvent(second.records), lambdaContext('validator'))).toEqual({ batchItemFailures: [] });
    expect(output.logs().filter((line) => line.message === 'Webhook accepted')).toHaveLength(2);
    await settleBatch(aws.sqs, ingestQueueUrl, [...first.records, ...second.records], { batchItemFailures: [] });
    const forwarded = await receiveAll(aws.sqs, processQueueUrl);
    expect(forwarded).toHaveLength(2);
    await settleBatch(aws.sqs, processQueueUrl, forwarded, { batchItemFailures: [] });
  });

  it('fails the record, for SQS to retry, when forwarding to the process queue fails', async () => {
    const handler = loadHandler('validator', validatorEnv({ NEXT_QUEUE_URL: `${moto.endpoint}/123456789012/no-such-queue` }));
    const { records, messageIds } = await ingest([
      githubWebhook({ source: 'gh', secret: SECRETS.gh }),
      githubWebhook({ source: 'gh', secret: 'forged' }),
    ]);
    const response = await handler(toSqsEvent(records), lambdaContext('validator'));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: messageIds[0] }] });
    const failure = output.logs().find((line) => line.level === 'ERROR');
    expect(failure).toMatchObject({ message: 'Record failed; SQS will redeliver it', source: 'gh', messageId: messageIds[0] });
    await settleBatch(aws.sqs, ingestQueueUrl, records, response, { releaseFailures: true });
    expect(await receiveAll(aws.sqs, ingestQueueUrl)).toHaveLength(1);
  });

  describe('when SSM fails', () => {
    let failingSsm: Server;
    let ssmCalls = 0;

    beforeAll(async () => {
      failingSsm = createServer((request, response) => {
        ssmCalls += 1;
        request.resume();
        request.on('end', () => {
          response.writeHead(503, { 'content-type': 'application/x-amz-json-1.1' });
          response.end(JSON.stringify({ __type: 'InternalServerError', message: 'Service unavailable' }));
        });
      });
      await new Promise<void>((resolve) => failingSsm.listen(0, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      failingSsm.closeAllConnections();
      await new Promise((resolve) => failingSsm.close(resolve));
    });

    it('fails only the records that needed a secret, for SQS to retry', async () => {
      const { port } = failingSsm.address() as AddressInfo;
      const handler = loadHandler('validator', validatorEnv({ AWS_ENDPOINT_URL_SSM: `http://127.0.0.1:${port}` }));
      const { records, messageIds } = await ingest([
        githubWebhook({ source: 'gh', secret: SECRETS.gh }),
        withAttributes(githubWebhook({ source: 'gh', secret: SECRETS.gh }), { source: 'gitlab' }),
      ]);
      const response = await handler(toSqsEvent(records), lambdaContext('validator'));
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: messageIds[0] }] });
      expect(ssmCalls).toBeGreaterThan(0);
      expect(output.metricValues('Rejected').map((entry) => entry.dimensions.reason)).toEqual(['unknown-source']);
      await settleBatch(aws.sqs, ingestQueueUrl, records, response, { releaseFailures: true });
      await settleBatch(aws.sqs, ingestQueueUrl, await receiveAll(aws.sqs, ingestQueueUrl), { batchItemFailures: [] });
    });
  });
});
