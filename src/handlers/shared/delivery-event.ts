import type { JsonValue } from './json';
import { MessageFields } from './message-fields';

/** What the processor sends to the deliver queue and the dispatcher POSTs to the target. */
export interface DeliveryEvent {
  /** The provider's delivery id: the target's own de-duplication key. */
  readonly id: string;
  readonly source: string;
  readonly type: string;
  /** ISO-8601 time API Gateway received the webhook. */
  readonly receivedAt: string;
  /** ISO-8601 time the processor first handled it. */
  readonly processedAt: string;
  readonly requestId: string | null;
  /** The provider's payload. */
  readonly data: JsonValue;
}

const KIND = 'delivery event';

/**
 * Parses a deliver-queue message body, or throws an `InvalidMessageError`. The result holds
 * exactly the documented fields, so what is signed and sent is the documented shape.
 */
export function parseDeliveryEvent(body: string): DeliveryEvent {
  const fields = MessageFields.parse(KIND, body);
  if (!fields.has('data')) fields.fail('"data" is missing');
  return {
    id: fields.string('id'),
    source: fields.string('source'),
    type: fields.string('type'),
    receivedAt: fields.timestamp('receivedAt'),
    processedAt: fields.timestamp('processedAt'),
    requestId: fields.nullableString('requestId'),
    data: fields.get('data'),
  };
}
