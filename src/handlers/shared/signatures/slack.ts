import { decodeHexDigest, digestsEqual, hmacSha256 } from './hmac';
import { invalid, isWithinTolerance, type SignatureVerdict, type TimestampTolerance, VALID } from './verification';

/** The two headers of a Slack request (https://api.slack.com/authentication/verifying-requests-from-slack). */
export interface SlackHeaders {
  /** `X-Slack-Signature: v0=<hex>`. */
  readonly signature: string;
  /** `X-Slack-Request-Timestamp`: Unix seconds, as decimal text; signed. */
  readonly timestamp: string;
}

const PREFIX = 'v0=';

/**
 * Slack signs `v0:${timestamp}:${rawBody}` with the app's signing secret (its text, as the key).
 * As for Stripe, the timestamp is checked after the digest, so a forgery is reported as forged.
 */
export function verifySlack(headers: SlackHeaders, rawBody: string, secret: string, tolerance: TimestampTolerance): SignatureVerdict {
  const { signature, timestamp } = headers;
  const provided = signature.startsWith(PREFIX) ? decodeHexDigest(signature.slice(PREFIX.length)) : undefined;
  if (!provided || !/^\d{1,12}$/.test(timestamp)) return invalid('malformed-signature');
  if (!digestsEqual(hmacSha256(secret, `v0:${timestamp}:${rawBody}`), provided)) return invalid('bad-signature');
  return isWithinTolerance(Number(timestamp), tolerance) ? VALID : invalid('stale-timestamp');
}
