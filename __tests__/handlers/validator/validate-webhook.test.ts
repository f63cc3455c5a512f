import { readIngestMessage } from '../../../src/handlers/shared/ingest-message';
import { MissingSecretError, type SecretReader } from '../../../src/handlers/shared/secrets';
import type { SignatureScheme } from '../../../src/contract';
import type { SourceSettings, ValidatorConfig } from '../../../src/handlers/validator/config';
import { validateWebhook, verifyWithAny, type WebhookVerdict } from '../../../src/handlers/validator/validate-webhook';
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
  sources: new Map(
    Object.entries({
      gh: 'github',
      billing: 'stripe',
      shop: 'shopify',
      ci: 'hmac-sha256',
      hooks: 'standard-webhooks',
      team: 'slack',
      pay: 'paddle',
      lin: 'linear',
      orphan: 'github',
    } satisfies Record<string, SignatureScheme>).map(([source, scheme]): [string, SourceSettings] => [
      source,
      { scheme, toleranceSeconds: null, secretParameter: null },
    ]),
  ),
  sourceSecretsPath: SECRETS_PATH,
  stripeToleranceSeconds: 300,
  maxBodyBytes: 1024,
  maxMessageBytes: 262_144,
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
        version: 2,
        source: 'gh',
        scheme: 'github',
        deliveryId: 'gh-d-1',
        eventType: 'push',
        receivedAt: '2026-01-02T03:04:05.678Z',
        requestId: 'req-1',
        body: webhook.body,
        // The forwarded headers, by lower-case name, for the archive.
        headers: {
          'x-hub-signature-256': webhook.attributes['x-hub-signature-256'],
          'x-github-delivery': 'gh-d-1',
          'x-github-event': 'push',
          'content-type': 'application/json',
        },
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
        version: 2,
        source: 'hooks',
        scheme: 'standard-webhooks',
        deliveryId: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
        eventType: 'invoice.paid',
        receivedAt: '2026-01-02T03:04:05.678Z',
        requestId: webhook.attributes['request-id'],
        body: webhook.body,
        headers: {
          'webhook-id': 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
          'webhook-signature': webhook.attributes['webhook-signature'],
          'webhook-timestamp': webhook.attributes['webhook-timestamp'],
          'content-type': 'application/json',
        },
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

describe('validateWebhook forwards the body as it arrived', () => {
  it('keeps big numbers, odd whitespace, escapes and non-ASCII byte for byte', async () => {
    const body = '{ "id" : 12345678901234567890123,\n\t"amount": 1.10, "note": "a\\"b\\\\c\\u00e9\\n", "name": "Zoë 😀" }\r\n';
    const verdict = await validate(genericWebhook({ source: 'ci', secret: 'ci-secret', body, webhookId: 'w-1' }));
    expect(verdict.accepted).toBe(true);
    const envelope = verdict.accepted ? verdict.envelope : undefined;
    expect(Buffer.from(envelope!.body, 'utf8').equals(Buffer.from(body, 'utf8'))).toBe(true);
    expect(JSON.parse(JSON.stringify(envelope)).body).toBe(body);
  });
});

describe('validateWebhook with several secrets in the parameter (a rotation)', () => {
  const listReader = (value: string) => jest.fn<ReturnType<SecretReader>, Parameters<SecretReader>>(async () => value);
  const validateWith = (webhook: IngestWebhook, reader: SecretReader, sources = config.sources) =>
    validateWebhook(
      readIngestMessage(buildSqsRecord({ body: webhook.body, messageAttributes: webhook.attributes, sentTimestamp: SENT_AT })),
      {
        config: { ...config, sources },
        readSecret: reader,
        now: () => SENT_AT,
      },
    );

  it.each([
    ['the current secret', 'new-secret'],
    ['the previous secret', 'old-secret'],
  ])('accepts a webhook signed with %s, without re-reading', async (_name, signedWith) => {
    const reader = listReader('new-secret\n  old-secret  \n\n');
    expect((await validateWith(githubWebhook({ source: 'gh', secret: signedWith }), reader)).accepted).toBe(true);
    expect(reader).toHaveBeenCalledTimes(1);
  });

  it('accepts either secret for a timestamped scheme too, and reports a stale one as stale', async () => {
    const reader = listReader('whsec_new\r\nwhsec_old');
    const fresh = stripeWebhook({ source: 'billing', secret: 'whsec_old', timestamp: SENT_AT_SECONDS });
    expect((await validateWith(fresh, reader)).accepted).toBe(true);
    const stale = stripeWebhook({ source: 'billing', secret: 'whsec_old', timestamp: SENT_AT_SECONDS - 301 });
    expect(rejection(await validateWith(stale, reader))).toBe('stale-timestamp');
  });

  it('rejects a signature none of them makes, after one re-read', async () => {
    const reader = listReader('new-secret\nold-secret');
    expect(rejection(await validateWith(githubWebhook({ source: 'gh', secret: 'guessed' }), reader))).toBe('bad-signature');
    expect(reader.mock.calls.map(([, options]) => options)).toEqual([{ refresh: false }, { refresh: true }]);
  });

  it('reports a malformed signature once, whatever the number of secrets', async () => {
    const reader = listReader('a\nb\nc');
    const malformed = withAttributes(githubWebhook({ source: 'gh', secret: 'a' }), { 'x-hub-signature-256': 'sha256=zz' });
    expect(rejection(await validateWith(malformed, reader))).toBe('malformed-signature');
    expect(reader).toHaveBeenCalledTimes(1);
  });

  it('verifies against each secret in order, and nothing against none', () => {
    const webhook = githubWebhook({ source: 'gh', secret: 'second' });
    const request = {
      headers: readIngestMessage(buildSqsRecord({ body: webhook.body, messageAttributes: webhook.attributes })).headers,
      rawBody: webhook.body,
      receivedAtSeconds: SENT_AT_SECONDS,
      stripeToleranceSeconds: 300,
    };
    expect(verifyWithAny('github', ['first', 'second'], request)).toEqual({ valid: true });
    expect(verifyWithAny('github', ['first'], request)).toEqual({ valid: false, reason: 'bad-signature' });
    expect(verifyWithAny('github', [], request)).toEqual({ valid: false, reason: 'bad-signature' });
  });

  it('treats a parameter of blank lines as a missing secret', async () => {
    const verdict = await validateWith(githubWebhook({ source: 'gh', secret: 'x' }), listReader(' \n\n'));
    expect(verdict).toMatchObject({ reason: 'missing-secret', detail: 'SSM parameter /webhooks/test/gh does not exist' });
  });
});

