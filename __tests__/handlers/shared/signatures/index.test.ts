import { FORWARDED_HEADERS, SIGNATURE_SCHEMES } from '../../../../src/contract';
import type { ForwardedHeader } from '../../../../src/handlers/shared/ingest-message';
import {
  missingRequirement,
  REQUIRED_HEADERS,
  SIGNATURE_HEADER,
  SIGNATURE_HEADERS,
  signatureHeaderOf,
  verifySignature,
} from '../../../../src/handlers/shared/signatures';
import { linearSignature, paddleSignature, slackHeaders } from './provider-requests';
import { SECRET, signStandardWebhook } from './standard-webhooks-requests';
import {
  GENERIC_VECTOR,
  GITHUB_DOCS_VECTOR,
  LINEAR_VECTOR,
  PADDLE_VECTOR,
  SHOPIFY_VECTOR,
  SLACK_EVENT_VECTOR,
  STRIPE_VECTOR,
} from './vectors';

const common = { receivedAtSeconds: STRIPE_VECTOR.timestamp, stripeToleranceSeconds: 300 };
const headers = (entries: Record<string, string>) => new Map(Object.entries(entries)) as ReadonlyMap<ForwardedHeader, string>;
const standard = signStandardWebhook({ secret: SECRET, timestamp: STRIPE_VECTOR.timestamp });
const T = STRIPE_VECTOR.timestamp;
const BODY = '{"type":"event_callback"}';
const LINEAR_BODY = JSON.stringify({ type: 'Issue', webhookTimestamp: T * 1000 });

