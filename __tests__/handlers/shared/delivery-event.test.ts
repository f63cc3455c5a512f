import { type DeliveryEvent, parseDeliveryEvent } from '../../../src/handlers/shared/delivery-event';

const valid: DeliveryEvent = {
  id: 'd-1',
  source: 'shop',
  type: 'orders/create',
  receivedAt: '2026-01-01T00:00:00.000Z',
  processedAt: '2026-01-01T00:00:01.000Z',
  requestId: null,
  data: { id: 1 },
};

describe('parseDeliveryEvent', () => {
  it('round-trips an event and drops undocumented fields', () => {
    expect(parseDeliveryEvent(JSON.stringify({ ...valid, debug: 'x' }))).toEqual(valid);
  });

  it.each([
    ['missing data', { ...valid, data: undefined }, '"data" is missing'],
    ['missing id', { ...valid, id: undefined }, '"id" must be a non-empty string'],
    ['bad processedAt', { ...valid, processedAt: 'later' }, '"processedAt" must be an ISO-8601 timestamp'],
  ])('rejects %s', (_name, event, problem) => {
    expect(() => parseDeliveryEvent(JSON.stringify(event))).toThrow(`Not a valid delivery event: ${problem}`);
  });
});
