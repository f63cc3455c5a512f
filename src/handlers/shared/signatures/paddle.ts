import { hmacSha256, matchesAny } from './hmac';
import { parseTimestampedDigests, type TimestampedHeaderFormat } from './timestamped-header';
import { invalid, isWithinTolerance, type SignatureVerdict, type TimestampTolerance, VALID } from './verification';

/** The parts of a Paddle Billing `Paddle-Signature: ts=<unix seconds>;h1=<hex>[;h1=<hex>…]` header. */
export interface PaddleSignatureHeader {
  readonly timestamp: number;
  /** Every `h1` digest: Paddle sends one per active secret while a secret is rotated. */
  readonly h1: readonly Buffer[];
}

const FORMAT: TimestampedHeaderFormat = { separator: ';', timestampKey: 'ts', digestKey: 'h1' };

/**
 * Parses the header. Keys other than `ts` and `h1` are skipped (room for a future scheme, as
 * Stripe's `v0` is). Undefined when an element is not `key=value`, `ts` is missing, repeated or
 * not whole seconds, an `h1` is not a hex SHA-256 digest, or there is no `h1`.
 */
export function parsePaddleSignature(header: string): PaddleSignatureHeader | undefined {
  const parsed = parseTimestampedDigests(header, FORMAT);
  return parsed && { timestamp: parsed.timestamp, h1: parsed.digests };
}

/**
 * Paddle signs `${ts}:${rawBody}` with the endpoint's secret key (its text); any `h1` may match.
 * The timestamp is checked after the digests, so a forgery is reported as forged, not stale.
 */
export function verifyPaddle(header: string, rawBody: string, secret: string, tolerance: TimestampTolerance): SignatureVerdict {
  const parsed = parsePaddleSignature(header);
  if (!parsed) return invalid('malformed-signature');
  if (!matchesAny(hmacSha256(secret, `${parsed.timestamp}:${rawBody}`), parsed.h1)) return invalid('bad-signature');
  return isWithinTolerance(parsed.timestamp, tolerance) ? VALID : invalid('stale-timestamp');
}
