import { hmacSha256 } from '../shared/signatures/hmac';
import { standardWebhooksKey } from '../shared/signatures/standard-webhooks';

const WHSEC_PREFIX = 'whsec_';

/** A destination's secret that cannot be used as a key: a `whsec_` secret whose rest is not base64. */
export class InvalidSecretError extends Error {
  readonly reason = 'invalid-secret';

  constructor(readonly parameterName: string) {
    super(`a secret in SSM parameter ${parameterName} starts with "whsec_" but the rest is not base64`);
    this.name = 'InvalidSecretError';
  }
}

/**
 * The HMAC key of an outbound secret. A `whsec_` secret is the Standard Webhooks form: its rest is
 * the base64 key (what `new Webhook(secret)` decodes). Any other secret is used as its UTF-8
 * bytes, as 0.1.0 did, so an existing secret keeps working; its receiver builds
 * `new Webhook(secret, { format: 'raw' })` (for a non-ASCII secret, from the secret's UTF-8 bytes,
 * since that library reads a raw string one UTF-16 unit per byte).
 */
export function signingKey(secret: string, parameterName: string): Buffer {
  if (!secret.startsWith(WHSEC_PREFIX)) return Buffer.from(secret, 'utf8');
  // Strictly decoded: a lenient decoder would skip bad characters and quietly sign with another key.
  const key = standardWebhooksKey(secret);
  if (!key) throw new InvalidSecretError(parameterName);
  return key;
}

/**
 * The `webhook-signature` header: one `v1,<base64 HMAC-SHA256>` of `{id}.{timestamp}.{body}` per
 * key, space-separated. Signing with every listed secret lets a receiver still holding the
 * previous one verify during a rotation.
 */
export function standardWebhooksSignature(keys: readonly Buffer[], webhookId: string, timestamp: number, body: string): string {
  const signed = `${webhookId}.${timestamp}.${body}`;
  return keys.map((key) => `v1,${hmacSha256(key, signed).toString('base64')}`).join(' ');
}