describe('verifySignature', () => {
  it('names a forwarded header for every scheme', () => {
    for (const scheme of SIGNATURE_SCHEMES) {
      expect(FORWARDED_HEADERS).toContain(SIGNATURE_HEADER[scheme]);
      expect(REQUIRED_HEADERS[scheme]).toContainEqual(SIGNATURE_HEADERS[scheme]);
      expect(SIGNATURE_HEADERS[scheme]).toContain(SIGNATURE_HEADER[scheme]);
      for (const name of requiredNames(scheme)) expect(FORWARDED_HEADERS).toContain(name);
    }
  });

  const requiredNames = (scheme: (typeof SIGNATURE_SCHEMES)[number]) => REQUIRED_HEADERS[scheme].flat();

  it('names the header a request carries its signature in, Shopify in either spelling', () => {
    expect(SIGNATURE_HEADERS.shopify).toEqual(['x-shopify-hmac-sha256', 'shopify-hmac-sha256']);
    expect(signatureHeaderOf('shopify', headers({ 'shopify-hmac-sha256': 'x' }))).toBe('shopify-hmac-sha256');
    expect(signatureHeaderOf('shopify', headers({ 'shopify-hmac-sha256': 'x', 'x-shopify-hmac-sha256': 'y' }))).toBe(
      'x-shopify-hmac-sha256',
    );
    expect(signatureHeaderOf('shopify', headers({}))).toBe('x-shopify-hmac-sha256');
    expect(missingRequirement('shopify', headers({ 'shopify-hmac-sha256': 'x' }))).toBeUndefined();
    expect(missingRequirement('shopify', headers({}))).toEqual(['x-shopify-hmac-sha256', 'shopify-hmac-sha256']);
    expect(missingRequirement('slack', headers({ 'x-slack-signature': 'v0=1' }))).toEqual(['x-slack-request-timestamp']);
  });

  it.each([
    ['github', { 'x-hub-signature-256': GITHUB_DOCS_VECTOR.header }, GITHUB_DOCS_VECTOR.body, GITHUB_DOCS_VECTOR.secret],
    ['hmac-sha256', { 'x-signature-256': GENERIC_VECTOR.header }, GENERIC_VECTOR.body, GENERIC_VECTOR.secret],
    ['shopify', { 'x-shopify-hmac-sha256': SHOPIFY_VECTOR.header }, SHOPIFY_VECTOR.body, SHOPIFY_VECTOR.secret],
    ['stripe', { 'stripe-signature': `t=${STRIPE_VECTOR.timestamp},v1=${STRIPE_VECTOR.v1}` }, STRIPE_VECTOR.body, STRIPE_VECTOR.secret],
    ['standard-webhooks', standard.headers, standard.body, SECRET],
    ['shopify', { 'shopify-hmac-sha256': SHOPIFY_VECTOR.header }, SHOPIFY_VECTOR.body, SHOPIFY_VECTOR.secret],
    [
      'slack',
      { 'x-slack-signature': SLACK_EVENT_VECTOR.header, 'x-slack-request-timestamp': SLACK_EVENT_VECTOR.timestamp },
      SLACK_EVENT_VECTOR.body,
      SLACK_EVENT_VECTOR.secret,
    ],
    ['paddle', { 'paddle-signature': `ts=${PADDLE_VECTOR.timestamp};h1=${PADDLE_VECTOR.h1}` }, PADDLE_VECTOR.body, PADDLE_VECTOR.secret],
    ['linear', { 'linear-signature': LINEAR_VECTOR.header }, LINEAR_VECTOR.body, LINEAR_VECTOR.secret],
  ] as const)('dispatches the %s scheme to its verifier', (scheme, entries, rawBody, secret) => {
    const request = { ...common, headers: headers(entries), secret };
    expect(verifySignature(scheme, { ...request, rawBody })).toEqual({ valid: true });
    expect(verifySignature(scheme, { ...request, rawBody: `${rawBody} ` }).valid).toBe(false);
  });

  it.each(SIGNATURE_SCHEMES)('reports a %s request without its required headers as malformed', (scheme) => {
    expect(verifySignature(scheme, { ...common, headers: headers({}), rawBody: '{}', secret: SECRET })).toEqual({
      valid: false,
      reason: 'malformed-signature',
    });
  });

  it('checks the Stripe timestamp against the time the webhook was received', () => {
    const request = {
      headers: headers({ 'stripe-signature': `t=${STRIPE_VECTOR.timestamp},v1=${STRIPE_VECTOR.v1}` }),
      rawBody: STRIPE_VECTOR.body,
      secret: STRIPE_VECTOR.secret,
    };
    expect(verifySignature('stripe', { ...request, receivedAtSeconds: STRIPE_VECTOR.timestamp + 60, stripeToleranceSeconds: 30 })).toEqual({
      valid: false,
      reason: 'stale-timestamp',
    });
  });

  it('checks the Standard Webhooks timestamp against the same time and tolerance', () => {
    const request = { headers: headers(standard.headers), rawBody: standard.body, secret: SECRET };
    const at = (receivedAtSeconds: number) =>
      verifySignature('standard-webhooks', { ...request, receivedAtSeconds, stripeToleranceSeconds: 30 });
    expect(at(STRIPE_VECTOR.timestamp + 30)).toEqual({ valid: true });
    expect(at(STRIPE_VECTOR.timestamp + 31)).toEqual({ valid: false, reason: 'stale-timestamp' });
  });

  it.each([
    ['slack', slackHeaders('s', T, BODY), BODY],
    ['paddle', { 'paddle-signature': paddleSignature(['s'], T, BODY) }, BODY],
    ['linear', { 'linear-signature': linearSignature('s', LINEAR_BODY) }, LINEAR_BODY],
  ] as const)('checks the %s timestamp against the same time and tolerance', (scheme, entries, rawBody) => {
    const at = (receivedAtSeconds: number) =>
      verifySignature(scheme, { headers: headers(entries), rawBody, secret: 's', receivedAtSeconds, stripeToleranceSeconds: 30 });
    expect(at(T + 30)).toEqual({ valid: true });
    expect(at(T + 31)).toEqual({ valid: false, reason: 'stale-timestamp' });
  });
});
