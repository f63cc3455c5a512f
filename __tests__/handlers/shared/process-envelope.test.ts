import { InvalidMessageError } from '../../../src/handlers/shared/invalid-message-error';
import { parseProcessEnvelope, type ProcessEnvelope } from '../../../src/handlers/shared/process-envelope';

const valid: ProcessEnvelope = {
  version: 2,
  source: 'github',
  scheme: 'github',
  deliveryId: 'd-1',
  eventType: 'push',
  receivedAt: '2026-01-01T00:00:00.000Z',
  requestId: 'req-1',
  body: '{"ref": "refs/heads/main"}',
  headers: { 'x-github-event': 'push', 'x-github-delivery': 'd-1' },
};

describe('parseProcessEnvelope', () => {
  it('round-trips an envelope', () => {
    expect(parseProcessEnvelope(JSON.stringify(valid))).toEqual(valid);
  });

  it('accepts null event type and request id, and any body text', () => {
    const envelope = { ...valid, eventType: null, requestId: null, body: '' };
    expect(parseProcessEnvelope(JSON.stringify(envelope))).toEqual(envelope);
  });

  it('keeps the body byte for byte: big numbers, whitespace, escapes and non-ASCII', () => {
    const body = '{ "n" : 12345678901234567890123,\n\t"s": "a\\"b\\u00e9", "é": "😀", "x": 1.0e+2 }  ';
    expect(parseProcessEnvelope(JSON.stringify({ ...valid, body })).body).toBe(body);
  });

  it('reads a version 1 envelope, still queued from before an upgrade, with its payload serialized again', () => {
    const { body: _body, ...rest } = valid;
    const legacy = { ...rest, version: 1, payload: { ref: 'refs/heads/main', n: 1 } };
    expect(parseProcessEnvelope(JSON.stringify(legacy))).toEqual({ ...valid, body: '{"ref":"refs/heads/main","n":1}' });
  });

  it('reads an envelope without headers, queued before the archive, as having none', () => {
    const { headers: _headers, ...old } = valid;
    expect(parseProcessEnvelope(JSON.stringify(old))).toEqual({ ...old, headers: {} });
  });

  it('keeps only the documented fields', () => {
    expect(parseProcessEnvelope(JSON.stringify({ ...valid, extra: true }))).not.toHaveProperty('extra');
  });

  it.each([
    ['a body that is not JSON', 'not json', 'body is not JSON'],
    ['a JSON array', '[]', 'body is not a JSON object'],
    ['another version', JSON.stringify({ ...valid, version: 3 }), '"version" must be 2'],
    ['an unknown scheme', JSON.stringify({ ...valid, scheme: 'paypal' }), 'unknown scheme "paypal"'],
    ['a missing body', JSON.stringify({ ...valid, body: undefined }), '"body" is missing'],
    ['a body that is not a string', JSON.stringify({ ...valid, body: { ref: 'x' } }), '"body" must be a string'],
    ['a version 1 envelope without payload', JSON.stringify({ ...valid, version: 1 }), '"payload" is missing'],
    ['an empty delivery id', JSON.stringify({ ...valid, deliveryId: '' }), '"deliveryId" must be a non-empty string'],
    ['a numeric source', JSON.stringify({ ...valid, source: 7 }), '"source" must be a non-empty string'],
    ['a bad timestamp', JSON.stringify({ ...valid, receivedAt: 'soon' }), '"receivedAt" must be an ISO-8601 timestamp'],
    ['a numeric event type', JSON.stringify({ ...valid, eventType: 1 }), '"eventType" must be a non-empty string'],
    ['headers that are a list', JSON.stringify({ ...valid, headers: ['x-github-event'] }), '"headers" must be an object of strings'],
    [
      'a header that is not a string',
      JSON.stringify({ ...valid, headers: { 'x-github-event': 1 } }),
      '"headers" must be an object of strings',
    ],
    ['null headers', JSON.stringify({ ...valid, headers: null }), '"headers" must be an object of strings'],
  ])('rejects %s as an invalid message', (_name, body, problem) => {
    expect(() => parseProcessEnvelope(body)).toThrow(new InvalidMessageError('process envelope', problem));
  });

  it('labels the error for failure logs', () => {
    const error = new InvalidMessageError('process envelope', 'x');
    expect(error).toMatchObject({ name: 'InvalidMessageError', reason: 'invalid-message', kind: 'process envelope', problem: 'x' });
    expect(error.message).toBe('Not a valid process envelope: x');
  });
});
