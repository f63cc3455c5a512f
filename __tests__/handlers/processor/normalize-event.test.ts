import { deriveEventType, idempotencyKeyOf, normalizeEvent, UNKNOWN_EVENT_TYPE } from '../../../src/handlers/processor/normalize-event';
import type { ProcessEnvelope } from '../../../src/handlers/shared/process-envelope';

const envelope: ProcessEnvelope = {
  version: 1,
  source: 'shop',
  scheme: 'shopify',
  deliveryId: 'sh-1',
  eventType: 'orders/create',
  receivedAt: '2026-01-01T00:00:00.000Z',
  requestId: 'req-1',
  payload: { id: 5, type: 'ignored' },
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
  ])('falls back to the payload %j → %s', (payload, expected) => {
    expect(deriveEventType({ eventType: null, payload })).toBe(expected);
  });
});

describe('normalizeEvent', () => {
  it('maps the envelope to the delivery event', () => {
    expect(normalizeEvent(envelope, new Date('2026-01-01T00:00:02.500Z'))).toEqual({
      id: 'sh-1',
      source: 'shop',
      type: 'orders/create',
      receivedAt: '2026-01-01T00:00:00.000Z',
      processedAt: '2026-01-01T00:00:02.500Z',
      requestId: 'req-1',
      data: { id: 5, type: 'ignored' },
    });
  });

  it('keys idempotency on source and delivery id', () => {
    expect(idempotencyKeyOf(envelope)).toBe('shop#sh-1');
    expect(idempotencyKeyOf({ ...envelope, source: 'other' })).not.toBe(idempotencyKeyOf(envelope));
  });
});
