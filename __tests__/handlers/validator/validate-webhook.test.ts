import { readIngestMessage } from '../../../src/handlers/shared/ingest-message';
import { MissingSecretError, type SecretReader } from '../../../src/handlers/shared/secrets';
import type { ValidatorConfig } from '../../../src/handlers/validator/config';
import { validateWebhook, type WebhookVerdict } from '../../../src/handlers/validator/validate-webhook';
import { buildSqsRecord } from '../../support/sqs-records';
import { genericWebhook, githubWebhook, type IngestWebhook, shopifyWebhook, stripeWebhook, withAttributes } from '../../support/webhooks';
import { linearWebhook, paddleWebhook, shopifyUnprefixedWebhook, slackWebhook } from '../shared/signatures/provider-requests';
import { OTHER_SECRET, SECRET as HOOKS_SECRET, standardWebhook } from '../shared/signatures/standard-webhooks-requests';

const SECRETS_PATH = '/webhooks/test/';
const secrets: Record<string, string> = {
  [`${SECRETS_PATH}gh`]: 'gh-secret',
  [`${SECRETS_PATH}billing`]: 'whsec_billing',
  [`${SECRETS_PATH}shop`]: 'shop-secret',
  [`${SECRETS_PATH}ci`]: 'ci-secret',
  [`${SECRETS_PATH}hooks`]: HOOKS_SECRET,
  [`${SECRETS_PATH}team`]: 'slack-secret',
  [`${SECRETS_PATH}pay`]: 'pdl_ntfset_secret',
  [`${SECRETS_PATH}lin`]: 'lin_wh_secret',
};
const config: ValidatorConfig = {
  nextQueueUrl: 'http://unused',
  sources: new Map([
    ['gh', 'github'],
    ['billing', 'stripe'],
    ['shop', 'shopify'],
    ['ci', 'hmac-sha256'],
    ['hooks', 'standard-webhooks'],
    ['team', 'slack'],
    ['pay', 'paddle'],
    ['lin', 'linear'],
    ['orphan', 'github'],
  ]),
  sourceSecretsPath: SECRETS_PATH,
  stripeToleranceSeconds: 300,
  maxBodyBytes: 1024,
};

const SENT_AT = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
const SENT_AT_SECONDS = Math.floor(SENT_AT / 1000);
const hooks = (options: { secret?: string; id?: string; timestamp?: number; body?: string } = {}) =>
  standardWebhook({ source: 'hooks', secret: HOOKS_SECRET, timestamp: SENT_AT_SECONDS - 10, ...options });
const slack = (options: { secret?: string; timestamp?: number; body?: string; eventId?: string } = {}) =>
  slackWebhook({ source: 'team', secret: 'slack-secret', timestamp: SENT_AT_SECONDS - 10, ...options });
const paddle = (options: { secret?: string; timestamp?: number; otherSecrets?: string[]; eventId?: string } = {}) =>
  paddleWebhook({ source: 'pay', secret: 'pdl_ntfset_secret', timestamp: SENT_AT_SECONDS - 10, ...options });
const linear = (options: { secret?: string; timestampMillis?: number; deliveryId?: string; event?: string } = {}) =>
  linearWebhook({ source: 'lin', secret: 'lin_wh_secret', timestampMillis: SENT_AT - 10_000, ...options });
const readSecret = jest.fn<ReturnType<SecretReader>, Parameters<SecretReader>>(async (name) => {
  const secret = secrets[name];
  if (secret === undefined) throw new MissingSecretError(name);
  return secret;
});

function validate(webhook: IngestWebhook, sentTimestamp: number | null = SENT_AT): Promise<WebhookVerdict> {
  const record = buildSqsRecord({ body: webhook.body, messageAttributes: webhook.attributes, sentTimestamp });
  return validateWebhook(readIngestMessage(record), { config, readSecret, now: () => SENT_AT + 1 });
}

function rejection(verdict: WebhookVerdict): string | undefined {
  return verdict.accepted ? undefined : verdict.reason;
}

beforeEach(() => readSecret.mockClear());

