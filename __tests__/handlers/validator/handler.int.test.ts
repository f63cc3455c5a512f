import { PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { DeleteParameterCommand } from '@aws-sdk/client-ssm';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { lambdaContext } from '../../support/lambda-context';
import { loadHandler } from '../../support/load-handler';
import { type AwsClients, awsClients, createQueue, putSecureString } from '../../support/aws-resources';
import { type MotoServer, startMoto } from '../../support/moto';
import { captureOutput, type CapturedOutput } from '../../support/output';
import { receiveAll, receiveRecords, settleBatch, toSqsEvent } from '../../support/sqs-records';
import { type AwsFaultProxy, startFaultProxy } from '../shared/aws-fault-proxy';
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
let proxy: AwsFaultProxy;
let aws: AwsClients;
let ingestQueueUrl: string;
let processQueueUrl: string;
let output: CapturedOutput;

/** The delivery ids the summary lines list as accepted, in order. */
const acceptedIds = () =>
  output
    .logs()
    .filter((line) => line.message === 'Webhooks accepted')
    .flatMap((line) => Object.values(line.deliveryIds as Record<string, string[]>).flat());

/** The handler talks to moto through the fault proxy, which counts its requests. */
function validatorEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    AWS_ENDPOINT_URL: proxy.endpoint,
    AWS_ENDPOINT_URL_SSM: undefined,
    AWS_MAX_ATTEMPTS: '1',
    NEXT_QUEUE_URL: proxy.viaProxy(processQueueUrl),
    WEBHOOK_SOURCES,
    SOURCE_SECRETS_PATH: SECRETS_PATH,
    MAX_BODY_BYTES: '4096',
    STRIPE_TOLERANCE_SECONDS: undefined,
    POWERTOOLS_LOG_LEVEL: 'INFO',
    AWS_LAMBDA_LOG_LEVEL: undefined,
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
  proxy = await startFaultProxy(moto.endpoint);
  aws = awsClients(moto.endpoint);
  ingestQueueUrl = await createQueue(aws.sqs, 'webhook-ingest-test');
  processQueueUrl = await createQueue(aws.sqs, 'webhook-process-test');
  for (const [source, secret] of Object.entries(SECRETS)) await putSecureString(aws.ssm, `${SECRETS_PATH}${source}`, secret);
});

afterAll(async () => {
  if (aws) Object.values(aws).forEach((client) => client.destroy());
  await proxy?.close();
  await moto?.stop();
});

beforeEach(async () => {
  // A failed test must not leave messages behind for the next one.
  for (const QueueUrl of [ingestQueueUrl, processQueueUrl]) await aws.sqs.send(new PurgeQueueCommand({ QueueUrl }));
  proxy.reset();
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
      version: 2,
      source: 'gh',
      scheme: 'github',
      deliveryId: 'gh-delivery-1',
      eventType: 'push',
      receivedAt: new Date(Number(records[0].attributes.SentTimestamp)).toISOString(),
      requestId: github.attributes['request-id'],
      body: github.body,
      // What API Gateway forwarded for GitHub's scheme, which the processor archives.
      headers: {
        'x-hub-signature-256': github.attributes['x-hub-signature-256'],
        'x-github-delivery': 'gh-delivery-1',
        'x-github-event': 'push',
        'content-type': 'application/json',
      },
    });
    // Four envelopes, one call; one secret read per parameter used.
    expect(proxy.count('SendMessageBatch')).toBe(1);
    expect(proxy.count('SendMessage')).toBe(0);

    // Records are verified concurrently: their log lines and metrics interleave, each with its own keys.
    const rejections = output.logs().filter((line) => line.message === 'Webhook rejected');
    const reasons = rejected.map(([, reason]) => reason).sort();
    expect(rejections.map((line) => line.reason).sort()).toEqual(reasons);
    expect(rejections.find((line) => line.reason === 'unknown-source')).toMatchObject({
      source: 'gitlab',
      requestId: github.attributes['request-id'],
    });
    // Counted once per reason and invocation.
    const counted = output.metricValues('Rejected').flatMap((entry) => Array(entry.value).fill(String(entry.dimensions.reason)));
    expect(counted.sort()).toEqual(reasons);
    expect(output.metricValues('Rejected')).toHaveLength(new Set(reasons).size);
    expect(output.metricValues('Rejected')[0].dimensions.service).toBe('validator');
    expect(output.metricValues('Accepted').map((entry) => entry.value)).toEqual([1, 1, 1, 1]);
    // The accepted webhooks: one summary line, ids by source, in batch order; no line of their own at INFO.
    const summaries = output.logs().filter((line) => line.message === 'Webhooks accepted');
    expect(summaries).toEqual([
      expect.objectContaining({
        level: 'INFO',
        count: 4,
        deliveryIds: { gh: ['gh-delivery-1'], billing: ['evt_1'], shop: ['shop-delivery-1'], ci: ['ci-delivery-1'] },
        requestIds: {
          gh: [github.attributes['request-id']],
          billing: [expect.any(String)],
          shop: [expect.any(String)],
          ci: [expect.any(String)],
        },
      }),
    ]);
    expect(output.logs().filter((line) => line.message === 'Webhook accepted')).toEqual([]);
    // Every rejection keeps its full line with its ids.
    for (const line of rejections)
      expect(line).toMatchObject({ level: 'WARN', messageId: expect.any(String), requestId: expect.any(String) });

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
    expect(acceptedIds()).toHaveLength(2);
    expect(output.logs().filter((line) => line.message === 'Webhooks accepted')).toHaveLength(2); // one per invocation
    await settleBatch(aws.sqs, ingestQueueUrl, [...first.records, ...second.records], { batchItemFailures: [] });
    const forwarded = await receiveAll(aws.sqs, processQueueUrl);
    expect(forwarded).toHaveLength(2);
    await settleBatch(aws.sqs, processQueueUrl, forwarded, { batchItemFailures: [] });
  });

  it('fails the record, for SQS to retry, when forwarding to the process queue fails', async () => {
    const handler = loadHandler('validator', validatorEnv({ NEXT_QUEUE_URL: `${proxy.endpoint}/123456789012/no-such-queue` }));
    const { records, messageIds } = await ingest([
      githubWebhook({ source: 'gh', secret: SECRETS.gh }),
      githubWebhook({ source: 'gh', secret: 'forged' }),
    ]);
    const response = await handler(toSqsEvent(records), lambdaContext('validator'));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: messageIds[0] }] });
    const failure = output.logs().find((line) => line.level === 'ERROR');
    expect(failure).toMatchObject({
      message: 'Record failed; SQS will redeliver it',
      source: 'gh',
      messageId: messageIds[0],
      reason: 'forward-failed',
    });
    expect(output.metricValues('Accepted')).toEqual([]);
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

