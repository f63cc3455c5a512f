import { decodeBase64Digest, hmacSha256, matchesAny } from './hmac';
import { invalid, isWithinTolerance, type SignatureVerdict, type TimestampTolerance, VALID } from './verification';

/**
 * The three headers of a Standard Webhooks request (https://www.standardwebhooks.com). Svix-powered
 * providers (Clerk, Resend, …) send them as `svix-id`, `svix-timestamp` and `svix-signature`, which
 * the ingest reader reads as these (`HEADER_ALIASES` in ../ingest-message.ts).
 */
export interface StandardWebhooksHeaders {
  /** `webhook-id`: the message id, which the provider's retries repeat. */
  readonly id: string;
  /** `webhook-timestamp`: Unix seconds, as decimal text. */
  readonly timestamp: string;
  /** `webhook-signature`: space-separated `<version>,<base64>` entries. */
  readonly signature: string;
}

const SECRET_PREFIX = 'whsec_';
const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The HMAC key: the secret's base64 part after `whsec_`, decoded, or the whole secret decoded when
 * it has no prefix (as the reference libraries do). Undefined when that is not base64 or decodes
 * to nothing: such a secret can verify no signature, and the reference libraries refuse it too.
 */
export function standardWebhooksKey(secret: string): Buffer | undefined {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  // Strict, because `Buffer.from` would skip invalid characters and quietly derive another key.
  return encoded !== '' && CANONICAL_BASE64.test(encoded) ? Buffer.from(encoded, 'base64') : undefined;
}

/**
 * Every `v1` digest of a `webhook-signature` header; providers send several while a secret is
 * rolled. Entries of other versions are skipped (`v1a` is the asymmetric variant, which a shared
 * secret cannot verify). Undefined when an entry is not `<version>,<value>`, a `v1` value is not
 * a base64 SHA-256 digest, or no `v1` entry remains.
 */
export function parseStandardWebhooksSignature(header: string): readonly Buffer[] | undefined {
  const v1: Buffer[] = [];
  // The spec separates entries with one space; tolerating more costs nothing.
  for (const entry of header.trim().split(/ +/)) {
    const separator = entry.indexOf(',');
    if (separator < 1) return undefined;
    if (entry.slice(0, separator) !== 'v1') continue;
    const digest = decodeBase64Digest(entry.slice(separator + 1));
    if (!digest) return undefined;
    v1.push(digest);
  }
  return v1.length === 0 ? undefined : v1;
}

/**
 * Standard Webhooks signs `${id}.${timestamp}.${rawBody}`; any `v1` may match. As for Stripe, the
 * timestamp is checked after the digests, so a forged request is reported as forged, not stale.
 */
export function verifyStandardWebhooks(
  headers: StandardWebhooksHeaders,
  rawBody: string,
  secret: string,
  tolerance: TimestampTolerance,
): SignatureVerdict {
  const { id, timestamp } = headers;
  const candidates = parseStandardWebhooksSignature(headers.signature);
  if (id === '' || !/^\d{1,12}$/.test(timestamp) || !candidates) return invalid('malformed-signature');
  const key = standardWebhooksKey(secret);
  // An unusable secret is reported like a wrong one, so the validator re-reads it once: a fixed
  // parameter then takes effect without waiting for the cache to expire.
  if (!key || !matchesAny(hmacSha256(key, `${id}.${timestamp}.${rawBody}`), candidates)) return invalid('bad-signature');
  return isWithinTolerance(Number(timestamp), tolerance) ? VALID : invalid('stale-timestamp');
}
