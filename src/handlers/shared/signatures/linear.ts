import { isJsonObject } from '../json';
import { decodeHexDigest, digestsEqual, hmacSha256 } from './hmac';
import { invalid, isWithinTolerance, type SignatureVerdict, type TimestampTolerance, VALID } from './verification';

/**
 * Linear's `Linear-Signature: <hex HMAC-SHA256 of the raw body>`. Linear signs no header: the
 * freshness is the signed payload's `webhookTimestamp` (Unix milliseconds), which is read only
 * after the signature verified, so unauthenticated input is never interpreted. A genuine body
 * without a usable `webhookTimestamp` is reported as malformed.
 */
export function verifyLinear(header: string, rawBody: string, secret: string, tolerance: TimestampTolerance): SignatureVerdict {
  const provided = decodeHexDigest(header);
  if (!provided) return invalid('malformed-signature');
  if (!digestsEqual(hmacSha256(secret, rawBody), provided)) return invalid('bad-signature');
  const timestampMillis = webhookTimestampOf(rawBody);
  if (timestampMillis === undefined) return invalid('malformed-signature');
  return isWithinTolerance(timestampMillis / 1000, tolerance) ? VALID : invalid('stale-timestamp');
}

/** The payload's `webhookTimestamp`: a non-negative whole number of milliseconds, or undefined. */
export function webhookTimestampOf(rawBody: string): number | undefined {
  let payload: unknown;
  try {
    payload = JSON.parse(rawBody);
  } catch {
    return undefined;
  }
  const timestamp = isJsonObject(payload) ? payload.webhookTimestamp : undefined;
  return typeof timestamp === 'number' && Number.isSafeInteger(timestamp) && timestamp >= 0 ? timestamp : undefined;
}