describe('validator batched forwarding', () => {
  const envelopesOnProcessQueue = async () => {
    const forwarded = await receiveAll(aws.sqs, processQueueUrl, { waitSeconds: 0 });
    await settleBatch(aws.sqs, processQueueUrl, forwarded, { batchItemFailures: [] });
    return forwarded.map((record) => JSON.parse(record.body) as { deliveryId: string; body: string });
  };
  const github = (deliveryId: string, body?: string) =>
    githubWebhook({ source: 'gh', secret: SECRETS.gh, deliveryId, event: 'push', body });
  const deliveryIdIn = (deliveryId: string) => (entry: { MessageBody: string }) => JSON.parse(entry.MessageBody).deliveryId === deliveryId;

  it('forwards ten records with one SendMessageBatch and one secret read', async () => {
    const handler = loadHandler('validator', validatorEnv());
    const { records } = await ingest(Array.from({ length: 10 }, (_, index) => github(`count-${index}`)));
    expect(await handler(toSqsEvent(records), lambdaContext('validator'))).toEqual({ batchItemFailures: [] });
    await settleBatch(aws.sqs, ingestQueueUrl, records, { batchItemFailures: [] });
    expect(proxy.requests.map((request) => request.operation)).toEqual(['GetParameter', 'SendMessageBatch']);
    expect((await envelopesOnProcessQueue()).map((envelope) => envelope.deliveryId).sort()).toEqual(
      Array.from({ length: 10 }, (_, index) => `count-${index}`).sort(),
    );
  });

  it('carries the raw body into the envelope byte for byte', async () => {
    const body = '{ "id" : 12345678901234567890123,\n\t"amount": 1.10, "note": "a\\"b\\\\c\\u00e9\\n", "name": "Zoë 😀" }  ';
    expect(() => JSON.parse(body)).not.toThrow();
    const handler = loadHandler('validator', validatorEnv());
    const { records } = await ingest([github('lossless-1', body)]);
    expect(await handler(toSqsEvent(records), lambdaContext('validator'))).toEqual({ batchItemFailures: [] });
    await settleBatch(aws.sqs, ingestQueueUrl, records, { batchItemFailures: [] });
    const [envelope] = await envelopesOnProcessQueue();
    expect(Buffer.from(envelope!.body, 'utf8').equals(Buffer.from(body, 'utf8'))).toBe(true);
  });

  it('fails only the record whose entry failed; the others are forwarded once and not again on its retry', async () => {
    const handler = loadHandler('validator', validatorEnv());
    const { records, messageIds } = await ingest(['entry-0', 'entry-1', 'entry-2', 'entry-3'].map((id) => github(id)));
    proxy.inject(() => ({ failEntries: deliveryIdIn('entry-2') }));
    const response = await handler(toSqsEvent(records), lambdaContext('validator'));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: messageIds[2] }] });
    expect(output.logs().find((line) => line.level === 'ERROR')).toMatchObject({
      messageId: messageIds[2],
      deliveryId: 'entry-2',
      source: 'gh',
      reason: 'forward-failed',
      failures: [{ code: 'InternalError', message: 'injected by the test proxy', senderFault: false }],
    });
    expect(acceptedIds()).toEqual(['entry-0', 'entry-1', 'entry-3']);
    expect(output.metricValues('Accepted')).toHaveLength(3);
    await settleBatch(aws.sqs, ingestQueueUrl, records, response, { releaseFailures: true });

    proxy.inject(undefined);
    const retried = await receiveRecords(aws.sqs, ingestQueueUrl, { count: 1 });
    expect(retried[0]?.messageId).toBe(messageIds[2]);
    output.clear();
    expect(await handler(toSqsEvent(retried), lambdaContext('validator'))).toEqual({ batchItemFailures: [] });
    // A retry's success keeps its own line, with its ids, besides the summary.
    expect(output.logs().find((line) => line.message === 'Webhook accepted')).toMatchObject({
      level: 'INFO',
      retry: true,
      deliveryId: 'entry-2',
      source: 'gh',
      requestId: expect.any(String),
    });
    expect(acceptedIds()).toEqual(['entry-2']);
    await settleBatch(aws.sqs, ingestQueueUrl, retried, { batchItemFailures: [] });
    expect((await envelopesOnProcessQueue()).map((envelope) => envelope.deliveryId).sort()).toEqual([
      'entry-0',
      'entry-1',
      'entry-2',
      'entry-3',
    ]);
  });

  it('fails all the records of a call that fails, and none of another call’s', async () => {
    const handler = loadHandler('validator', validatorEnv());
    const ids = Array.from({ length: 12 }, (_, index) => `call-${index}`);
    const { records, messageIds } = await ingest(ids.map((id) => github(id)));
    proxy.inject((request) =>
      request.operation === 'SendMessageBatch' && (request.input.Entries as { MessageBody: string }[]).some(deliveryIdIn('call-0'))
        ? { error: { status: 500, code: 'InternalError' } }
        : undefined,
    );
    const response = await handler(toSqsEvent(records), lambdaContext('validator'));
    expect(proxy.count('SendMessageBatch')).toBe(2);
    expect(response).toEqual({ batchItemFailures: messageIds.slice(0, 10).map((itemIdentifier) => ({ itemIdentifier })) });
    await settleBatch(aws.sqs, ingestQueueUrl, records, response, { releaseFailures: true });
    await settleBatch(aws.sqs, ingestQueueUrl, await receiveAll(aws.sqs, ingestQueueUrl, { waitSeconds: 0 }), { batchItemFailures: [] });
    expect((await envelopesOnProcessQueue()).map((envelope) => envelope.deliveryId).sort()).toEqual(['call-10', 'call-11']);
  });

  it('fails the records of a throttled call once the SDK has retried it and given up', async () => {
    const handler = loadHandler('validator', validatorEnv({ AWS_MAX_ATTEMPTS: '3' }));
    const { records, messageIds } = await ingest([github('hot-0'), github('hot-1')]);
    proxy.inject((request) =>
      request.operation === 'SendMessageBatch' ? { error: { status: 400, code: 'ThrottlingException' } } : undefined,
    );
    const response = await handler(toSqsEvent(records), lambdaContext('validator'));
    expect(proxy.count('SendMessageBatch')).toBe(3);
    expect(response).toEqual({ batchItemFailures: messageIds.map((itemIdentifier) => ({ itemIdentifier })) });
    expect(
      output
        .logs()
        .filter((line) => line.level === 'ERROR')
        .map((line) => (line.failures as { code: string }[])[0]?.code),
    ).toEqual(['ThrottlingException', 'ThrottlingException']);
    await settleBatch(aws.sqs, ingestQueueUrl, records, response, { releaseFailures: true });
    await settleBatch(aws.sqs, ingestQueueUrl, await receiveAll(aws.sqs, ingestQueueUrl, { waitSeconds: 0 }), { batchItemFailures: [] });
  });

  it('splits large envelopes across calls by size, and fails only an envelope too large to send', async () => {
    const handler = loadHandler('validator', validatorEnv({ MAX_BODY_BYTES: '262144' }));
    const large = (id: string) => github(id, JSON.stringify({ id, pad: 'x'.repeat(100_000) }));
    // Every quote doubles in the envelope: a body within MAX_BODY_BYTES, an envelope over 256 KiB.
    const quoted = github('quoted', JSON.stringify({ pad: '"'.repeat(70_000) }));
    const { records, messageIds } = await ingest([...Array.from({ length: 10 }, (_, index) => large(`big-${index}`)), quoted]);
    const response = await handler(toSqsEvent(records), lambdaContext('validator'));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: messageIds[10] }] });
    expect(proxy.count('SendMessageBatch')).toBeGreaterThanOrEqual(4);
    expect(proxy.count('SendMessageBatch')).toBe(5);
    expect(output.logs().find((line) => line.level === 'ERROR')).toMatchObject({
      deliveryId: 'quoted',
      failures: [{ code: 'MessageTooLarge' }],
    });
    await settleBatch(aws.sqs, ingestQueueUrl, records, response);
    expect((await envelopesOnProcessQueue()).map((envelope) => envelope.deliveryId).sort()).toEqual(
      Array.from({ length: 10 }, (_, index) => `big-${index}`).sort(),
    );
  });
});

