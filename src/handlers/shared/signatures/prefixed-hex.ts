import { decodeHexDigest, digestsEqual, hmacSha256 } from './hmac';
import { invalid, type SignatureVerdict, VALID } from './verification';

const PREFIX = 'sha256=';

/**
 * The `sha256=<hex HMAC-SHA256 of the raw body>` format, used by GitHub (`X-Hub-Signature-256`),
 * by the generic scheme (`X-Signature-256`) and by the dispatcher when it signs deliveries, so a
 * delivery target verifies the pipeline exactly as the pipeline verifies a generic source.
 */
export function signPrefixedHex(rawBody: string, secret: string): string {
  return PREFIX + hmacSha256(secret, rawBody).toString('hex');
}

export function verifyPrefixedHex(header: string, rawBody: string, secret: string): SignatureVerdict {
  const provided = header.startsWith(PREFIX) ? decodeHexDigest(header.slice(PREFIX.length)) : undefined;
  if (!provided) return invalid('malformed-signature');
  return digestsEqual(hmacSha256(secret, rawBody), provided) ? VALID : invalid('bad-signature');
}
