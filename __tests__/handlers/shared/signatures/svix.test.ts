import { Webhook as SvixWebhook } from 'svix';
import { HEADER_ALIASES, readIngestMessage } from '../../../../src/handlers/shared/ingest-message';
import { missingRequirement, verifySignature } from '../../../../src/handlers/shared/signatures';
import { buildSqsRecord } from '../../../support/sqs-records';
import type { IngestWebhook } from '../../../support/webhooks';
import { OTHER_SECRET, SECRET, signStandardWebhook, signSvixWebhook, svixWebhook } from './standard-webhooks-requests';

/**
 * Svix-powered providers (Clerk, Resend, …) sign as Standard Webhooks do but name the headers
 * `svix-id`, `svix-timestamp` and `svix-signature`. The ingest reader reads them as the `webhook-*`
 * headers, so the `standard-webhooks` scheme verifies either spelling.
 */

const T = 1_767_323_045;
const onTime = { receivedAtSeconds: T + 10, stripeToleranceSeconds: 300 };

const read = (webhook: IngestWebhook) => readIngestMessage(buildSqsRecord({ body: webhook.body, messageAttributes: webhook.attributes }));

function verify(webhook: IngestWebhook, secret = SECRET) {
  const { headers, rawBody } = read(webhook);
  return verifySignature('standard-webhooks', { ...onTime, headers, rawBody, secret });
}

const ingest = (body: string, headers: Record<string, string>): IngestWebhook => ({
  body,
  attributes: { source: 'clerk', 'request-id': 'r-1', 'content-type': 'application/json', ...headers },
});

describe('Svix-branded Standard Webhooks headers', () => {
  it('signs as the Standard Webhooks reference library does: one algorithm, another spelling', () => {
    const svix = signSvixWebhook({ secret: SECRET, id: 'msg_1', timestamp: T });
    const standard = signStandardWebhook({ secret: SECRET, id: 'msg_1', timestamp: T });
    expect(svix.headers['svix-signature']).toBe(standard.headers['webhook-signature']);
  });

  it('is accepted by Svix’s own verifier as built, so the test requests are what Clerk or Resend send', () => {
    const { body, headers } = signSvixWebhook({ secret: SECRET, id: 'msg_1', timestamp: Math.floor(Date.now() / 1000) });
    expect(() => new SvixWebhook(SECRET).verify(body, headers)).not.toThrow();
  });

  it('reads svix-* as webhook-*, keeping only the unbranded names', () => {
    const webhook = svixWebhook({ source: 'clerk', secret: SECRET, id: 'msg_2', timestamp: T });
    const { headers } = read(webhook);
    expect(Object.fromEntries(headers)).toEqual({
      'content-type': 'application/json',
      'webhook-id': 'msg_2',
      'webhook-timestamp': String(T),
      'webhook-signature': webhook.attributes['svix-signature'],
    });
    expect(missingRequirement('standard-webhooks', headers)).toBeUndefined();
  });

  it('maps exactly the three Standard Webhooks headers', () => {
    expect(HEADER_ALIASES).toEqual({
      'svix-id': 'webhook-id',
      'svix-timestamp': 'webhook-timestamp',
      'svix-signature': 'webhook-signature',
    });
  });

  it('verifies a request signed by Svix’s library, with several signatures while a secret is rolled', () => {
    const webhook = svixWebhook({ source: 'clerk', secret: SECRET, otherSecrets: [OTHER_SECRET], timestamp: T });
    expect(webhook.attributes['svix-signature'].split(' ')).toHaveLength(2);
    expect(verify(webhook)).toEqual({ valid: true });
    expect(verify(webhook, OTHER_SECRET)).toEqual({ valid: true });
  });

  it.each([
    ['a tampered body', (w: IngestWebhook) => ({ ...w, body: w.body.replace('4200', '42000') }), 'bad-signature'],
    [
      'a tampered svix-id, which is signed',
      (w: IngestWebhook) => ingest(w.body, { ...w.attributes, 'svix-id': 'msg_other' }),
      'bad-signature',
    ],
    [
      'a malformed svix-signature',
      (w: IngestWebhook) => ingest(w.body, { ...w.attributes, 'svix-signature': 'v1,not base64!' }),
      'malformed-signature',
    ],
  ] as const)('rejects %s', (_name, tamper, reason) => {
    const webhook = tamper(svixWebhook({ source: 'clerk', secret: SECRET, timestamp: T }));
    expect(verify(webhook)).toEqual({ valid: false, reason });
  });

  it('prefers webhook-* when a request carries both spellings', () => {
    const standard = signStandardWebhook({ secret: SECRET, id: 'msg_3', timestamp: T });
    const forged = { 'svix-id': 'msg_forged', 'svix-timestamp': String(T), 'svix-signature': `v1,${Buffer.alloc(32).toString('base64')}` };
    expect(verify(ingest(standard.body, { ...forged, ...standard.headers }))).toEqual({ valid: true });
    expect(read(ingest(standard.body, { ...forged, ...standard.headers })).headers.get('webhook-id')).toBe('msg_3');

    const svix = signSvixWebhook({ secret: SECRET, id: 'msg_4', timestamp: T });
    const unbrandedForgery = { 'webhook-id': 'msg_forged', 'webhook-timestamp': String(T), 'webhook-signature': forged['svix-signature'] };
    expect(verify(ingest(svix.body, { ...svix.headers, ...unbrandedForgery }))).toEqual({ valid: false, reason: 'bad-signature' });
  });

  it('reads each header on its own: a missing webhook-* header is taken from its svix-* spelling', () => {
    const { body, headers } = signStandardWebhook({ secret: SECRET, id: 'msg_5', timestamp: T });
    const mixed = {
      'svix-id': headers['webhook-id'],
      'webhook-timestamp': headers['webhook-timestamp'],
      'svix-signature': headers['webhook-signature'],
    };
    expect(verify(ingest(body, mixed))).toEqual({ valid: true });
  });

  it('still names the unbranded header when a Svix request lacks one', () => {
    const { body, headers } = signSvixWebhook({ secret: SECRET, timestamp: T });
    const { headers: read_ } = read(ingest(body, { 'svix-id': headers['svix-id'], 'svix-signature': headers['svix-signature'] }));
    expect(missingRequirement('standard-webhooks', read_)).toEqual(['webhook-timestamp']);
  });
});
