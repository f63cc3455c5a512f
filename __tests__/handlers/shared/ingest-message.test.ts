import { readIngestMessage } from '../../../src/handlers/shared/ingest-message';
import { sentTimestampMillis, stringAttributes } from '../../../src/handlers/shared/sqs-attributes';
import { buildSqsRecord } from '../../support/sqs-records';

describe('reading an ingest message', () => {
  it('reads source, request id, forwarded headers, body and receive time', () => {
    const record = buildSqsRecord({
      body: '{"a":1}',
      sentTimestamp: 1_700_000_000_123,
      messageAttributes: {
        source: 'github',
        'request-id': 'req-1',
        'x-hub-signature-256': 'sha256=abc',
        'x-github-event': 'push',
      },
    });
    const message = readIngestMessage(record);
    expect(message).toEqual({
      source: 'github',
      requestId: 'req-1',
      headers: new Map([
        ['x-hub-signature-256', 'sha256=abc'],
        ['x-github-event', 'push'],
      ]),
      forwardedHeaders: new Map([
        ['x-hub-signature-256', 'sha256=abc'],
        ['x-github-event', 'push'],
      ]),
      rawBody: '{"a":1}',
      receivedAtMillis: 1_700_000_000_123,
    });
  });

  it('matches attribute names case-insensitively', () => {
    const record = buildSqsRecord({
      body: '{}',
      messageAttributes: { Source: 'stripe', 'Request-Id': 'r', 'Stripe-Signature': 't=1,v1=00' },
    });
    const message = readIngestMessage(record);
    expect(message.source).toBe('stripe');
    expect(message.requestId).toBe('r');
    expect(message.headers.get('stripe-signature')).toBe('t=1,v1=00');
  });

  it('ignores attributes that are not forwarded headers, and empty values', () => {
    const record = buildSqsRecord({
      body: '{}',
      messageAttributes: { source: 'github', 'x-forwarded-for': '10.0.0.1', 'x-github-event': '' },
    });
    const message = readIngestMessage(record);
    expect([...message.headers.keys()]).toEqual([]);
    expect([...message.forwardedHeaders.keys()]).toEqual([]);
    expect(message.requestId).toBeUndefined();
  });

  it('keeps the forwarded headers under the names they arrived with, aliases included', () => {
    const record = buildSqsRecord({
      body: '{}',
      messageAttributes: { source: 'clerk', 'svix-id': 'msg_1', 'svix-signature': 'v1,abc', 'webhook-timestamp': '1700000000' },
    });
    const message = readIngestMessage(record);
    // Verification reads the unbranded names; the archive keeps what the provider sent.
    expect(Object.fromEntries(message.headers)).toEqual({
      'webhook-id': 'msg_1',
      'webhook-signature': 'v1,abc',
      'webhook-timestamp': '1700000000',
    });
    expect(Object.fromEntries(message.forwardedHeaders)).toEqual({
      'svix-id': 'msg_1',
      'svix-signature': 'v1,abc',
      'webhook-timestamp': '1700000000',
    });
  });

  it('leaves source undefined when the attribute is missing', () => {
    expect(readIngestMessage(buildSqsRecord({ body: '{}' })).source).toBeUndefined();
  });
});

describe('SQS attributes', () => {
  it('reads Number attributes as strings and skips binary ones', () => {
    const record = buildSqsRecord({ body: '' });
    record.messageAttributes = {
      count: { stringValue: '3', dataType: 'Number', stringListValues: [], binaryListValues: [] },
      blob: { binaryValue: 'AAEC', dataType: 'Binary', stringListValues: [], binaryListValues: [] },
    };
    expect(stringAttributes(record)).toEqual(new Map([['count', '3']]));
  });

  it('treats a record without message attributes as having none', () => {
    const record = buildSqsRecord({ body: '' });
    (record as { messageAttributes?: unknown }).messageAttributes = undefined;
    expect(stringAttributes(record).size).toBe(0);
  });

  it('reads SentTimestamp, and nothing from a missing or invalid one', () => {
    expect(sentTimestampMillis(buildSqsRecord({ body: '', sentTimestamp: 42 }))).toBe(42);
    expect(sentTimestampMillis(buildSqsRecord({ body: '', sentTimestamp: null }))).toBeUndefined();
    const invalid = buildSqsRecord({ body: '' });
    invalid.attributes.SentTimestamp = 'yesterday';
    expect(sentTimestampMillis(invalid)).toBeUndefined();
  });
});
