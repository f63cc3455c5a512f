import { buildDeliveryRequest } from '../../../src/handlers/dispatcher/delivery-request';
import { postDelivery } from '../../../src/handlers/dispatcher/post-delivery';
import type { DeliveryEvent } from '../../../src/handlers/shared/delivery-event';
import { type Receiver, startReceiver } from '../../support/receiver';

/** Big numbers, escapes, non-ASCII and odd spacing: anything a parse and re-serialize would change. */
const BODY = '{"n": 12345678901234567890123, "s":"é\\u00e9\\n",  "k": [1 , 2]}\r\n\t';
const event: DeliveryEvent = {
  version: 2,
  destination: 'default',
  id: 'evt_1',
  source: 'stripe',
  type: 'invoice.paid',
  receivedAt: '2026-01-01T00:00:00.000Z',
  processedAt: '2026-01-01T00:00:01.000Z',
  requestId: null,
  body: BODY,
};
const request = buildDeliveryRequest(event, ['secret'], { attempt: 1, nowMs: Date.now(), secretParameter: '/p' });

describe('postDelivery', () => {
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(() => receiver.close());
  beforeEach(() => receiver.reset());

  it('POSTs the headers and the body byte for byte, and reports 2xx as delivered', async () => {
    receiver.answer({ status: 204 });
    await expect(postDelivery(`${receiver.url}/hooks`, request, 2_000)).resolves.toEqual({ kind: 'delivered', status: 204 });
    expect(receiver.requests).toHaveLength(1);
    const [received] = receiver.requests;
    expect(received.path).toBe('/hooks');
    expect(received.raw.equals(Buffer.from(BODY, 'utf8'))).toBe(true);
    expect(received.headers).toMatchObject(request.headers);
  });

  it('reports 410 as gone', async () => {
    receiver.answer({ status: 410 });
    await expect(postDelivery(receiver.url, request, 2_000)).resolves.toEqual({ kind: 'gone', status: 410 });
  });

  it.each([500, 404, 400, 302])('reports %i as rejected, not following redirects', async (status) => {
    receiver.answer({ status, headers: status === 302 ? { location: `${receiver.url}/elsewhere` } : {} });
    await expect(postDelivery(receiver.url, request, 2_000)).resolves.toEqual({
      kind: 'failed',
      reason: 'delivery-rejected',
      status,
      detail: `the destination answered ${status}`,
    });
    expect(receiver.requests).toHaveLength(1);
  });

  it.each([
    ['seconds', '30'],
    ['an HTTP-date', 'Thu, 01 Jan 2099 00:00:00 GMT'],
  ])('passes on Retry-After in %s', async (_form, value) => {
    receiver.answer({ status: 429, headers: { 'retry-after': value } });
    await expect(postDelivery(receiver.url, request, 2_000)).resolves.toMatchObject({ kind: 'failed', status: 429, retryAfter: value });
  });

  it('reports no answer in time as a timeout', async () => {
    receiver.answer('hang');
    await expect(postDelivery(receiver.url, request, 150)).resolves.toEqual({
      kind: 'failed',
      reason: 'delivery-timeout',
      detail: 'no answer within 150 ms',
    });
  });

  it('reports a closed port as unreachable, with the system error', async () => {
    const closed = await startReceiver();
    await closed.close();
    await expect(postDelivery(closed.url, request, 2_000)).resolves.toMatchObject({
      kind: 'failed',
      reason: 'delivery-unreachable',
      detail: expect.stringContaining('ECONNREFUSED'),
    });
  });

  it('reports a URL fetch refuses outright as unreachable', async () => {
    await expect(postDelivery('http://exa mple.com/', request, 2_000)).resolves.toMatchObject({
      kind: 'failed',
      reason: 'delivery-unreachable',
      detail: expect.any(String),
    });
  });

  it("reports a request fetch refuses to send as unreachable, with fetch's own message", async () => {
    const malformed = { ...request, headers: { ...request.headers, 'x-broken': 'a\nb' } };
    await expect(postDelivery(receiver.url, malformed, 2_000)).resolves.toMatchObject({
      reason: 'delivery-unreachable',
      detail: expect.stringContaining('invalid header value'),
    });
    expect(receiver.requests).toHaveLength(0);
  });
});
