import { FORWARDED_HEADERS, INGEST_ATTRIBUTE, MAX_MESSAGE_ATTRIBUTES, SIGNATURE_SCHEMES } from '../../../../src/contract';
import type { ForwardedHeader } from '../../../../src/handlers/shared/ingest-message';
import { REQUIRED_HEADERS, SIGNATURE_HEADER, verifySignature } from '../../../../src/handlers/shared/signatures';
import { SECRET, signStandardWebhook } from './standard-webhooks-requests';
import { GENERIC_VECTOR, GITHUB_DOCS_VECTOR, SHOPIFY_VECTOR, STRIPE_VECTOR } from './vectors';

const common = { receivedAtSeconds: STRIPE_VECTOR.timestamp, stripeToleranceSeconds: 300 };
const headers = (entries: Record<string, string>) => new Map(Object.entries(entries)) as ReadonlyMap<ForwardedHeader, string>;
const standard = signStandardWebhook({ secret: SECRET, timestamp: STRIPE_VECTOR.timestamp });

describe('verifySignature', () => {
  it('names a forwarded header for every scheme', () => {
    for (const scheme of SIGNATURE_SCHEMES) {
      expect(FORWARDED_HEADERS).toContain(SIGNATURE_HEADER[scheme]);
      expect(REQUIRED_HEADERS[scheme]).toContain(SIGNATURE_HEADER[scheme]);
    }
  });

  it('forwards every header a scheme needs even when a request carries every forwarded header', () => {
    // Two of SQS's ten attribute slots hold source and request id.
    const headerSlots = MAX_MESSAGE_ATTRIBUTES - Object.keys(INGEST_ATTRIBUTE).length;
    for (const scheme of SIGNATURE_SCHEMES) {
      for (const name of REQUIRED_HEADERS[scheme]) expect([scheme, FORWARDED_HEADERS.indexOf(name) < headerSlots]).toEqual([scheme, true]);
    }
  });

  it.each([
    ['github', { 'x-hub-signature-256': GITHUB_DOCS_VECTOR.header }, GITHUB_DOCS_VECTOR.body, GITHUB_DOCS_VECTOR.secret],
    ['hmac-sha256', { 'x-signature-256': GENERIC_VECTOR.header }, GENERIC_VECTOR.body, GENERIC_VECTOR.secret],
    ['shopify', { 'x-shopify-hmac-sha256': SHOPIFY_VECTOR.header }, SHOPIFY_VECTOR.body, SHOPIFY_VECTOR.secret],
    ['stripe', { 'stripe-signature': `t=${STRIPE_VECTOR.timestamp},v1=${STRIPE_VECTOR.v1}` }, STRIPE_VECTOR.body, STRIPE_VECTOR.secret],
    ['standard-webhooks', standard.headers, standard.body, SECRET],
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
});