describe('validateWebhook accepts genuine webhooks', () => {
  it('builds the envelope of a GitHub delivery', async () => {
    const webhook = githubWebhook({ source: 'gh', secret: 'gh-secret', deliveryId: 'gh-d-1', event: 'push', requestId: 'req-1' });
    expect(await validate(webhook)).toEqual({
      accepted: true,
      envelope: {
        version: 1,
        source: 'gh',
        scheme: 'github',
        deliveryId: 'gh-d-1',
        eventType: 'push',
        receivedAt: '2026-01-02T03:04:05.678Z',
        requestId: 'req-1',
        payload: JSON.parse(webhook.body),
      },
    });
    expect(readSecret).toHaveBeenCalledWith('/webhooks/test/gh', { refresh: false });
  });

  it('takes Stripe’s delivery id and type from the body', async () => {
    const webhook = stripeWebhook({
      source: 'billing',
      secret: 'whsec_billing',
      eventId: 'evt_9',
      type: 'invoice.paid',
      timestamp: Math.floor(SENT_AT / 1000) - 10,
    });
    const verdict = await validate(webhook);
    expect(verdict).toMatchObject({ accepted: true, envelope: { scheme: 'stripe', deliveryId: 'evt_9', eventType: 'invoice.paid' } });
  });

  it('reads Shopify and generic metadata from their headers', async () => {
    const shop = await validate(shopifyWebhook({ source: 'shop', secret: 'shop-secret', webhookId: 'sh-1', topic: 'orders/paid' }));
    expect(shop).toMatchObject({ accepted: true, envelope: { deliveryId: 'sh-1', eventType: 'orders/paid' } });
    const ci = await validate(genericWebhook({ source: 'ci', secret: 'ci-secret', webhookId: 'g-1', event: 'build' }));
    expect(ci).toMatchObject({ accepted: true, envelope: { deliveryId: 'g-1', eventType: 'build' } });
  });

  it('takes the Standard Webhooks delivery id from webhook-id and the type from the body', async () => {
    const webhook = hooks({ id: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W' });
    expect(await validate(webhook)).toEqual({
      accepted: true,
      envelope: {
        version: 1,
        source: 'hooks',
        scheme: 'standard-webhooks',
        deliveryId: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
        eventType: 'invoice.paid',
        receivedAt: '2026-01-02T03:04:05.678Z',
        requestId: webhook.attributes['request-id'],
        payload: JSON.parse(webhook.body),
      },
    });
    expect(readSecret).toHaveBeenCalledTimes(1);
  });

  it('checks a Standard Webhooks timestamp against SentTimestamp, so a backlog does not make it stale', async () => {
    const webhook = hooks({ timestamp: SENT_AT_SECONDS - 299 });
    const record = buildSqsRecord({ body: webhook.body, messageAttributes: webhook.attributes, sentTimestamp: SENT_AT });
    const hoursLater = () => SENT_AT + 6 * 3600 * 1000;
    expect((await validateWebhook(readIngestMessage(record), { config, readSecret, now: hoursLater })).accepted).toBe(true);
  });

  it('takes Slack’s delivery id from event_id and the type from the wrapped event', async () => {
    const verdict = await validate(slack({ eventId: 'Ev0ABC' }));
    expect(verdict).toMatchObject({ accepted: true, envelope: { scheme: 'slack', deliveryId: 'Ev0ABC', eventType: 'app_mention' } });
  });

  it('takes Paddle’s delivery id and type from event_id and event_type, with a rotating signature', async () => {
    const verdict = await validate(paddle({ eventId: 'evt_01h8', otherSecrets: ['pdl_ntfset_old'] }));
    expect(verdict).toMatchObject({
      accepted: true,
      envelope: { scheme: 'paddle', deliveryId: 'evt_01h8', eventType: 'transaction.completed' },
    });
  });

  it('takes Linear’s delivery id and type from Linear-Delivery and Linear-Event', async () => {
    const verdict = await validate(linear({ deliveryId: 'ld-1', event: 'Comment' }));
    expect(verdict).toMatchObject({ accepted: true, envelope: { scheme: 'linear', deliveryId: 'ld-1', eventType: 'Comment' } });
  });

  it('accepts Shopify’s un-prefixed headers', async () => {
    const verdict = await validate(
      shopifyUnprefixedWebhook({ source: 'shop', secret: 'shop-secret', webhookId: 'sh-9', topic: 'orders/paid' }),
    );
    expect(verdict).toMatchObject({ accepted: true, envelope: { scheme: 'shopify', deliveryId: 'sh-9', eventType: 'orders/paid' } });
  });

  it('checks Slack, Paddle and Linear timestamps against SentTimestamp, not the clock', async () => {
    const hoursLater = () => SENT_AT + 6 * 3600 * 1000;
    for (const webhook of [
      slack({ timestamp: SENT_AT_SECONDS - 299 }),
      paddle({ timestamp: SENT_AT_SECONDS - 299 }),
      linear({ timestampMillis: SENT_AT - 299_000 }),
    ]) {
      const record = buildSqsRecord({ body: webhook.body, messageAttributes: webhook.attributes, sentTimestamp: SENT_AT });
      expect((await validateWebhook(readIngestMessage(record), { config, readSecret, now: hoursLater })).accepted).toBe(true);
    }
  });

  it('falls back to a body hash and a null event type when the generic source sends neither', async () => {
    const verdict = await validate(genericWebhook({ source: 'ci', secret: 'ci-secret' }));
    expect(verdict).toMatchObject({ accepted: true, envelope: { eventType: null } });
    expect(verdict.accepted && verdict.envelope.deliveryId).toMatch(/^[0-9a-f]{64}$/);
  });

  it('uses the clock when the record carries no SentTimestamp, and null for a missing request id', async () => {
    const webhook = withAttributes(githubWebhook({ source: 'gh', secret: 'gh-secret' }), { 'request-id': undefined });
    const verdict = await validate(webhook, null);
    expect(verdict).toMatchObject({ accepted: true, envelope: { receivedAt: new Date(SENT_AT + 1).toISOString(), requestId: null } });
  });

  it('accepts a body of exactly the size limit', async () => {
    const body = JSON.stringify({ pad: 'x'.repeat(1024 - 10) });
    expect(Buffer.byteLength(body)).toBe(1024);
    expect((await validate(githubWebhook({ source: 'gh', secret: 'gh-secret', body }))).accepted).toBe(true);
  });
});

describe('validateWebhook rejects', () => {
  const github = githubWebhook({ source: 'gh', secret: 'gh-secret' });

  it.each<[string, IngestWebhook, string]>([
    ['an unconfigured source', withAttributes(github, { source: 'gitlab' }), 'unknown-source'],
    ['a message without source', withAttributes(github, { source: undefined }), 'unknown-source'],
    [
      'a body over the limit',
      githubWebhook({ source: 'gh', secret: 'gh-secret', body: JSON.stringify({ pad: 'é'.repeat(600) }) }),
      'body-too-large',
    ],
    ['a missing signature header', withAttributes(github, { 'x-hub-signature-256': undefined }), 'missing-signature'],
    [
      'another scheme’s signature header',
      withAttributes(github, { 'x-hub-signature-256': undefined, 'x-signature-256': github.attributes['x-hub-signature-256'] }),
      'missing-signature',
    ],
    ...(['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const).map((header): [string, IngestWebhook, string] => [
      `a Standard Webhooks request without ${header}`,
      withAttributes(hooks(), { [header]: undefined }),
      'missing-signature',
    ]),
    ...(['x-slack-signature', 'x-slack-request-timestamp'] as const).map((header): [string, IngestWebhook, string] => [
      `a Slack request without ${header}`,
      withAttributes(slack(), { [header]: undefined }),
      'missing-signature',
    ]),
    ['a Paddle request without Paddle-Signature', withAttributes(paddle(), { 'paddle-signature': undefined }), 'missing-signature'],
    ['a Linear request without Linear-Signature', withAttributes(linear(), { 'linear-signature': undefined }), 'missing-signature'],
    [
      'a Shopify request with neither signature header',
      withAttributes(shopifyUnprefixedWebhook({ source: 'shop', secret: 'shop-secret' }), { 'shopify-hmac-sha256': undefined }),
      'missing-signature',
    ],
  ])('%s before reading any secret', async (_name, webhook, reason) => {
    expect(rejection(await validate(webhook))).toBe(reason);
    expect(readSecret).not.toHaveBeenCalled();
  });

  it.each([
    ['a tampered body', { ...github, body: github.body.replace('awesome', 'AWESOME') }, 'bad-signature'],
    ['a signature made with another secret', githubWebhook({ source: 'gh', secret: 'guessed' }), 'bad-signature'],
    ['a malformed signature', withAttributes(github, { 'x-hub-signature-256': 'sha256=nope' }), 'malformed-signature'],
    ['a source whose secret parameter is missing', githubWebhook({ source: 'orphan', secret: 'x' }), 'missing-secret'],
    ['a signed body that is not JSON', githubWebhook({ source: 'gh', secret: 'gh-secret', body: 'payload=%7B%7D' }), 'invalid-json'],
    [
      'a stale Stripe timestamp',
      stripeWebhook({ source: 'billing', secret: 'whsec_billing', timestamp: Math.floor(SENT_AT / 1000) - 301 }),
      'stale-timestamp',
    ],
    [
      'a forged Stripe signature with a stale timestamp',
      stripeWebhook({ source: 'billing', secret: 'forged', timestamp: 1 }),
      'bad-signature',
    ],
    ['a tampered Standard Webhooks body', { ...hooks(), body: hooks().body.replace('4200', '1') }, 'bad-signature'],
    ['a Standard Webhooks signature made with another secret', hooks({ secret: OTHER_SECRET }), 'bad-signature'],
    ['a stale Standard Webhooks timestamp', hooks({ timestamp: SENT_AT_SECONDS - 301 }), 'stale-timestamp'],
    ['a Standard Webhooks timestamp too far in the future', hooks({ timestamp: SENT_AT_SECONDS + 301 }), 'stale-timestamp'],
    ['a malformed Standard Webhooks timestamp', withAttributes(hooks(), { 'webhook-timestamp': 'now' }), 'malformed-signature'],
    ['a tampered Slack body', { ...slack(), body: slack().body.replace('hi', 'HI') }, 'bad-signature'],
    ['a Slack signature made with another secret', slack({ secret: 'guessed' }), 'bad-signature'],
    ['a stale Slack timestamp', slack({ timestamp: SENT_AT_SECONDS - 301 }), 'stale-timestamp'],
    ['a malformed Slack signature', withAttributes(slack(), { 'x-slack-signature': 'v0=nope' }), 'malformed-signature'],
    ['a tampered Paddle body', { ...paddle(), body: paddle().body.replace('completed', 'canceled') }, 'bad-signature'],
    ['a Paddle signature made with another secret', paddle({ secret: 'guessed' }), 'bad-signature'],
    ['a stale Paddle timestamp', paddle({ timestamp: SENT_AT_SECONDS - 301 }), 'stale-timestamp'],
    ['a malformed Paddle signature', withAttributes(paddle(), { 'paddle-signature': 'h1=abc' }), 'malformed-signature'],
    ['a tampered Linear body', { ...linear(), body: linear().body.replace('Fix', 'Break') }, 'bad-signature'],
    ['a Linear signature made with another secret', linear({ secret: 'guessed' }), 'bad-signature'],
    ['a stale Linear webhookTimestamp', linear({ timestampMillis: SENT_AT - 301_000 }), 'stale-timestamp'],
    ['a malformed Linear signature', withAttributes(linear(), { 'linear-signature': 'sha256=abc' }), 'malformed-signature'],
    [
      'a tampered Shopify body under the un-prefixed header',
      { ...shopifyUnprefixedWebhook({ source: 'shop', secret: 'shop-secret' }), body: '{"id":1}' },
      'bad-signature',
    ],
    [
      'a Standard Webhooks signature list of v2 only',
      withAttributes(hooks(), { 'webhook-signature': `v2,${'A'.repeat(43)}=` }),
      'malformed-signature',
    ],
  ])('%s', async (_name, webhook, reason) => {
    expect(rejection(await validate(webhook))).toBe(reason);
  });

  it('names the missing Standard Webhooks header, and the signature header when one does not verify', async () => {
    const missing = await validate(withAttributes(hooks(), { 'webhook-timestamp': undefined }));
    expect(missing).toMatchObject({ reason: 'missing-signature', detail: 'no webhook-timestamp header' });
    const stale = await validate(hooks({ timestamp: 1 }));
    expect(stale).toMatchObject({ reason: 'stale-timestamp', detail: 'webhook-signature does not verify (stale-timestamp)' });
  });

  it('names Shopify’s un-prefixed header when that is the one that does not verify, and both when neither is there', async () => {
    const forged = await validate(shopifyUnprefixedWebhook({ source: 'shop', secret: 'guessed' }));
    expect(forged).toMatchObject({ reason: 'bad-signature', detail: 'shopify-hmac-sha256 does not verify (bad-signature)' });
    const bare = await validate(
      withAttributes(shopifyUnprefixedWebhook({ source: 'shop', secret: 'x' }), { 'shopify-hmac-sha256': undefined }),
    );
    expect(bare).toMatchObject({ detail: 'no x-shopify-hmac-sha256 or shopify-hmac-sha256 header' });
  });

  it('never puts the secret or the body in the rejection detail', async () => {
    const webhook = { ...githubWebhook({ source: 'gh', secret: 'gh-secret' }), body: '{"card":"4111111111111111"}' };
    const verdict = await validate(webhook);
    expect(verdict.accepted).toBe(false);
    const detail = verdict.accepted ? '' : verdict.detail;
    expect(detail).toBe('x-hub-signature-256 does not verify (bad-signature)');
    expect(detail).not.toContain('gh-secret');
    expect(detail).not.toContain('4111');
  });
});

describe('validateWebhook during a secret rotation', () => {
  const rotated = githubWebhook({ source: 'gh', secret: 'new-secret' });
  const rotatingReader = jest.fn<ReturnType<SecretReader>, Parameters<SecretReader>>(async (_name, options) =>
    options?.refresh ? 'new-secret' : 'gh-secret',
  );
  const validateRotated = (webhook: IngestWebhook) =>
    validateWebhook(readIngestMessage(buildSqsRecord({ body: webhook.body, messageAttributes: webhook.attributes })), {
      config,
      readSecret: rotatingReader,
      now: Date.now,
    });

  beforeEach(() => rotatingReader.mockClear());

  it('re-reads the secret once and accepts a webhook signed with the new one', async () => {
    expect((await validateRotated(rotated)).accepted).toBe(true);
    expect(rotatingReader.mock.calls).toEqual([
      ['/webhooks/test/gh', { refresh: false }],
      ['/webhooks/test/gh', { refresh: true }],
    ]);
  });

  it('re-reads the secret for a Standard Webhooks signature too', async () => {
    const reader = jest.fn<ReturnType<SecretReader>, Parameters<SecretReader>>(async (_name, options) =>
      options?.refresh ? HOOKS_SECRET : OTHER_SECRET,
    );
    const webhook = hooks({ timestamp: Math.floor(Date.now() / 1000) });
    const record = buildSqsRecord({ body: webhook.body, messageAttributes: webhook.attributes });
    expect((await validateWebhook(readIngestMessage(record), { config, readSecret: reader, now: Date.now })).accepted).toBe(true);
    expect(reader.mock.calls.map(([, options]) => options)).toEqual([{ refresh: false }, { refresh: true }]);
  });

  it('still rejects a forgery after the re-read', async () => {
    const forged = githubWebhook({ source: 'gh', secret: 'guessed' });
    expect(rejection(await validateRotated(forged))).toBe('bad-signature');
    expect(rotatingReader).toHaveBeenCalledTimes(2);
  });

  it('does not re-read for a malformed or stale signature: no secret can fix those', async () => {
    expect(rejection(await validateRotated(withAttributes(rotated, { 'x-hub-signature-256': 'sha256=nope' })))).toBe('malformed-signature');
    expect(rotatingReader).toHaveBeenCalledTimes(1);
  });

  it('rejects as missing-secret when the parameter vanished before the re-read', async () => {
    const vanishing = jest.fn<ReturnType<SecretReader>, Parameters<SecretReader>>(async (name, options) => {
      if (options?.refresh) throw new MissingSecretError(name);
      return 'gh-secret';
    });
    const record = buildSqsRecord({ body: rotated.body, messageAttributes: rotated.attributes });
    const verdict = await validateWebhook(readIngestMessage(record), { config, readSecret: vanishing, now: Date.now });
    expect(rejection(verdict)).toBe('missing-secret');
  });
});

describe('validateWebhook fails transiently', () => {
  it('propagates an SSM error other than a missing parameter, so the record is retried', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const webhook = githubWebhook({ source: 'gh', secret: 'gh-secret' });
    const record = buildSqsRecord({ body: webhook.body, messageAttributes: webhook.attributes });
    await expect(
      validateWebhook(readIngestMessage(record), { config, readSecret: () => Promise.reject(throttled), now: Date.now }),
    ).rejects.toBe(throttled);
  });
});
