import { webhookIdOf } from '../../history/archive-records';
import type { DeliveryEvent } from '../shared/delivery-event';
import { signPrefixedHex } from '../shared/signatures';
import { signingKey, standardWebhooksSignature } from './signing';

/** Headers and body of one delivery attempt, ready to POST. */
export interface DeliveryRequest {
  readonly headers: Readonly<Record<string, string>>;
  /** The provider's body, sent as UTF-8 (fetch's encoding of a string body): exactly what was signed. */
  readonly body: string;
}

export interface AttemptInfo {
  /** The attempt number (the record's ApproximateReceiveCount). */
  readonly attempt: number;
  /** When this attempt is made, epoch milliseconds. */
  readonly nowMs: number;
  /** Parameter the secrets came from, named when one is unusable. */
  readonly secretParameter: string;
}

export const USER_AGENT = 'webhook-pipeline';

/**
 * One attempt's request. The body is the provider's, untouched, so the receiver sees the bytes the
 * provider signed. It is signed the Standard Webhooks way with every secret, and also the 0.1.0 way
 * (`x-signature-256` with the current secret, `x-webhook-id`) so receivers written for 0.1.0 keep
 * verifying. `webhook-id` joins source and id because ids are unique only per provider, and stays
 * the same across retries so receivers can de-duplicate; the timestamp is the attempt's own, as the
 * spec asks, so a retry hours later is not rejected as stale. A replay sent as new carries its own
 * `webhookId`, which replaces `<source>:<id>` in the header and the signature.
 */
export function buildDeliveryRequest(event: DeliveryEvent, secrets: readonly string[], info: AttemptInfo): DeliveryRequest {
  const webhookId = headerValue(webhookIdSent(event));
  const timestamp = Math.floor(info.nowMs / 1000);
  const keys = secrets.map((secret) => signingKey(secret, info.secretParameter));
  return {
    headers: {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'webhook-id': webhookId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': standardWebhooksSignature(keys, webhookId, timestamp, event.body),
      'x-webhook-id': headerValue(event.id),
      'x-signature-256': signPrefixedHex(event.body, secrets[0]),
      'x-webhook-source': headerValue(event.source),
      'x-webhook-event-type': headerValue(event.type),
      'x-webhook-received-at': headerValue(event.receivedAt),
      ...(event.requestId === null ? {} : { 'x-webhook-request-id': headerValue(event.requestId) }),
      'x-webhook-attempt': String(info.attempt),
    },
    body: event.body,
  };
}

/** The `webhook-id` a delivery goes out with, before any header encoding: the replay's own, else `<source>:<id>`. */
export const webhookIdSent = (event: Pick<DeliveryEvent, 'source' | 'id' | 'webhookId'>): string =>
  event.webhookId ?? webhookIdOf(event.source, event.id);

/**
 * Ids and types come from providers and may hold characters a header cannot carry (control
 * characters, non-Latin text) or that HTTP would trim (edge spaces). Such a value is sent
 * percent-encoded rather than making every attempt fail; plain printable ASCII, the usual case,
 * goes as is. `webhook-id` is signed as sent, so the signature still verifies.
 */
export function headerValue(value: string): string {
  if (/^[\x21-\x7e]+(?: [\x21-\x7e]+)*$/.test(value)) return value;
  return [...Buffer.from(value, 'utf8')]
    .map((byte) =>
      /[A-Za-z0-9\-._~]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
}
