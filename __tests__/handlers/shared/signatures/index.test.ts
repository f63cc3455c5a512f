import { FORWARDED_HEADERS, SIGNATURE_SCHEMES } from '../../../../src/contract';
import { SIGNATURE_HEADER, verifySignature } from '../../../../src/handlers/shared/signatures';
import { GENERIC_VECTOR, GITHUB_DOCS_VECTOR, SHOPIFY_VECTOR, STRIPE_VECTOR } from './vectors';

const common = { receivedAtSeconds: STRIPE_VECTOR.timestamp, stripeToleranceSeconds: 300 };

describe('verifySignature', () => {
  it('names a forwarded header for every scheme', () => {
    for (const scheme of SIGNATURE_SCHEMES) {
      expect(FORWARDED_HEADERS).toContain(SIGNATURE_HEADER[scheme]);
    }
  });

  it.each([
    ['github', GITHUB_DOCS_VECTOR.header, GITHUB_DOCS_VECTOR.body, GITHUB_DOCS_VECTOR.secret],
    ['hmac-sha256', GENERIC_VECTOR.header, GENERIC_VECTOR.body, GENERIC_VECTOR.secret],
    ['shopify', SHOPIFY_VECTOR.header, SHOPIFY_VECTOR.body, SHOPIFY_VECTOR.secret],
    ['stripe', `t=${STRIPE_VECTOR.timestamp},v1=${STRIPE_VECTOR.v1}`, STRIPE_VECTOR.body, STRIPE_VECTOR.secret],
  ] as const)('dispatches the %s scheme to its verifier', (scheme, signatureHeader, rawBody, secret) => {
    expect(verifySignature(scheme, { ...common, signatureHeader, rawBody, secret })).toEqual({ valid: true });
    expect(verifySignature(scheme, { ...common, signatureHeader, rawBody: `${rawBody} `, secret }).valid).toBe(false);
  });

  it('checks the Stripe timestamp against the time the webhook was received', () => {
    const signatureHeader = `t=${STRIPE_VECTOR.timestamp},v1=${STRIPE_VECTOR.v1}`;
    const request = { signatureHeader, rawBody: STRIPE_VECTOR.body, secret: STRIPE_VECTOR.secret };
    expect(verifySignature('stripe', { ...request, receivedAtSeconds: STRIPE_VECTOR.timestamp + 60, stripeToleranceSeconds: 30 })).toEqual({
      valid: false,
      reason: 'stale-timestamp',
    });
  });
});
