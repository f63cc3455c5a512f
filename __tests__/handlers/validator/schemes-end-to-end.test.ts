import { createHmac, randomUUID } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { ingestRequestTemplate, UNKNOWN_SOURCE_REQUEST } from '../../../src/api/ingest-template';
import { HANDLER_ENV, type RejectionReason, SIGNATURE_SCHEMES, type SignatureScheme } from '../../../src/contract';
import { readIngestMessage } from '../../../src/handlers/shared/ingest-message';
import { MissingSecretError, type SecretReader } from '../../../src/handlers/shared/secrets';
import { readValidatorConfig } from '../../../src/handlers/validator/config';
import { validateWebhook } from '../../../src/handlers/validator/validate-webhook';
import { OTHER_SECRET, SECRET as HOOKS_SECRET } from '../shared/signatures/standard-webhooks-requests';
import { buildSqsRecord } from '../../support/sqs-records';
import { parseSendMessageForm, renderMappingTemplate } from '../../support/velocity';

/**
 * Every scheme end to end, as far as the validator's verdict: a request signed as its provider
 * signs it → API Gateway's mapping template (rendered by the Velocity emulation) → the SendMessage
 * form parsed as SQS parses it → an SQS record → readIngestMessage → validateWebhook, with the
 * configuration read from a WEBHOOK_SOURCES string by the validator's own config reader.
 *
 * Signed by the provider's or standard's own library where one signs: `standardwebhooks` (the
 * Standard Webhooks reference library) and `svix` (Clerk, Resend). GitHub, Stripe, Shopify and Slack
 * publish signers only inside heavy SDKs, and Paddle's and Linear's SDKs only verify, so those are
 * signed here with node:crypto, as their documentation specifies; the signature tests pin each
 * format to the documentation's example or the SDK's verifier (signatures/vectors.ts,
 * paddle.test.ts, linear.test.ts).
 */

const NOW = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
const NOW_SECONDS = Math.floor(NOW / 1000);
/** Signed 10 s before receipt: well within the default 300 s tolerance. */
const SIGNED_AT = NOW_SECONDS - 10;
/** An hour before receipt: stale for every scheme that signs a timestamp. */
const STALE = NOW_SECONDS - 3_600;

/** The one-line source configuration, as `var.webhook_sources` gives it; one source per case. */
const SOURCES = {
  gh: { scheme: 'github' },
  billing: { scheme: 'stripe' },
  shop: { scheme: 'shopify' },
  'shop-new': { scheme: 'shopify' },
  ci: { scheme: 'hmac-sha256' },
  hooks: { scheme: 'standard-webhooks' },
  clerk: { scheme: 'standard-webhooks' },
  team: { scheme: 'slack' },
  pay: { scheme: 'paddle' },
  lin: { scheme: 'linear' },
} as const satisfies Record<string, { scheme: SignatureScheme }>;
type Source = keyof typeof SOURCES;

const SECRETS_PATH = '/webhook-pipeline/e2e/sources/';
const SECRETS: Record<Source, string> = {
  gh: 'gh-secret',
  billing: 'whsec_billing_secret',
  shop: 'shpss_shop_secret',
  'shop-new': 'shpss_shop_new_secret',
  ci: 'ci-secret',
  hooks: HOOKS_SECRET,
  clerk: 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD',
  team: 'slack-signing-secret',
  pay: 'pdl_ntfset_01h8bkrfe7w1vwf8xmytwn51e7_secret',
  lin: 'lin_wh_secret',
};
const WRONG_SECRETS: Record<Source, string> = {
  ...(Object.fromEntries(Object.keys(SECRETS).map((source) => [source, 'a-guessed-secret'])) as Record<Source, string>),
  // Standard Webhooks keys are base64: a wrong one must still be a usable key.
  hooks: OTHER_SECRET,
  clerk: HOOKS_SECRET,
};

