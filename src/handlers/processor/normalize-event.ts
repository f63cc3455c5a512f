import { DELIVERY_EVENT_VERSION, type DeliveryEvent } from '../shared/delivery-event';
import { stringMember } from '../shared/json';
import type { ProcessEnvelope } from '../shared/process-envelope';

/** The type of an event neither its headers nor its payload name. */
export const UNKNOWN_EVENT_TYPE = 'unknown';

/** Payload members that, by common convention, name the event type, in order of preference. */
const PAYLOAD_TYPE_MEMBERS = ['type', 'event', 'action'] as const;

/**
 * The envelope's event type, else one named in the body, else {@link UNKNOWN_EVENT_TYPE}. The body
 * is parsed only to read those members; it is delivered as it arrived.
 */
export function deriveEventType(envelope: Pick<ProcessEnvelope, 'eventType' | 'body'>): string {
  if (envelope.eventType) return envelope.eventType;
  let payload: unknown;
  try {
    payload = JSON.parse(envelope.body);
  } catch {
    return UNKNOWN_EVENT_TYPE;
  }
  for (const member of PAYLOAD_TYPE_MEMBERS) {
    const value = stringMember(payload, member);
    if (value) return value;
  }
  return UNKNOWN_EVENT_TYPE;
}

/** The event the dispatcher delivers to `destination`: the envelope's body untouched, with its metadata. */
export function normalizeEvent(envelope: ProcessEnvelope, target: { destination: string; type: string; processedAt: Date }): DeliveryEvent {
  return {
    version: DELIVERY_EVENT_VERSION,
    destination: target.destination,
    id: envelope.deliveryId,
    source: envelope.source,
    type: target.type,
    receivedAt: envelope.receivedAt,
    processedAt: target.processedAt.toISOString(),
    requestId: envelope.requestId,
    body: envelope.body,
  };
}

/**
 * The de-duplication key: a delivery id is only unique within its provider, so two sources may
 * reuse one.
 */
export function idempotencyKeyOf(envelope: Pick<ProcessEnvelope, 'source' | 'deliveryId'>): string {
  return `${envelope.source}#${envelope.deliveryId}`;
}
