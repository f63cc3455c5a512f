import { decodeHexDigest, digestsEqual, hmacSha256 } from './hmac';
import { invalid, type SignatureVerdict, VALID } from './verification';

/** The parts of a `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]` header. */
export interface StripeSignatureHeader {
  readonly timestamp: number;
  /** Every `v1` digest: Stripe sends several while a secret is being rolled. */
  readonly v1: readonly Buffer[];
}

/**
 * Parses the header, ignoring schemes other than `v1` (Stripe's `v0` is a test-mode scheme that
 * must never be trusted). Returns undefined when the timestamp or every `v1` is missing or
 * malformed.
 */
export function parseStripeSignature(header: string): StripeSignatureHeader | undefined {
  let timestamp: number | undefined;
  const v1: Buffer[] = [];
  for (const element of header.split(',')) {
    const separator = element.indexOf('=');
    if (separator < 1) return undefined;
    const key = element.slice(0, separator).trim();
    const value = element.slice(separator + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined || !/^\d{1,12}$/.test(value)) return undefined;
      timestamp = Number(value);
    } else if (key === 'v1') {
      const digest = decodeHexDigest(value);
      if (!digest) return undefined;
      v1.push(digest);
    }
  }
  return timestamp === undefined || v1.length === 0 ? undefined : { timestamp, v1 };
}

export interface StripeVerificationOptions {
  /** The moment the webhook was received, in Unix seconds. */
  readonly nowSeconds: number;
  /** Largest accepted distance between the signed timestamp and `nowSeconds`. */
  readonly toleranceSeconds: number;
}

/**
 * Stripe signs `${t}.${rawBody}`; any `v1` may match. The timestamp check comes after the
 * digest check so that a forged header is reported as forged, not as stale.
 */
export function verifyStripe(header: string, rawBody: string, secret: string, options: StripeVerificationOptions): SignatureVerdict {
  const parsed = parseStripeSignature(header);
  if (!parsed) return invalid('malformed-signature');
  const expected = hmacSha256(secret, `${parsed.timestamp}.${rawBody}`);
  // Compare against every candidate rather than stopping at the first match, so the time taken
  // does not reveal which position matched.
  const matches = parsed.v1.reduce((found, candidate) => digestsEqual(expected, candidate) || found, false);
  if (!matches) return invalid('bad-signature');
  return Math.abs(options.nowSeconds - parsed.timestamp) > options.toleranceSeconds ? invalid('stale-timestamp') : VALID;
}
