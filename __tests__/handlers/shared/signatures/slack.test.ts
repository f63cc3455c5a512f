import { verifySlack } from '../../../../src/handlers/shared/signatures/slack';
import { slackHeaders } from './provider-requests';
import { SLACK_DOCS_VECTOR, SLACK_EVENT_VECTOR } from './vectors';

// @slack/bolt (Slack's own verifier) is too heavy to install for a test: the vectors are Slack's
// documented example and one computed with `openssl dgst -sha256 -hmac` (vectors.ts).
const at = (timestamp: string, toleranceSeconds = 300) => ({ nowSeconds: Number(timestamp) + 10, toleranceSeconds });
const docs = { signature: SLACK_DOCS_VECTOR.header, timestamp: SLACK_DOCS_VECTOR.timestamp };
const event = { signature: SLACK_EVENT_VECTOR.header, timestamp: SLACK_EVENT_VECTOR.timestamp };

describe('Slack signatures', () => {
  it("accepts the example of Slack's documentation", () => {
    expect(verifySlack(docs, SLACK_DOCS_VECTOR.body, SLACK_DOCS_VECTOR.secret, at(docs.timestamp))).toEqual({ valid: true });
  });

  it('accepts the openssl vector of an Events API callback', () => {
    expect(verifySlack(event, SLACK_EVENT_VECTOR.body, SLACK_EVENT_VECTOR.secret, at(event.timestamp))).toEqual({ valid: true });
  });

  it('agrees with the test helper that signs requests', () => {
    expect(slackHeaders(SLACK_DOCS_VECTOR.secret, SLACK_DOCS_VECTOR.timestamp, SLACK_DOCS_VECTOR.body)['x-slack-signature']).toBe(
      SLACK_DOCS_VECTOR.header,
    );
  });

  it('accepts upper-case hex', () => {
    const upper = { ...event, signature: `v0=${event.signature.slice(3).toUpperCase()}` };
    expect(verifySlack(upper, SLACK_EVENT_VECTOR.body, SLACK_EVENT_VECTOR.secret, at(event.timestamp)).valid).toBe(true);
  });

  it.each([
    ['a tampered body', { ...event }, SLACK_EVENT_VECTOR.body.replace('hi', 'HI'), SLACK_EVENT_VECTOR.secret],
    ['a tampered timestamp, which is signed', { ...event, timestamp: '1700000001' }, SLACK_EVENT_VECTOR.body, SLACK_EVENT_VECTOR.secret],
    ['another secret', { ...event }, SLACK_EVENT_VECTOR.body, 'guessed'],
  ])('rejects %s', (_name, headers, body, secret) => {
    expect(verifySlack(headers, body, secret, at(event.timestamp))).toEqual({ valid: false, reason: 'bad-signature' });
  });

  it.each([
    ['too old', Number(event.timestamp) + 301],
    ['too far in the future', Number(event.timestamp) - 301],
  ])('rejects a timestamp %s as stale', (_name, nowSeconds) => {
    expect(verifySlack(event, SLACK_EVENT_VECTOR.body, SLACK_EVENT_VECTOR.secret, { nowSeconds, toleranceSeconds: 300 })).toEqual({
      valid: false,
      reason: 'stale-timestamp',
    });
  });

  it('accepts a timestamp exactly at the tolerance', () => {
    const nowSeconds = Number(event.timestamp) + 300;
    expect(verifySlack(event, SLACK_EVENT_VECTOR.body, SLACK_EVENT_VECTOR.secret, { nowSeconds, toleranceSeconds: 300 }).valid).toBe(true);
  });

  it('reports a forged request with a stale timestamp as forged', () => {
    const forged = slackHeaders('guessed', 1, SLACK_EVENT_VECTOR.body);
    const headers = { signature: forged['x-slack-signature'], timestamp: '1' };
    expect(verifySlack(headers, SLACK_EVENT_VECTOR.body, SLACK_EVENT_VECTOR.secret, at(event.timestamp))).toEqual({
      valid: false,
      reason: 'bad-signature',
    });
  });

  it.each([
    ['a missing signature', { signature: '' }],
    ['a missing timestamp', { timestamp: '' }],
    ['a signature without v0=', { signature: event.signature.slice(3) }],
    ['a v1= signature', { signature: `v1=${event.signature.slice(3)}` }],
    ['a truncated digest', { signature: event.signature.slice(0, 40) }],
    ['a base64 digest', { signature: `v0=${Buffer.from(event.signature.slice(3), 'hex').toString('base64')}` }],
    ['a timestamp in milliseconds with a fraction', { timestamp: `${event.timestamp}.5` }],
    ['a negative timestamp', { timestamp: `-${event.timestamp}` }],
    ['an ISO timestamp', { timestamp: '2023-11-14T22:13:20Z' }],
  ])('reports %s as malformed', (_name, change) => {
    expect(verifySlack({ ...event, ...change }, SLACK_EVENT_VECTOR.body, SLACK_EVENT_VECTOR.secret, at(event.timestamp))).toEqual({
      valid: false,
      reason: 'malformed-signature',
    });
  });
});
