import { createHash } from 'node:crypto';
import type { SignatureScheme } from '../../contract';
import type { ForwardedHeader } from '../shared/ingest-message';
import { isJsonObject, type JsonValue, stringMember } from '../shared/json';

type Headers = ReadonlyMap<ForwardedHeader, string>;

/**
 * Where a delivery carries a piece of metadata: a forwarded header, or a payload member reached
 * by a path of keys (one key for a top-level field).
 */
type Locator = { readonly header: ForwardedHeader } | { readonly payloadPath: readonly [string, ...string[]] };

/**
 * Where each scheme names the delivery and the event type, as locators tried in order. Stripe and
 * Paddle put both in the body; Standard Webhooks signs its id header and puts the type in the body
 * (`{"type", "timestamp", "data"}`); Slack's Events API wraps the event (`{"event_id", "type":
 * "event_callback", "event": {"type"}}`); Shopify's newer webhooks drop the `X-` prefix.
 */
const METADATA = {
  github: { deliveryId: [{ header: 'x-github-delivery' }], eventType: [{ header: 'x-github-event' }] },
  stripe: { deliveryId: [{ payloadPath: ['id'] }], eventType: [{ payloadPath: ['type'] }] },
  shopify: {
    deliveryId: [{ header: 'x-shopify-webhook-id' }, { header: 'shopify-webhook-id' }],
    eventType: [{ header: 'x-shopify-topic' }, { header: 'shopify-topic' }],
  },
  'hmac-sha256': { deliveryId: [{ header: 'x-webhook-id' }], eventType: [{ header: 'x-webhook-event' }] },
  'standard-webhooks': { deliveryId: [{ header: 'webhook-id' }], eventType: [{ payloadPath: ['type'] }] },
  slack: { deliveryId: [{ payloadPath: ['event_id'] }], eventType: [{ payloadPath: ['event', 'type'] }, { payloadPath: ['type'] }] },
  paddle: { deliveryId: [{ payloadPath: ['event_id'] }], eventType: [{ payloadPath: ['event_type'] }] },
  linear: { deliveryId: [{ header: 'linear-delivery' }], eventType: [{ header: 'linear-event' }, { payloadPath: ['type'] }] },
} as const satisfies Record<SignatureScheme, { readonly deliveryId: readonly Locator[]; readonly eventType: readonly Locator[] }>;

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

function locate(locators: readonly Locator[], input: Pick<DeliveryMetadataInput, 'headers' | 'payload'>): string | undefined {
  for (const locator of locators) {
    const found = 'header' in locator ? input.headers.get(locator.header) : memberAt(input.payload, locator.payloadPath);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The non-empty string at `path` in `payload`, through nested objects. */
function memberAt(payload: JsonValue, path: readonly [string, ...string[]]): string | undefined {
  let value: JsonValue | undefined = payload;
  for (const key of path.slice(0, -1)) value = isJsonObject(value) ? value[key] : undefined;
  return stringMember(value, path[path.length - 1] as string);
}
