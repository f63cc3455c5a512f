/**
 * Known-good signatures. GitHub's is the example from its documentation; the others were computed
 * independently of the code under test, with
 * `printf '%s' "<signed bytes>" | openssl dgst -sha256 -hmac "<secret>"` (and `-binary | openssl
 * base64 -A` for Shopify).
 */
export const GITHUB_DOCS_VECTOR = {
  secret: "It's a Secret to Everybody",
  body: 'Hello, World!',
  header: 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
} as const;

export const STRIPE_VECTOR = {
  secret: 'whsec_test_secret',
  body: '{"id":"evt_1NG8Du2eZvKYlo2C","type":"payment_intent.succeeded"}',
  timestamp: 1_700_000_000,
  /** HMAC-SHA256 of `1700000000.<body>`. */
  v1: '5932459132e642325b006ac6f94f924b06d998b4f67e25fe2b3bea6889a0f5b0',
} as const;

export const SHOPIFY_VECTOR = {
  secret: 'shpss_test_secret',
  body: '{"id":820982911946154508,"topic":"orders/create"}',
  header: 'DyCZHwhBMborrvH9V041dO/poDNS0e8cUWwh3epcPkc=',
} as const;

export const GENERIC_VECTOR = {
  secret: 'generic-test-secret',
  body: '{"event":"ping","id":42}',
  header: 'sha256=68370591ecc9277f65f3a988e29be5431dffef5f1759d3cdbfc2d9471456f148',
} as const;
