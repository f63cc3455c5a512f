import { DELIVERY_EVENT_VERSION, type DeliveryEvent, parseDeliveryEvent } from '../../../src/handlers/shared/delivery-event';

const valid: DeliveryEvent = {
  version: 2,
  destination: 'orders',
  id: 'd-1',
  source: 'shop',
  type: 'orders/create',
  receivedAt: '2026-01-01T00:00:00.000Z',
  processedAt: '2026-01-01T00:00:01.000Z',
  requestId: null,
  body: '{"id": 1.0, "total":"10.00" }',
};

describe('parseDeliveryEvent', () => {
  it('round-trips a version 2 event, keeping the body text as it is, and drops undocumented fields', () => {
    expect(DELIVERY_EVENT_VERSION).toBe(2);
    expect(parseDeliveryEvent(JSON.stringify({ ...valid, debug: 'x' }))).toEqual(valid);
    expect(parseDeliveryEvent(JSON.stringify({ ...valid, requestId: 'req-1' })).requestId).toBe('req-1');
  });

  it('keeps a body that is not JSON, or empty: it is the provider’s, not ours to judge', () => {
    expect(parseDeliveryEvent(JSON.stringify({ ...valid, body: 'a=1&b=2' })).body).toBe('a=1&b=2');
    expect(parseDeliveryEvent(JSON.stringify({ ...valid, body: '' })).body).toBe('');
  });

  it('reads a version 1 (0.1.0) event still queued as one for the default destination, its data serialized', () => {
    const { version: _version, destination: _destination, body: _body, ...rest } = valid;
    expect(parseDeliveryEvent(JSON.stringify({ ...rest, data: { id: 1, total: '10.00' } }))).toEqual({
      ...valid,
      destination: 'default',
      body: '{"id":1,"total":"10.00"}',
    });
    expect(parseDeliveryEvent(JSON.stringify({ ...rest, data: null })).body).toBe('null');
  });

  it('reads a replay’s webhook id and replay id, and leaves both out of the pipeline’s own events', () => {
    const replay = { ...valid, webhookId: 'shop:d-1:replay-rp_1', replayId: 'rp_1' };
    expect(parseDeliveryEvent(JSON.stringify(replay))).toEqual(replay);
    const own = parseDeliveryEvent(JSON.stringify(valid));
    expect(own).not.toHaveProperty('webhookId');
    expect(own).not.toHaveProperty('replayId');
    expect(parseDeliveryEvent(JSON.stringify({ ...valid, webhookId: null, replayId: null }))).toEqual(valid);
  });

  it.each([
    ['an empty webhook id', { ...valid, webhookId: '' }, '"webhookId" must be a non-empty string'],
    ['a numeric replay id', { ...valid, replayId: 7 }, '"replayId" must be a non-empty string'],
    ['an unknown version', { ...valid, version: 3 }, '"version" must be 2'],
    ['no body', { ...valid, body: undefined }, '"body" is missing'],
    ['a parsed body', { ...valid, body: { id: 1 } }, '"body" must be a string'],
    ['no destination', { ...valid, destination: undefined }, '"destination" must be a non-empty string'],
    ['version 1 without data', { ...valid, version: undefined, body: undefined }, '"data" is missing'],
    ['missing id', { ...valid, id: undefined }, '"id" must be a non-empty string'],
    ['bad processedAt', { ...valid, processedAt: 'later' }, '"processedAt" must be an ISO-8601 timestamp'],
  ])('rejects %s', (_name, event, problem) => {
    expect(() => parseDeliveryEvent(JSON.stringify(event))).toThrow(`Not a valid delivery event: ${problem}`);
  });
});