const config = readValidatorConfig({
  [HANDLER_ENV.webhookSources]: JSON.stringify(SOURCES),
  [HANDLER_ENV.sourceSecretsPath]: SECRETS_PATH,
  [HANDLER_ENV.nextQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/webhook-process',
});
const readSecret: SecretReader = async (name) => {
  const source = name.startsWith(SECRETS_PATH) ? (name.slice(SECRETS_PATH.length) as Source) : undefined;
  const secret = source === undefined ? undefined : SECRETS[source];
  if (secret === undefined) throw new MissingSecretError(name);
  return secret;
};

/** The mapping template as the stack builds it: source → scheme of the same configuration. */
const template = ingestRequestTemplate({
  sourceSchemes: JSON.stringify(Object.fromEntries(Object.entries(SOURCES).map(([source, { scheme }]) => [source, scheme]))),
});

/** A request as it reaches API Gateway: header names in the provider's own casing. */
interface ProviderRequest {
  readonly source: Source;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  /** What the validator must derive. */
  readonly deliveryId: string;
  readonly eventType: string;
}

interface SignOptions {
  readonly secret: string;
  /** Unix seconds (ignored by schemes that sign none). */
  readonly timestamp: number;
}

const hmac = (secret: string, data: string) => createHmac('sha256', secret).update(data, 'utf8');

/** One builder per case, and the header a malformed signature goes in, with a malformed value. */
interface Case {
  readonly name: string;
  readonly scheme: SignatureScheme;
  readonly source: Source;
  readonly signsTimestamp: boolean;
  readonly build: (options: SignOptions) => ProviderRequest;
  readonly malformed: readonly [header: string, value: string];
}

const CASES: readonly Case[] = [
  {
    name: 'github',
    scheme: 'github',
    source: 'gh',
    signsTimestamp: false,
    build: ({ secret }) => {
      const body = JSON.stringify({ ref: 'refs/heads/main', after: 'abc123', repository: { full_name: 'octo/repo' } });
      const deliveryId = randomUUID();
      return {
        source: 'gh',
        body,
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'GitHub-Hookshot/044aadd',
          'X-GitHub-Delivery': deliveryId,
          'X-GitHub-Event': 'push',
          'X-GitHub-Hook-ID': '292430182',
          'X-Hub-Signature': `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`,
          'X-Hub-Signature-256': `sha256=${hmac(secret, body).digest('hex')}`,
        },
        deliveryId,
        eventType: 'push',
      };
    },
    malformed: ['X-Hub-Signature-256', 'sha256=not-a-hex-digest'],
  },
  {
    name: 'stripe',
    scheme: 'stripe',
    source: 'billing',
    signsTimestamp: true,
    build: ({ secret, timestamp }) => {
      const id = `evt_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
      const body = JSON.stringify({
        id,
        object: 'event',
        type: 'payment_intent.succeeded',
        data: { object: { id: 'pi_1', amount: 4200 } },
      });
      return {
        source: 'billing',
        body,
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'Stripe-Signature': `t=${timestamp},v1=${hmac(secret, `${timestamp}.${body}`).digest('hex')}`,
        },
        deliveryId: id,
        eventType: 'payment_intent.succeeded',
      };
    },
    malformed: ['Stripe-Signature', 'v1=5932459132e642325b006ac6f94f924b06d998b4f67e25fe2b3bea6889a0f5b0'],
  },
  {
    name: 'shopify (X-Shopify-* headers)',
    scheme: 'shopify',
    source: 'shop',
    signsTimestamp: false,
    build: ({ secret }) => {
      const body = JSON.stringify({ id: 820982911946154, email: 'jon@example.com', total_price: '42.00' });
      const deliveryId = randomUUID();
      return {
        source: 'shop',
        body,
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'Shopify-Captain-Hook',
          'X-Shopify-Hmac-Sha256': hmac(secret, body).digest('base64'),
          'X-Shopify-Webhook-Id': deliveryId,
          'X-Shopify-Topic': 'orders/create',
          'X-Shopify-Shop-Domain': 'example.myshopify.com',
        },
        deliveryId,
        eventType: 'orders/create',
      };
    },
    malformed: ['X-Shopify-Hmac-Sha256', 'not base64!'],
  },
  {
    name: 'shopify (un-prefixed headers)',
    scheme: 'shopify',
    source: 'shop-new',
    signsTimestamp: false,
    build: ({ secret }) => {
      const body = JSON.stringify({ id: 820982911946155, email: 'ann@example.com' });
      const deliveryId = randomUUID();
      return {
        source: 'shop-new',
        body,
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'Shopify-Captain-Hook',
          'Shopify-Hmac-Sha256': hmac(secret, body).digest('base64'),
          'Shopify-Webhook-Id': deliveryId,
          'Shopify-Topic': 'orders/paid',
        },
        deliveryId,
        eventType: 'orders/paid',
      };
    },
    malformed: ['Shopify-Hmac-Sha256', hmac('x', 'y').digest('hex')],
  },
  {
    name: 'hmac-sha256',
    scheme: 'hmac-sha256',
    source: 'ci',
    signsTimestamp: false,
    build: ({ secret }) => {
      const body = JSON.stringify({ type: 'build.finished', build: 7 });
      const deliveryId = `evt-${randomUUID()}`;
      return {
        source: 'ci',
        body,
        headers: {
          'Content-Type': 'application/json',
          'X-Signature-256': `sha256=${hmac(secret, body).digest('hex')}`,
          'X-Webhook-Id': deliveryId,
          'X-Webhook-Event': 'build.finished',
        },
        deliveryId,
        eventType: 'build.finished',
      };
    },
    malformed: ['X-Signature-256', `sha1=${'0'.repeat(40)}`],
  },
  {
    name: 'standard-webhooks (webhook-* headers, standardwebhooks library)',
    scheme: 'standard-webhooks',
    source: 'hooks',
    signsTimestamp: true,
    build: ({ secret, timestamp }) => {
      const body = JSON.stringify({
        type: 'invoice.paid',
        timestamp: new Date(timestamp * 1000).toISOString(),
        data: { invoice: 'inv_1' },
      });
      const id = `msg_${randomUUID()}`;
      return {
        source: 'hooks',
        body,
        headers: {
          'Content-Type': 'application/json',
          'Webhook-Id': id,
          'Webhook-Timestamp': String(timestamp),
          'Webhook-Signature': new StandardWebhook(secret).sign(id, new Date(timestamp * 1000), body),
        },
        deliveryId: id,
        eventType: 'invoice.paid',
      };
    },
    malformed: ['Webhook-Signature', 'v1,not base64!'],
  },
  {
    name: 'standard-webhooks (svix-* headers of Clerk and Resend, svix library)',
    scheme: 'standard-webhooks',
    source: 'clerk',
    signsTimestamp: true,
    build: ({ secret, timestamp }) => {
      const body = JSON.stringify({ type: 'user.created', object: 'event', data: { id: 'user_29w83sxmDNGwOuEthce5gg56FcC' } });
      const id = `msg_${randomUUID()}`;
      return {
        source: 'clerk',
        body,
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'Svix-Webhooks/1.21.0',
          'svix-id': id,
          'svix-timestamp': String(timestamp),
          'svix-signature': new SvixWebhook(secret).sign(id, new Date(timestamp * 1000), body),
        },
        deliveryId: id,
        eventType: 'user.created',
      };
    },
    malformed: ['svix-signature', 'v1'],
  },
  {
    name: 'slack',
    scheme: 'slack',
    source: 'team',
    signsTimestamp: true,
    build: ({ secret, timestamp }) => {
      const eventId = `Ev${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`;
      const body = JSON.stringify({
        token: 'XXYYZZ',
        team_id: 'T123ABC456',
        type: 'event_callback',
        event: { type: 'app_mention', user: 'U123ABC456', text: 'hi' },
        event_id: eventId,
        event_time: timestamp,
      });
      return {
        source: 'team',
        body,
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
          'X-Slack-Request-Timestamp': String(timestamp),
          'X-Slack-Signature': `v0=${hmac(secret, `v0:${timestamp}:${body}`).digest('hex')}`,
        },
        deliveryId: eventId,
        eventType: 'app_mention',
      };
    },
    malformed: ['X-Slack-Signature', 'v1=abc'],
  },
  {
    name: 'paddle',
    scheme: 'paddle',
    source: 'pay',
    signsTimestamp: true,
    build: ({ secret, timestamp }) => {
      const eventId = `evt_${randomUUID()}`;
      const body = JSON.stringify({
        event_id: eventId,
        event_type: 'transaction.completed',
        occurred_at: new Date(timestamp * 1000).toISOString(),
        notification_id: `ntf_${randomUUID()}`,
        data: { id: 'txn_1', status: 'completed' },
      });
      return {
        source: 'pay',
        body,
        headers: {
          'Content-Type': 'application/json',
          'Paddle-Signature': `ts=${timestamp};h1=${hmac(secret, `${timestamp}:${body}`).digest('hex')}`,
        },
        deliveryId: eventId,
        eventType: 'transaction.completed',
      };
    },
    malformed: ['Paddle-Signature', `ts=soon;h1=${'0'.repeat(64)}`],
  },
  {
    name: 'linear',
    scheme: 'linear',
    source: 'lin',
    signsTimestamp: true,
    build: ({ secret, timestamp }) => {
      // Linear's timestamp is the signed payload's webhookTimestamp, in milliseconds.
      const body = JSON.stringify({
        action: 'create',
        type: 'Issue',
        data: { id: randomUUID(), title: 'Fix the pipeline' },
        createdAt: new Date(timestamp * 1000).toISOString(),
        webhookTimestamp: timestamp * 1000,
        webhookId: randomUUID(),
      });
      const deliveryId = randomUUID();
      return {
        source: 'lin',
        body,
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'User-Agent': 'Linear-Webhook',
          'Linear-Delivery': deliveryId,
          'Linear-Event': 'Issue',
          'Linear-Signature': hmac(secret, body).digest('hex'),
        },
        deliveryId,
        eventType: 'Issue',
      };
    },
    malformed: ['Linear-Signature', 'sha256=abc'],
  },
];

/** Through API Gateway's template, SQS and the ingest reader to the validator's verdict. */
async function deliver(request: Pick<ProviderRequest, 'source' | 'body' | 'headers'>, receivedAtMillis = NOW) {
  const form = parseSendMessageForm(
    renderMappingTemplate(template, {
      body: request.body,
      headers: request.headers,
      pathParameters: { source: request.source },
      requestId: 'req-e2e',
    }),
  );
  expect(form.action).toBe('SendMessage');
  const record = buildSqsRecord({
    body: form.messageBody ?? '',
    messageAttributes: Object.fromEntries(form.attributes.map(({ name, value }) => [name, value])),
    sentTimestamp: receivedAtMillis,
  });
  return validateWebhook(readIngestMessage(record), { config, readSecret, now: () => receivedAtMillis });
}

async function rejectionOf(
  request: Pick<ProviderRequest, 'source' | 'body' | 'headers'>,
  receivedAtMillis?: number,
): Promise<RejectionReason> {
  const verdict = await deliver(request, receivedAtMillis);
  if (verdict.accepted) throw new Error(`expected a rejection, got an accepted ${verdict.envelope.scheme} envelope`);
  return verdict.reason;
}

describe('every scheme, end to end through the mapping template to the validator', () => {
  it('covers every scheme', () => {
    expect(new Set(CASES.map((c) => c.scheme))).toEqual(new Set(SIGNATURE_SCHEMES));
    for (const c of CASES) expect(SOURCES[c.source].scheme).toBe(c.scheme);
  });

  describe.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const genuine = () => c.build({ secret: SECRETS[c.source], timestamp: SIGNED_AT });

    it('accepts a genuine request, with the provider’s delivery id and event type', async () => {
      const request = genuine();
      const verdict = await deliver(request);
      expect(verdict).toMatchObject({
        accepted: true,
        envelope: {
          source: c.source,
          scheme: c.scheme,
          deliveryId: request.deliveryId,
          eventType: request.eventType,
          requestId: 'req-e2e',
        },
      });
    });

    it('rejects a tampered body as bad-signature', async () => {
      const request = genuine();
      const tampered = request.body.replace(/"[^"]*"\s*:\s*"([^"]*)"/, (match, value: string) => match.replace(value, `${value}x`));
      expect(tampered).not.toBe(request.body);
      expect(await rejectionOf({ ...request, body: tampered })).toBe('bad-signature');
    });

    if (c.signsTimestamp) {
      it('rejects a timestamp an hour old as stale-timestamp', async () => {
        expect(await rejectionOf(c.build({ secret: SECRETS[c.source], timestamp: STALE }))).toBe('stale-timestamp');
      });
    } else {
      it(`has no timestamp to go stale (${c.scheme} signs none): the same request received an hour later is accepted`, async () => {
        const verdict = await deliver(genuine(), NOW + 3_600_000);
        expect(verdict.accepted).toBe(true);
      });
    }

    it('rejects a request signed with another secret as bad-signature', async () => {
      expect(await rejectionOf(c.build({ secret: WRONG_SECRETS[c.source], timestamp: SIGNED_AT }))).toBe('bad-signature');
    });

    it('rejects a malformed signature header as malformed-signature', async () => {
      const request = genuine();
      const [header, value] = c.malformed;
      expect(Object.keys(request.headers)).toContain(header);
      expect(await rejectionOf({ ...request, headers: { ...request.headers, [header]: value } })).toBe('malformed-signature');
    });
  });

  it('never hands the validator a request to an unconfigured source: the template sends SQS an action it refuses', () => {
    const request = CASES[0].build({ secret: SECRETS.gh, timestamp: SIGNED_AT });
    for (const source of ['gitlab', 'GH', 'gh/']) {
      const output = renderMappingTemplate(template, { body: request.body, headers: request.headers, pathParameters: { source } });
      expect(output).toBe(UNKNOWN_SOURCE_REQUEST);
    }
  });

  it('prefers webhook-* to svix-* when a request carries both spellings', async () => {
    const svix = CASES.find((c) => c.source === 'clerk')!.build({ secret: SECRETS.clerk, timestamp: SIGNED_AT });
    const forged = {
      'Webhook-Id': 'msg_forged',
      'Webhook-Timestamp': String(SIGNED_AT),
      'Webhook-Signature': `v1,${Buffer.alloc(32).toString('base64')}`,
    };
    expect(await rejectionOf({ ...svix, headers: { ...svix.headers, ...forged } })).toBe('bad-signature');
  });
});
