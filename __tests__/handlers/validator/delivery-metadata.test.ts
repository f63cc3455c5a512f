import { createHash } from 'node:crypto';
import type { ForwardedHeader } from '../../../src/handlers/shared/ingest-message';
import { deliveryIdOf, eventTypeOf, fallbackDeliveryId } from '../../../src/handlers/validator/delivery-metadata';

const headers = (entries: Record<string, string>): ReadonlyMap<ForwardedHeader, string> =>
  new Map(Object.entries(entries)) as ReadonlyMap<ForwardedHeader, string>;

describe('delivery id and event type', () => {
  it.each([
    ['github', { 'x-github-delivery': 'gh-1', 'x-github-event': 'push' }, null, 'gh-1', 'push'],
    ['shopify', { 'x-shopify-webhook-id': 'sh-1', 'x-shopify-topic': 'orders/create' }, null, 'sh-1', 'orders/create'],
    ['hmac-sha256', { 'x-webhook-id': 'g-1', 'x-webhook-event': 'build.done' }, null, 'g-1', 'build.done'],
    ['stripe', {}, { id: 'evt_1', type: 'charge.succeeded' }, 'evt_1', 'charge.succeeded'],
    [
      'standard-webhooks',
      { 'webhook-id': 'msg_1' },
      { type: 'user.created', timestamp: '2026-01-02T03:04:05Z', data: {} },
      'msg_1',
      'user.created',
    ],
  ] as const)('reads them for %s', (scheme, headerEntries, payload, deliveryId, eventType) => {
    const input = { source: 's', scheme, headers: headers(headerEntries), rawBody: '{}', payload };
    expect(deliveryIdOf(input)).toBe(deliveryId);
    expect(eventTypeOf(input)).toBe(eventType);
  });

  it('ignores the other schemes’ headers', () => {
    const input = { source: 's', scheme: 'github' as const, headers: headers({ 'x-webhook-id': 'g-1' }), rawBody: 'x', payload: null };
    expect(deliveryIdOf(input)).toBe(fallbackDeliveryId('s', 'x'));
    expect(eventTypeOf(input)).toBeNull();
  });

  it('takes no Standard Webhooks type from a header, and none from a payload without one', () => {
    const input = {
      source: 's',
      scheme: 'standard-webhooks' as const,
      headers: headers({ 'webhook-id': 'msg_1', 'x-webhook-event': 'build.done' }),
      rawBody: '{}',
      payload: { data: { type: 'nested' } },
    };
    expect(deliveryIdOf(input)).toBe('msg_1');
    expect(eventTypeOf(input)).toBeNull();
  });

  it.each([
    ['a payload without id', { object: 'event' }],
    ['a payload that is not an object', ['evt_1']],
  ])('falls back to a hash of source and body for Stripe with %s', (_name, payload) => {
    const input = { source: 'billing', scheme: 'stripe' as const, headers: headers({}), rawBody: JSON.stringify(payload), payload };
    expect(deliveryIdOf(input)).toBe(
      createHash('sha256')
        .update(`billing\n${JSON.stringify(payload)}`)
        .digest('hex'),
    );
    expect(eventTypeOf(input)).toBeNull();
  });

  it('hashes source and body separated by a newline', () => {
    // printf 'src\n{}' | openssl dgst -sha256
    expect(fallbackDeliveryId('src', '{}')).toBe('d7f57c312c0af09db022bcd8dac272aed19f4c1e4f4ad9198c3a781a17ca7d00');
  });
});
