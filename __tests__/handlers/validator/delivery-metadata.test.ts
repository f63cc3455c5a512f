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
    ['shopify', { 'shopify-webhook-id': 'sh-2', 'shopify-topic': 'orders/paid' }, null, 'sh-2', 'orders/paid'],
    ['slack', {}, { type: 'event_callback', event_id: 'Ev1', event: { type: 'app_mention' } }, 'Ev1', 'app_mention'],
    ['paddle', {}, { event_id: 'evt_01h8', event_type: 'transaction.completed', data: {} }, 'evt_01h8', 'transaction.completed'],
    ['linear', { 'linear-delivery': 'ld-1', 'linear-event': 'Issue' }, { type: 'Comment' }, 'ld-1', 'Issue'],
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

  it('prefers Shopify’s X- headers when both spellings are present', () => {
    const entries = { 'x-shopify-webhook-id': 'a', 'shopify-webhook-id': 'b', 'x-shopify-topic': 't1', 'shopify-topic': 't2' };
    const input = { source: 's', scheme: 'shopify' as const, headers: headers(entries), rawBody: '{}', payload: null };
    expect([deliveryIdOf(input), eventTypeOf(input)]).toEqual(['a', 't1']);
  });

  it.each([
    ['a top-level type when the payload wraps no event', { type: 'url_verification', challenge: 'c' }, 'url_verification'],
    ['a top-level type when the event has no type', { type: 'event_callback', event: { user: 'U1' } }, 'event_callback'],
    ['a top-level type when event is not an object', { type: 'event_callback', event: 'app_mention' }, 'event_callback'],
    ['none from a payload without either', { token: 'x' }, null],
  ])('takes for Slack %s', (_name, payload, eventType) => {
    const rawBody = JSON.stringify(payload);
    const input = { source: 'team', scheme: 'slack' as const, headers: headers({}), rawBody, payload };
    expect(eventTypeOf(input)).toBe(eventType);
    // Without event_id (a URL verification, an interactive payload) the body hash stands in.
    expect(deliveryIdOf(input)).toBe(fallbackDeliveryId('team', rawBody));
  });

  it('takes Linear’s type from the payload without a Linear-Event header, and falls back without Linear-Delivery', () => {
    const input = {
      source: 'lin',
      scheme: 'linear' as const,
      headers: headers({}),
      rawBody: '{"type":"Issue"}',
      payload: { type: 'Issue' },
    };
    expect(eventTypeOf(input)).toBe('Issue');
    expect(deliveryIdOf(input)).toBe(fallbackDeliveryId('lin', '{"type":"Issue"}'));
  });

  it('falls back for Paddle without event_id', () => {
    const input = { source: 'pay', scheme: 'paddle' as const, headers: headers({}), rawBody: '{}', payload: {} };
    expect([deliveryIdOf(input), eventTypeOf(input)]).toEqual([fallbackDeliveryId('pay', '{}'), null]);
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
