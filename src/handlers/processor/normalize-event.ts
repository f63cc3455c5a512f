import type { DeliveryEvent } from '../shared/delivery-event';
import { stringMember } from '../shared/json';
import type { ProcessEnvelope } from '../shared/process-envelope';

/** The type of an event neither its headers nor its payload name. */
export const UNKNOWN_EVENT_TYPE = 'unknown';

/** Payload members that, by common convention, name the event type, in order of preference. */
const PAYLOAD_TYPE_MEMBERS = ['type', 'event', 'action'] as const;

/** The envelope's event type, else one named in the payload, else {@link UNKNOWN_EVENT_TYPE}. */
export function deriveEventType(envelope: Pick<ProcessEnvelope, 'eventType' | 'payload'>): string {
  if (envelope.eventType) return envelope.eventType;
  for (const member of PAYLOAD_TYPE_MEMBERS) {
    const value = stringMember(envelope.payload, member);
    if (value) return value;
  }
  return UNKNOWN_EVENT_TYPE;
}

/** The provider-neutral event the dispatcher delivers. */
export function normalizeEvent(envelope: ProcessEnvelope, processedAt: Date): DeliveryEvent {
  return {
    id: envelope.deliveryId,
    source: envelope.source,
    type: deriveEventType(envelope),
    receivedAt: envelope.receivedAt,
    processedAt: processedAt.toISOString(),
    requestId: envelope.requestId,
    data: envelope.payload,
  };
}

/**
 * The de-duplication key: a delivery id is only unique within its provider, so two sources may
 * reuse one.
 */
export function idempotencyKeyOf(envelope: Pick<ProcessEnvelope, 'source' | 'deliveryId'>): string {
  return `${envelope.source}#${envelope.deliveryId}`;
}
