import { parseStripeSignature, verifyStripe } from '../../../../src/handlers/shared/signatures/stripe';
import { STRIPE_VECTOR } from './vectors';

const { secret, body, timestamp, v1 } = STRIPE_VECTOR;
const OTHER_DIGEST = 'a'.repeat(64);
const onTime = { nowSeconds: timestamp + 10, toleranceSeconds: 300 };

describe('Stripe signatures', () => {
  it('accepts the openssl vector', () => {
    expect(verifyStripe(`t=${timestamp},v1=${v1}`, body, secret, onTime)).toEqual({ valid: true });
  });

  it('accepts a header with several v1 values when any one matches', () => {
    const header = `t=${timestamp},v1=${OTHER_DIGEST},v1=${v1},v0=${OTHER_DIGEST}`;
    expect(verifyStripe(header, body, secret, onTime)).toEqual({ valid: true });
  });

  it('tolerates spaces around elements', () => {
    expect(verifyStripe(`t=${timestamp}, v1=${v1}`, body, secret, onTime).valid).toBe(true);
  });

  it('rejects a header whose v1 values all differ', () => {
    const header = `t=${timestamp},v1=${OTHER_DIGEST},v1=${'b'.repeat(64)}`;
    expect(verifyStripe(header, body, secret, onTime)).toEqual({ valid: false, reason: 'bad-signature' });
  });

  it('never trusts v0, even when it holds the right digest', () => {
    expect(verifyStripe(`t=${timestamp},v0=${v1}`, body, secret, onTime)).toEqual({
      valid: false,
      reason: 'malformed-signature',
    });
  });

  it('rejects a tampered body', () => {
    expect(verifyStripe(`t=${timestamp},v1=${v1}`, body.replace('succeeded', 'failed'), secret, onTime)).toEqual({
      valid: false,
      reason: 'bad-signature',
    });
  });

  it('rejects a tampered timestamp, which is part of the signed bytes', () => {
    expect(verifyStripe(`t=${timestamp + 1},v1=${v1}`, body, secret, { nowSeconds: timestamp, toleranceSeconds: 300 })).toEqual({
      valid: false,
      reason: 'bad-signature',
    });
  });

  it('rejects a signature made with another secret', () => {
    expect(verifyStripe(`t=${timestamp},v1=${v1}`, body, 'whsec_other', onTime).valid).toBe(false);
  });

  it.each([
    ['too old', timestamp + 301],
    ['too far in the future', timestamp - 301],
  ])('rejects a timestamp %s as stale', (_name, nowSeconds) => {
    expect(verifyStripe(`t=${timestamp},v1=${v1}`, body, secret, { nowSeconds, toleranceSeconds: 300 })).toEqual({
      valid: false,
      reason: 'stale-timestamp',
    });
  });

  it('accepts a timestamp exactly at the tolerance', () => {
    const atEdge = { nowSeconds: timestamp + 300, toleranceSeconds: 300 };
    expect(verifyStripe(`t=${timestamp},v1=${v1}`, body, secret, atEdge).valid).toBe(true);
  });

  it.each([
    ['no timestamp', `v1=${v1}`],
    ['no v1', `t=${timestamp}`],
    ['two timestamps', `t=${timestamp},t=${timestamp},v1=${v1}`],
    ['a non-numeric timestamp', `t=yesterday,v1=${v1}`],
    ['a truncated v1', `t=${timestamp},v1=${v1.slice(0, 40)}`],
    ['an element without "="', `t=${timestamp},v1`],
    ['an element with an empty key', `t=${timestamp},=${v1}`],
    ['a trailing comma', `t=${timestamp},v1=${v1},`],
    ['an empty value', ''],
  ])('reports %s as malformed', (_name, header) => {
    expect(verifyStripe(header, body, secret, onTime)).toEqual({ valid: false, reason: 'malformed-signature' });
  });

  it('parses the timestamp and every v1 digest', () => {
    const parsed = parseStripeSignature(`t=${timestamp},v1=${v1},v1=${OTHER_DIGEST}`);
    expect(parsed?.timestamp).toBe(timestamp);
    expect(parsed?.v1.map((digest) => digest.toString('hex'))).toEqual([v1, OTHER_DIGEST]);
  });
});
