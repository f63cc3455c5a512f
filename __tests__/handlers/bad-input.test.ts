/**
 * Bad webhooks at the validator, beyond the rows of validator/validate-webhook.test.ts: each is
 * rejected with its reason as a verdict (so the handler completes the record: no retry loop),
 * and the rejection detail, which the handler logs, holds neither the secret nor the body.
 */
import { readIngestMessage } from '../../src/handlers/shared/ingest-message';
import { MissingSecretError, type SecretReader } from '../../src/handlers/shared/secrets';
import type { ValidatorConfig } from '../../src/handlers/validator/config';
import { validateWebhook } from '../../src/handlers/validator/validate-webhook';
import { buildSqsRecord } from '../support/sqs-records';
import { genericWebhook, githubWebhook, type IngestWebhook, shopifyWebhook, stripeWebhook, withAttributes } from '../support/webhooks';
import { SECRET as HOOKS_SECRET, standardWebhook } from './shared/signatures/standard-webhooks-requests';

const SECRETS: Record<string, string> = {
  gh: 'gh-secret-1',
  billing: 'whsec_billing-1',
  shop: 'shop-secret-1',
  ci: 'ci-secret-1',
  hooks: HOOKS_SECRET,
};
const config: ValidatorConfig = {
  nextQueueUrl: 'http://unused',
  sources: new Map(
    (
      [
        ['gh', 'github'],
        ['billing', 'stripe'],
        ['shop', 'shopify'],
        ['ci', 'hmac-sha256'],
        ['hooks', 'standard-webhooks'],
      ] as const
    ).map(([source, scheme]) => [source, { scheme, toleranceSeconds: null, secretParameter: null }]),
  ),
  sourceSecretsPath: '/bad-input/',
  stripeToleranceSeconds: 300,
  maxBodyBytes: 1024,
  maxMessageBytes: 262_144,
};
const readSecret: SecretReader = async (name) => {
  const secret = SECRETS[name.slice(config.sourceSecretsPath.length)];
  if (secret === undefined) throw new MissingSecretError(name);
  return secret;
};

const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const nowSeconds = Math.floor(NOW / 1000);
const BODY = '{"id":"evt_bad_input","type":"charge.succeeded","card":"4242424242424242"}';
const truncated = (webhook: IngestWebhook): IngestWebhook => ({ ...webhook, body: webhook.body.slice(0, -7) });
const oversized = `{"pad":"${'x'.repeat(1100)}"}`;

/** [what, webhook, expected reason] */
const ROWS: ReadonlyArray<[string, IngestWebhook, string]> = [
  ['a body truncated after signing', truncated(githubWebhook({ source: 'gh', secret: SECRETS.gh, body: BODY })), 'bad-signature'],
  ['a truncated body signed as sent', genericWebhook({ source: 'ci', secret: SECRETS.ci, body: BODY.slice(0, -7) }), 'invalid-json'],
  ['an empty body', githubWebhook({ source: 'gh', secret: SECRETS.gh, body: '' }), 'invalid-json'],
  ['a Shopify body that is not JSON', shopifyWebhook({ source: 'shop', secret: SECRETS.shop, body: 'id=1&email=x' }), 'invalid-json'],
  [
    'a Stripe body over the size limit',
    stripeWebhook({ source: 'billing', secret: SECRETS.billing, body: oversized, timestamp: nowSeconds }),
    'body-too-large',
  ],
  [
    'a Stripe webhook without Stripe-Signature',
    withAttributes(stripeWebhook({ source: 'billing', secret: SECRETS.billing, body: BODY }), { 'stripe-signature': undefined }),
    'missing-signature',
  ],
  [
    'a Shopify webhook without X-Shopify-Hmac-Sha256',
    withAttributes(shopifyWebhook({ source: 'shop', secret: SECRETS.shop, body: BODY }), { 'x-shopify-hmac-sha256': undefined }),
    'missing-signature',
  ],
  [
    'a generic webhook without X-Signature-256',
    withAttributes(genericWebhook({ source: 'ci', secret: SECRETS.ci, body: BODY }), { 'x-signature-256': undefined }),
    'missing-signature',
  ],
  ['a Shopify signature made with another secret', shopifyWebhook({ source: 'shop', secret: 'guessed', body: BODY }), 'bad-signature'],
  [
    'a genuine Stripe webhook replayed 10 minutes later',
    stripeWebhook({ source: 'billing', secret: SECRETS.billing, body: BODY, timestamp: nowSeconds - 600 }),
    'stale-timestamp',
  ],
  [
    'a Stripe timestamp 10 minutes in the future',
    stripeWebhook({ source: 'billing', secret: SECRETS.billing, body: BODY, timestamp: nowSeconds + 600 }),
    'stale-timestamp',
  ],
  [
    'a Stripe header with only a test-mode v0 digest',
    withAttributes(stripeWebhook({ source: 'billing', secret: SECRETS.billing, body: BODY }), {
      'stripe-signature': `t=${nowSeconds},v0=${'a'.repeat(64)}`,
    }),
    'malformed-signature',
  ],
  [
    'a Stripe header without timestamp',
    withAttributes(stripeWebhook({ source: 'billing', secret: SECRETS.billing, body: BODY }), {
      'stripe-signature': `v1=${'a'.repeat(64)}`,
    }),
    'malformed-signature',
  ],
  [
    'a genuine Standard Webhooks request replayed 10 minutes later',
    standardWebhook({ source: 'hooks', secret: HOOKS_SECRET, body: BODY, timestamp: nowSeconds - 600 }),
    'stale-timestamp',
  ],
  [
    'a Standard Webhooks request whose webhook-id was changed to dodge de-duplication',
    withAttributes(standardWebhook({ source: 'hooks', secret: HOOKS_SECRET, body: BODY, timestamp: nowSeconds }), {
      'webhook-id': 'msg_replayed',
    }),
    'bad-signature',
  ],
  [
    'a Standard Webhooks signature in Stripe’s format',
    withAttributes(standardWebhook({ source: 'hooks', secret: HOOKS_SECRET, body: BODY, timestamp: nowSeconds }), {
      'webhook-signature': `t=${nowSeconds},v1=${'a'.repeat(64)}`,
    }),
    'malformed-signature',
  ],
  [
    'a source name in another case',
    withAttributes(githubWebhook({ source: 'gh', secret: SECRETS.gh, body: BODY }), { source: 'GH' }),
    'unknown-source',
  ],
];

describe('bad webhooks are rejected with a reason, completed, and logged without secrets', () => {
  test.each(ROWS.map(([what, webhook, reason]) => [what, reason, webhook] as const))('%s → %s', async (_what, reason, webhook) => {
    const record = buildSqsRecord({ body: webhook.body, messageAttributes: webhook.attributes, sentTimestamp: NOW });
    // A verdict, not an exception: the handler logs it and completes the record, so SQS never retries it.
    const verdict = await validateWebhook(readIngestMessage(record), { config, readSecret, now: () => NOW });
    expect(verdict).toMatchObject({ accepted: false, reason });
    const detail = verdict.accepted ? '' : verdict.detail;
    for (const secret of Object.values(SECRETS)) expect(detail).not.toContain(secret);
    expect(detail).not.toContain('4242');
    if (webhook.body.length > 20) expect(detail).not.toContain(webhook.body.slice(0, 20));
  });
});
