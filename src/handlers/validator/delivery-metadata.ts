import { createHash } from 'node:crypto';
import type { SignatureScheme } from '../../contract';
import type { ForwardedHeader } from '../shared/ingest-message';
import { type JsonValue, stringMember } from '../shared/json';

type Headers = ReadonlyMap<ForwardedHeader, string>;

/** Headers naming the delivery and the event type; Stripe puts both in the body instead. */
const HEADER_SCHEMES = {
  github: { deliveryId: 'x-github-delivery', eventType: 'x-github-event' },
  shopify: { deliveryId: 'x-shopify-webhook-id', eventType: 'x-shopify-topic' },
  'hmac-sha256': { deliveryId: 'x-webhook-id', eventType: 'x-webhook-event' },
} as const satisfies Record<Exclude<SignatureScheme, 'stripe'>, Record<string, ForwardedHeader>>;

export interface DeliveryMetadataInput {
  readonly source: string;
  readonly scheme: SignatureScheme;
  readonly headers: Headers;
  readonly rawBody: string;
  readonly payload: JsonValue;
}

/**
 * The provider's id for a delivery, which its retries repeat, so the processor can recognise
 * them. When the provider sends none, the hash of source and body stands in: a retry of the same
 * body is then still recognised.
 */
export function deliveryIdOf(input: DeliveryMetadataInput): string {
  const provided =
    input.scheme === 'stripe' ? stringMember(input.payload, 'id') : input.headers.get(HEADER_SCHEMES[input.scheme].deliveryId);
  return provided ?? fallbackDeliveryId(input.source, input.rawBody);
}

export function fallbackDeliveryId(source: string, rawBody: string): string {
  return createHash('sha256').update(`${source}\n${rawBody}`, 'utf8').digest('hex');
}

/** The provider's event type, or null when the delivery does not name one. */
export function eventTypeOf(input: Omit<DeliveryMetadataInput, 'source' | 'rawBody'>): string | null {
  const provided =
    input.scheme === 'stripe' ? stringMember(input.payload, 'type') : input.headers.get(HEADER_SCHEMES[input.scheme].eventType);
  return provided ?? null;
}
