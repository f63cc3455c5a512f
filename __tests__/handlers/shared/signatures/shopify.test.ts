import { verifyShopify } from '../../../../src/handlers/shared/signatures/shopify';
import { SHOPIFY_VECTOR } from './vectors';

describe('Shopify signatures', () => {
  it('accepts the openssl vector', () => {
    expect(verifyShopify(SHOPIFY_VECTOR.header, SHOPIFY_VECTOR.body, SHOPIFY_VECTOR.secret)).toEqual({ valid: true });
  });

  it('rejects a tampered body', () => {
    const tampered = SHOPIFY_VECTOR.body.replace('orders/create', 'orders/delete');
    expect(verifyShopify(SHOPIFY_VECTOR.header, tampered, SHOPIFY_VECTOR.secret)).toEqual({
      valid: false,
      reason: 'bad-signature',
    });
  });

  it('rejects a signature made with another secret', () => {
    expect(verifyShopify(SHOPIFY_VECTOR.header, SHOPIFY_VECTOR.body, 'shpss_other').valid).toBe(false);
  });

  it.each([
    ['hex instead of base64', '0f20991f08414dba2baef1fd574e3574efe9a03352d1ef1c516c21ddea5c3e47'],
    ['a truncated digest', SHOPIFY_VECTOR.header.slice(0, 20)],
    ['non-canonical base64', SHOPIFY_VECTOR.header.replace('=', '')],
    ['a prefixed value', `sha256=${SHOPIFY_VECTOR.header}`],
    ['an empty value', ''],
  ])('reports %s as malformed', (_name, header) => {
    expect(verifyShopify(header, SHOPIFY_VECTOR.body, SHOPIFY_VECTOR.secret)).toEqual({
      valid: false,
      reason: 'malformed-signature',
    });
  });
});
