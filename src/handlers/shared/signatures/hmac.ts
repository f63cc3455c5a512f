import { createHmac, timingSafeEqual } from 'node:crypto';

/** Length in bytes of an HMAC-SHA256 digest. */
const SHA256_DIGEST_BYTES = 32;

/** `key` is the secret's text for most schemes, or decoded bytes (Standard Webhooks). */
export function hmacSha256(key: string | Uint8Array, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/**
 * Compares two digests without leaking, through timing, how many leading bytes match.
 * `timingSafeEqual` throws on a length mismatch, so lengths are compared first; the length of a
 * digest is public anyway.
 */
export function digestsEqual(expected: Buffer, actual: Buffer): boolean {
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * Whether any candidate equals `expected`, for headers that carry several signatures while a
 * secret is rolled. Every candidate is compared rather than stopping at the first match, so the
 * time taken does not reveal which position matched.
 */
export function matchesAny(expected: Buffer, candidates: readonly Buffer[]): boolean {
  return candidates.reduce((found, candidate) => digestsEqual(expected, candidate) || found, false);
}

/**
 * Decodes a hex digest, or returns undefined when the text is not exactly one. `Buffer.from`
 * alone would silently stop at the first non-hex character and hide a malformed header.
 */
export function decodeHexDigest(text: string): Buffer | undefined {
  return /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : undefined;
}

/** Decodes a canonical base64 digest, or returns undefined when the text is not exactly one. */
export function decodeBase64Digest(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === SHA256_DIGEST_BYTES && bytes.toString('base64') === text ? bytes : undefined;
}
