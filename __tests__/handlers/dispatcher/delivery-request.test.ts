import { createHmac, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { buildDeliveryRequest, headerValue } from '../../../src/handlers/dispatcher/delivery-request';
import { InvalidSecretError, signingKey } from '../../../src/handlers/dispatcher/signing';
import type { DeliveryEvent } from '../../../src/handlers/shared/delivery-event';

const body = '{"n": 12345678901234567890123, "s":"é\\u00e9\\n",  "k": [1 , 2]}\n';
const event: DeliveryEvent = {
  version: 2,
  destination: 'default',
  id: 'evt_1',
  source: 'stripe',
  type: 'invoice.paid',
  receivedAt: '2026-01-01T00:00:00.000Z',
  processedAt: '2026-01-01T00:00:01.000Z',
  requestId: 'req-1',
  body,
};
const WHSEC = `whsec_${randomBytes(24).toString('base64')}`;
const RAW = 'raw-secret-0.1.0';
const nowMs = Date.now();
const info = { attempt: 3, nowMs, secretParameter: '/p' };

describe('buildDeliveryRequest', () => {
  it('sends the body as it is and every header of the contract', () => {
    const request = buildDeliveryRequest(event, [RAW], info);
    expect(request.body).toBe(body);
    expect(request.headers).toEqual({
      'content-type': 'application/json',
      'user-agent': 'webhook-pipeline',
      'webhook-id': 'stripe:evt_1',
      'webhook-timestamp': String(Math.floor(nowMs / 1000)),
      'webhook-signature': expect.stringMatching(/^v1,[A-Za-z0-9+/]{43}=$/),
      'x-webhook-id': 'evt_1',
      'x-signature-256': `sha256=${createHmac('sha256', RAW).update(body, 'utf8').digest('hex')}`,
      'x-webhook-source': 'stripe',
      'x-webhook-event-type': 'invoice.paid',
      'x-webhook-received-at': '2026-01-01T00:00:00.000Z',
      'x-webhook-request-id': 'req-1',
      'x-webhook-attempt': '3',
    });
  });

  it('leaves out the request id when there is none', () => {
    expect(buildDeliveryRequest({ ...event, requestId: null }, [RAW], info).headers).not.toHaveProperty('x-webhook-request-id');
  });

  it('keeps webhook-id across attempts and stamps each attempt with its own time', () => {
    const first = buildDeliveryRequest(event, [RAW], { ...info, attempt: 1 });
    const later = buildDeliveryRequest(event, [RAW], { ...info, attempt: 2, nowMs: nowMs + 3_600_000 });
    expect(later.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(Number(later.headers['webhook-timestamp']) - Number(first.headers['webhook-timestamp'])).toBe(3_600);
    expect(later.headers['webhook-signature']).not.toBe(first.headers['webhook-signature']);
  });

  describe('verified by the standardwebhooks library', () => {
    it('with a whsec_ secret', () => {
      const { headers, body: sent } = buildDeliveryRequest(event, [WHSEC], info);
      expect(new Webhook(WHSEC).verify(sent, headers)).toEqual(JSON.parse(body));
    });

    it('with a raw secret, as format raw', () => {
      const { headers, body: sent } = buildDeliveryRequest(event, [RAW], info);
      expect(() => new Webhook(RAW, { format: 'raw' }).verify(sent, headers)).not.toThrow();
    });

    it('with a non-ASCII raw secret, given to the library as its UTF-8 bytes', () => {
      const secret = 'clé-secrète';
      const { headers, body: sent } = buildDeliveryRequest(event, [secret], info);
      expect(() => new Webhook(Buffer.from(secret, 'utf8'), { format: 'raw' }).verify(sent, headers)).not.toThrow();
    });

    it('during a rotation, by a receiver holding either secret', () => {
      const { headers, body: sent } = buildDeliveryRequest(event, [WHSEC, RAW], info);
      expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
      expect(() => new Webhook(WHSEC).verify(sent, headers)).not.toThrow();
      expect(() => new Webhook(RAW, { format: 'raw' }).verify(sent, headers)).not.toThrow();
      expect(() => new Webhook(`whsec_${randomBytes(24).toString('base64')}`).verify(sent, headers)).toThrow('No matching signature found');
      // The 0.1.0 signature uses the current (first) secret's text.
      expect(headers['x-signature-256']).toBe(`sha256=${createHmac('sha256', WHSEC).update(body, 'utf8').digest('hex')}`);
    });

    it('but not once the body is tampered with', () => {
      const { headers } = buildDeliveryRequest(event, [WHSEC], info);
      expect(() => new Webhook(WHSEC).verify(body.replace('12345', '12346'), headers)).toThrow('No matching signature found');
      expect(() => new Webhook(WHSEC).verify(body.trim(), headers)).toThrow('No matching signature found');
    });

    it('with ids that need encoding, signed as sent', () => {
      const odd = { ...event, source: 'shop', id: ' ид\r\n1 ', type: 'orders/créé' };
      const { headers, body: sent } = buildDeliveryRequest(odd, [WHSEC], info);
      expect(headers['webhook-id']).toBe('shop%3A%20%D0%B8%D0%B4%0D%0A1%20');
      expect(headers['x-webhook-event-type']).toBe('orders%2Fcr%C3%A9%C3%A9');
      expect(() => new Webhook(WHSEC).verify(sent, headers)).not.toThrow();
    });
  });

  it('refuses a whsec_ secret that is not base64, naming the parameter', () => {
    expect(() => buildDeliveryRequest(event, ['whsec_not*base64'], info)).toThrow(InvalidSecretError);
    expect(() => signingKey('whsec_', '/p')).toThrow('a secret in SSM parameter /p starts with "whsec_" but the rest is not base64');
  });
});

describe('headerValue', () => {
  it('keeps printable ASCII, inner spaces included, as is', () => {
    expect(headerValue('a b:c/d%e')).toBe('a b:c/d%e');
  });

  it('percent-encodes anything else as UTF-8, lone surrogates as U+FFFD', () => {
    expect(headerValue('é')).toBe('%C3%A9');
    expect(headerValue(' x')).toBe('%20x');
    expect(headerValue('\ud800')).toBe('%EF%BF%BD');
  });
});
