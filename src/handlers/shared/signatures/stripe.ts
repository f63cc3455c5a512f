import { hmacSha256, matchesAny } from './hmac';
import { parseTimestampedDigests, type TimestampedHeaderFormat } from './timestamped-header';
import { invalid, isWithinTolerance, type SignatureVerdict, type TimestampTolerance, VALID } from './verification';

/** The parts of a `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]` header. */
export interface StripeSignatureHeader {
  readonly timestamp: number;
  /** Every `v1` digest: Stripe sends several while a secret is being rolled. */
  readonly v1: readonly Buffer[];
}

const FORMAT: TimestampedHeaderFormat = { separator: ',', timestampKey: 't', digestKey: 'v1' };

/**
 * Parses the header, ignoring schemes other than `v1` (Stripe's `v0` is a test-mode scheme that
 * must never be trusted). Returns undefined when the timestamp or every `v1` is missing or
 * malformed.
 */
export function parseStripeSignature(header: string): StripeSignatureHeader | undefined {
  const parsed = parseTimestampedDigests(header, FORMAT);
  return parsed && { timestamp: parsed.timestamp, v1: parsed.digests };
}

/**
 * Stripe signs `${t}.${rawBody}`; any `v1` may match. The timestamp check comes after the
 * digest check so that a forged header is reported as forged, not as stale.
 */
export function verifyStripe(header: string, rawBody: string, secret: string, options: TimestampTolerance): SignatureVerdict {
  const parsed = parseStripeSignature(header);
  if (!parsed) return invalid('malformed-signature');
  if (!matchesAny(hmacSha256(secret, `${parsed.timestamp}.${rawBody}`), parsed.v1)) return invalid('bad-signature');
  return isWithinTolerance(parsed.timestamp, options) ? VALID : invalid('stale-timestamp');
}
