import { decodeBase64Digest, digestsEqual, hmacSha256 } from './hmac';
import { invalid, type SignatureVerdict, VALID } from './verification';

/** Shopify's `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the raw body>`. */
export function verifyShopify(header: string, rawBody: string, secret: string): SignatureVerdict {
  const provided = decodeBase64Digest(header);
  if (!provided) return invalid('malformed-signature');
  return digestsEqual(hmacSha256(secret, rawBody), provided) ? VALID : invalid('bad-signature');
}