describe('validator secrets and per-source settings', () => {
  it('accepts webhooks signed with either of two secrets listed in the parameter', async () => {
    await putSecureString(aws.ssm, `${SECRETS_PATH}rotating`, 'current-secret\nprevious-secret\n');
    const handler = loadHandler('validator', validatorEnv({ WEBHOOK_SOURCES: JSON.stringify({ rotating: { scheme: 'github' } }) }));
    const { records } = await ingest([
      githubWebhook({ source: 'rotating', secret: 'current-secret', deliveryId: 'rot-current' }),
      githubWebhook({ source: 'rotating', secret: 'previous-secret', deliveryId: 'rot-previous' }),
      githubWebhook({ source: 'rotating', secret: 'retired-secret', deliveryId: 'rot-retired' }),
    ]);
    expect(await handler(toSqsEvent(records), lambdaContext('validator'))).toEqual({ batchItemFailures: [] });
    await settleBatch(aws.sqs, ingestQueueUrl, records, { batchItemFailures: [] });
    expect(acceptedIds()).toEqual(['rot-current', 'rot-previous']);
    expect(output.metricValues('Rejected').map((entry) => entry.dimensions.reason)).toEqual(['bad-signature']);
    const forwarded = await receiveAll(aws.sqs, processQueueUrl, { waitSeconds: 0 });
    await settleBatch(aws.sqs, processQueueUrl, forwarded, { batchItemFailures: [] });
    expect(forwarded).toHaveLength(2);
  });

  it('reads a source’s own secret parameter and applies its own tolerance', async () => {
    await putSecureString(aws.ssm, '/custom/billing-secret', 'whsec_custom');
    const sources = {
      custom: { scheme: 'stripe', toleranceSeconds: 3_600, secretParameter: '/custom/billing-secret' },
      standard: { scheme: 'stripe', toleranceSeconds: null },
    };
    const handler = loadHandler('validator', validatorEnv({ WEBHOOK_SOURCES: JSON.stringify(sources) }));
    await putSecureString(aws.ssm, `${SECRETS_PATH}standard`, 'whsec_custom');
    const halfAnHourAgo = Math.floor(Date.now() / 1000) - 1_800;
    const { records } = await ingest([
      stripeWebhook({ source: 'custom', secret: 'whsec_custom', eventId: 'evt_custom', timestamp: halfAnHourAgo }),
      stripeWebhook({ source: 'standard', secret: 'whsec_custom', eventId: 'evt_standard', timestamp: halfAnHourAgo }),
    ]);
    expect(await handler(toSqsEvent(records), lambdaContext('validator'))).toEqual({ batchItemFailures: [] });
    await settleBatch(aws.sqs, ingestQueueUrl, records, { batchItemFailures: [] });
    expect(acceptedIds()).toEqual(['evt_custom']);
    expect(output.logs().find((line) => line.message === 'Webhook rejected')).toMatchObject({
      source: 'standard',
      reason: 'stale-timestamp',
    });
    const names = proxy.requests.filter((request) => request.operation === 'GetParameter').map((request) => String(request.input.Name));
    expect(names.sort()).toEqual(['/custom/billing-secret', `${SECRETS_PATH}standard`].sort());
    const forwarded = await receiveAll(aws.sqs, processQueueUrl, { waitSeconds: 0 });
    await settleBatch(aws.sqs, processQueueUrl, forwarded, { batchItemFailures: [] });
    expect(forwarded.map((record) => JSON.parse(record.body).deliveryId)).toEqual(['evt_custom']);
  });
});
