import { deriveEventType, idempotencyKeyOf, normalizeEvent, UNKNOWN_EVENT_TYPE } from '../../../src/handlers/processor/normalize-event';
import { parseDeliveryEvent } from '../../../src/handlers/shared/delivery-event';
import type { ProcessEnvelope } from '../../../src/handlers/shared/process-envelope';

const envelope: ProcessEnvelope = {
  version: 2,
  source: 'shop',
  scheme: 'shopify',
  deliveryId: 'sh-1',
  eventType: 'orders/create',
  receivedAt: '2026-01-01T00:00:00.000Z',
  requestId: 'req-1',
  body: '{"id": 5, "type": "ignored"}',
};

describe('deriveEventType', () => {
  it('prefers the envelope’s event type', () => {
    expect(deriveEventType(envelope)).toBe('orders/create');
  });

  it.each([
    [{ type: 't', event: 'e', action: 'a' }, 't'],
    [{ event: 'e', action: 'a' }, 'e'],
    [{ action: 'opened' }, 'opened'],
    [{ type: '', action: 'opened' }, 'opened'],
    [{ type: 3 }, UNKNOWN_EVENT_TYPE],
    [['type'], UNKNOWN_EVENT_TYPE],
    [null, UNKNOWN_EVENT_TYPE],
  ])('falls back to the body %j → %s', (payload, expected) => {
    expect(deriveEventType({ eventType: null, body: JSON.stringify(payload) })).toBe(expected);
  });

  it('reads a body that is not JSON (only a hand-made envelope has one) as of unknown type', () => {
    expect(deriveEventType({ eventType: null, body: 'type=push' })).toBe(UNKNOWN_EVENT_TYPE);
  });
});

describe('normalizeEvent', () => {
  it('maps the envelope to the delivery event for one destination, the body untouched', () => {
    const event = normalizeEvent(envelope, {
      destination: 'crm',
      type: 'orders/create',
      processedAt: new Date('2026-01-01T00:00:02.500Z'),
    });
    expect(event).toEqual({
      version: 2,
      destination: 'crm',
      id: 'sh-1',
      source: 'shop',
      type: 'orders/create',
      receivedAt: '2026-01-01T00:00:00.000Z',
      processedAt: '2026-01-01T00:00:02.500Z',
      requestId: 'req-1',
      body: '{"id": 5, "type": "ignored"}',
    });
    expect(parseDeliveryEvent(JSON.stringify(event))).toEqual(event);
  });

  it('keys idempotency on source and delivery id', () => {
    expect(idempotencyKeyOf(envelope)).toBe('shop#sh-1');
    expect(idempotencyKeyOf({ ...envelope, source: 'other' })).not.toBe(idempotencyKeyOf(envelope));
  });
});
