import { createHash } from 'node:crypto';
import type { SignatureScheme } from '../../contract';
import type { ForwardedHeader } from '../shared/ingest-message';
import { type JsonValue, stringMember } from '../shared/json';

type Headers = ReadonlyMap<ForwardedHeader, string>;

/** Where a scheme's delivery carries a piece of metadata: a forwarded header or a payload field. */
type Locator = { readonly header: ForwardedHeader } | { readonly payloadField: string };

/**
 * Where each scheme names the delivery and the event type. Stripe puts both in the body;
 * Standard Webhooks signs its id header and puts the type in the body (`{"type", "timestamp",
 * "data"}`).
 */
const METADATA = {
  github: { deliveryId: { header: 'x-github-delivery' }, eventType: { header: 'x-github-event' } },
  stripe: { deliveryId: { payloadField: 'id' }, eventType: { payloadField: 'type' } },
  shopify: { deliveryId: { header: 'x-shopify-webhook-id' }, eventType: { header: 'x-shopify-topic' } },
  'hmac-sha256': { deliveryId: { header: 'x-webhook-id' }, eventType: { header: 'x-webhook-event' } },
  'standard-webhooks': { deliveryId: { header: 'webhook-id' }, eventType: { payloadField: 'type' } },
} as const satisfies Record<SignatureScheme, { readonly deliveryId: Locator; readonly eventType: Locator }>;

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
  return locate(METADATA[input.scheme].deliveryId, input) ?? fallbackDeliveryId(input.source, input.rawBody);
}

export function fallbackDeliveryId(source: string, rawBody: string): string {
  return createHash('sha256').update(`${source}\n${rawBody}`, 'utf8').digest('hex');
}

/** The provider's event type, or null when the delivery does not name one. */
export function eventTypeOf(input: Omit<DeliveryMetadataInput, 'source' | 'rawBody'>): string | null {
  return locate(METADATA[input.scheme].eventType, input) ?? null;
}

function locate(locator: Locator, input: Pick<DeliveryMetadataInput, 'headers' | 'payload'>): string | undefined {
  return 'header' in locator ? input.headers.get(locator.header) : stringMember(input.payload, locator.payloadField);
}
