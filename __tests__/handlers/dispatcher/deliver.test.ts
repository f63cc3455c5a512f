import { createHmac } from 'node:crypto';
import { buildDeliveryRequest, DeliveryError, postDelivery } from '../../../src/handlers/dispatcher/deliver';
import type { DeliveryEvent } from '../../../src/handlers/shared/delivery-event';
import { type HttpTarget, startHttpTarget } from '../../support/http-target';

const event: DeliveryEvent = {
  id: 'd-1',
  source: 'gh',
  type: 'push',
  receivedAt: '2026-01-01T00:00:00.000Z',
  processedAt: '2026-01-01T00:00:01.000Z',
  requestId: 'req-1',
  data: { ref: 'refs/heads/main' },
};

describe('buildDeliveryRequest', () => {
  it('signs the exact body with HMAC-SHA256 and names the delivery', () => {
    const request = buildDeliveryRequest(event, 'delivery-secret');
    expect(JSON.parse(request.body)).toEqual(event);
    expect(request.headers).toEqual({
      'content-type': 'application/json',
      'x-signature-256': `sha256=${createHmac('sha256', 'delivery-secret').update(request.body).digest('hex')}`,
      'x-webhook-id': 'd-1',
    });
  });
});

describe('postDelivery', () => {
  let target: HttpTarget;
  const request = buildDeliveryRequest(event, 'delivery-secret');

  beforeAll(async () => {
    target = await startHttpTarget();
  });
  afterAll(() => target.close());
  beforeEach(() => {
    target.requests.length = 0;
  });

  it('POSTs the body and headers and resolves with the 2xx status', async () => {
    target.respondWith(202);
    await expect(postDelivery(`${target.url}/hooks`, request, 2_000)).resolves.toBe(202);
    expect(target.requests).toHaveLength(1);
    const [received] = target.requests;
    expect(received).toMatchObject({ method: 'POST', path: '/hooks', body: request.body });
    expect(received.headers).toMatchObject(request.headers);
  });

  it.each([500, 404, 302])('fails on status %i', async (status) => {
    target.respondWith(status);
    await expect(postDelivery(target.url, request, 2_000)).rejects.toMatchObject({
      name: 'DeliveryError',
      reason: 'delivery-rejected',
      message: `the delivery target answered ${status}`,
    });
    expect(target.requests).toHaveLength(1);
  });

  it('fails when the target does not answer in time', async () => {
    target.respondWith('hang');
    const started = Date.now();
    const failure = postDelivery(target.url, request, 200);
    await expect(failure).rejects.toBeInstanceOf(DeliveryError);
    await expect(failure).rejects.toMatchObject({ reason: 'delivery-timeout' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('fails when nothing listens at the URL', async () => {
    const closed = await startHttpTarget();
    await closed.close();
    await expect(postDelivery(closed.url, request, 2_000)).rejects.toMatchObject({ reason: 'delivery-unreachable' });
  });
});