describe('validateWebhook with per-source settings', () => {
  const sources = new Map<string, SourceSettings>([
    ['patient', { scheme: 'stripe', toleranceSeconds: 3_600, secretParameter: null }],
    ['strict', { scheme: 'slack', toleranceSeconds: 10, secretParameter: null }],
    ['shared', { scheme: 'github', toleranceSeconds: null, secretParameter: '/elsewhere/github-app' }],
  ]);
  const reader = jest.fn<ReturnType<SecretReader>, Parameters<SecretReader>>(async (name) => {
    const value = { '/webhooks/test/patient': 'whsec_p', '/webhooks/test/strict': 'slack-s', '/elsewhere/github-app': 'app-secret' }[name];
    if (value === undefined) throw new MissingSecretError(name);
    return value;
  });
  const validateIn = (webhook: IngestWebhook) =>
    validateWebhook(
      readIngestMessage(buildSqsRecord({ body: webhook.body, messageAttributes: webhook.attributes, sentTimestamp: SENT_AT })),
      {
        config: { ...config, sources },
        readSecret: reader,
        now: () => SENT_AT,
      },
    );

  beforeEach(() => reader.mockClear());

  it('honours a source’s wider tolerance over STRIPE_TOLERANCE_SECONDS, up to its own limit', async () => {
    const late = stripeWebhook({ source: 'patient', secret: 'whsec_p', timestamp: SENT_AT_SECONDS - 3_600 });
    expect((await validateIn(late)).accepted).toBe(true);
    const tooLate = stripeWebhook({ source: 'patient', secret: 'whsec_p', timestamp: SENT_AT_SECONDS - 3_601 });
    expect(rejection(await validateIn(tooLate))).toBe('stale-timestamp');
  });

  it('honours a source’s narrower tolerance', async () => {
    const webhook = slackWebhook({ source: 'strict', secret: 'slack-s', timestamp: SENT_AT_SECONDS - 11 });
    expect(rejection(await validateIn(webhook))).toBe('stale-timestamp');
    expect((await validateIn(slackWebhook({ source: 'strict', secret: 'slack-s', timestamp: SENT_AT_SECONDS - 10 }))).accepted).toBe(true);
  });

  it('reads the secret from the source’s own parameter, and names it when it is missing', async () => {
    expect((await validateIn(githubWebhook({ source: 'shared', secret: 'app-secret' }))).accepted).toBe(true);
    expect(reader).toHaveBeenCalledWith('/elsewhere/github-app', { refresh: false });
    expect(reader).not.toHaveBeenCalledWith('/webhooks/test/shared', expect.anything());

    const orphan = new Map<string, SourceSettings>([['gone', { scheme: 'github', toleranceSeconds: null, secretParameter: '/nowhere' }]]);
    const record = buildSqsRecord({ body: '{}', messageAttributes: githubWebhook({ source: 'gone', secret: 'x', body: '{}' }).attributes });
    const verdict = await validateWebhook(readIngestMessage(record), {
      config: { ...config, sources: orphan },
      readSecret: reader,
      now: () => SENT_AT,
    });
    expect(verdict).toMatchObject({ reason: 'missing-secret', detail: 'SSM parameter /nowhere does not exist' });
  });
});
