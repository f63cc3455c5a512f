import { Webhook } from 'standardwebhooks';
import {
  parseStandardWebhooksSignature,
  type StandardWebhooksHeaders,
  standardWebhooksKey,
  verifyStandardWebhooks,
} from '../../../../src/handlers/shared/signatures/standard-webhooks';
import { OTHER_SECRET, SECRET, signStandardWebhook, type StandardWebhookHeaders } from './standard-webhooks-requests';

const T = 1_767_323_045;
const onTime = { nowSeconds: T + 10, toleranceSeconds: 300 };
const DIGEST = Buffer.alloc(32, 7).toString('base64');

const toVerified = (headers: StandardWebhookHeaders): StandardWebhooksHeaders => ({
  id: headers['webhook-id'],
  timestamp: headers['webhook-timestamp'],
  signature: headers['webhook-signature'],
});

function signed(options: Partial<Parameters<typeof signStandardWebhook>[0]> = {}) {
  const { body, headers } = signStandardWebhook({ secret: SECRET, id: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', timestamp: T, ...options });
  return { body, headers, verified: toVerified(headers) };
}

describe('Standard Webhooks signatures (signed by the reference library)', () => {
  it('accepts a genuine request', () => {
    const { body, verified } = signed();
    expect(verifyStandardWebhooks(verified, body, SECRET, onTime)).toEqual({ valid: true });
  });

  it('accepts several signatures when one matches, as while a secret is rolled', () => {
    const { body, verified } = signed({ otherSecrets: [OTHER_SECRET] });
    expect(verified.signature.split(' ')).toHaveLength(2);
    expect(verifyStandardWebhooks(verified, body, SECRET, onTime)).toEqual({ valid: true });
    expect(verifyStandardWebhooks(verified, body, OTHER_SECRET, onTime)).toEqual({ valid: true });
  });

  it('skips entries of other versions when a v1 matches', () => {
    const { body, verified } = signed();
    const signature = `v1a,${'A'.repeat(86)}== ${verified.signature} v2,${DIGEST}`;
    expect(verifyStandardWebhooks({ ...verified, signature }, body, SECRET, onTime)).toEqual({ valid: true });
  });

  it('tolerates extra spaces between and around entries', () => {
    const { body, verified } = signed({ otherSecrets: [OTHER_SECRET] });
    const signature = ` ${verified.signature.replace(' ', '   ')} `;
    expect(verifyStandardWebhooks({ ...verified, signature }, body, SECRET, onTime).valid).toBe(true);
  });

  it('accepts a secret without the whsec_ prefix, decoded whole as base64', () => {
    const unprefixed = SECRET.slice('whsec_'.length);
    const { body, verified } = signed({ secret: unprefixed });
    expect(verifyStandardWebhooks(verified, body, unprefixed, onTime)).toEqual({ valid: true });
    // The prefix only marks the format: both spellings are the same key.
    expect(verifyStandardWebhooks(verified, body, SECRET, onTime)).toEqual({ valid: true });
  });

  it.each([
    ['a tampered body', (s: ReturnType<typeof signed>) => ({ ...s, body: s.body.replace('4200', '42000') })],
    ['a tampered id, which is signed', (s: ReturnType<typeof signed>) => ({ ...s, verified: { ...s.verified, id: 'msg_other' } })],
    [
      'a tampered timestamp, which is signed',
      (s: ReturnType<typeof signed>) => ({ ...s, verified: { ...s.verified, timestamp: String(T + 1) } }),
    ],
  ])('rejects %s', (_name, tamper) => {
    const { body, verified } = tamper(signed());
    expect(verifyStandardWebhooks(verified, body, SECRET, onTime)).toEqual({ valid: false, reason: 'bad-signature' });
  });

  it('rejects a signature made with another secret', () => {
    const { body, verified } = signed({ secret: OTHER_SECRET });
    expect(verifyStandardWebhooks(verified, body, SECRET, onTime)).toEqual({ valid: false, reason: 'bad-signature' });
  });

  it.each([
    ['not base64', 'whsec_not base64!'],
    ['empty after the prefix', 'whsec_'],
    ['empty', ''],
  ])('reports a secret that is %s like a wrong secret (bad-signature), so the validator re-reads it', (_name, secret) => {
    const { body, verified } = signed();
    expect(verifyStandardWebhooks(verified, body, secret, onTime)).toEqual({ valid: false, reason: 'bad-signature' });
  });

  it.each([
    ['too old', T + 301],
    ['too far in the future', T - 301],
  ])('rejects a timestamp %s as stale', (_name, nowSeconds) => {
    const { body, verified } = signed();
    expect(verifyStandardWebhooks(verified, body, SECRET, { nowSeconds, toleranceSeconds: 300 })).toEqual({
      valid: false,
      reason: 'stale-timestamp',
    });
  });

  it.each([T + 300, T - 300])('accepts a timestamp exactly at the tolerance (now %d)', (nowSeconds) => {
    const { body, verified } = signed();
    expect(verifyStandardWebhooks(verified, body, SECRET, { nowSeconds, toleranceSeconds: 300 }).valid).toBe(true);
  });

  it('reports a forged request with a stale timestamp as forged', () => {
    const { body, verified } = signed({ secret: OTHER_SECRET, timestamp: 1 });
    expect(verifyStandardWebhooks(verified, body, SECRET, onTime)).toEqual({ valid: false, reason: 'bad-signature' });
  });

  it.each<[string, Partial<StandardWebhooksHeaders>]>([
    ['only a v2 entry', { signature: `v2,${DIGEST}` }],
    ['only an asymmetric v1a entry', { signature: `v1a,${'A'.repeat(86)}==` }],
    ['an empty signature', { signature: '' }],
    ['an entry without a comma', { signature: `v1${DIGEST}` }],
    ['an entry with an empty version', { signature: `,${DIGEST}` }],
    ['a v1 value that is hex', { signature: `v1,${'ab'.repeat(32)}` }],
    ['a truncated v1 value', { signature: `v1,${DIGEST.slice(0, 20)}` }],
    ['a v1 value without its padding', { signature: `v1,${DIGEST.replace('=', '')}` }],
    ['a Stripe-style header', { signature: `t=${T},v1=${'ab'.repeat(32)}` }],
    ['a non-numeric timestamp', { timestamp: 'yesterday' }],
    ['a timestamp in milliseconds with a fraction', { timestamp: `${T}.5` }],
    ['a negative timestamp', { timestamp: `-${T}` }],
    ['an ISO timestamp', { timestamp: '2026-01-02T03:04:05Z' }],
    ['an empty timestamp', { timestamp: '' }],
    ['an empty id', { id: '' }],
  ])('reports %s as malformed', (_name, change) => {
    const { body, verified } = signed();
    expect(verifyStandardWebhooks({ ...verified, ...change }, body, SECRET, onTime)).toEqual({
      valid: false,
      reason: 'malformed-signature',
    });
  });

  it('reports a malformed v1 entry as malformed even next to a matching one', () => {
    const { body, verified } = signed();
    const signature = `v1,${DIGEST.slice(0, 20)} ${verified.signature}`;
    expect(verifyStandardWebhooks({ ...verified, signature }, body, SECRET, onTime)).toEqual({
      valid: false,
      reason: 'malformed-signature',
    });
  });

  it('parses every v1 digest, in order', () => {
    const other = Buffer.alloc(32, 9).toString('base64');
    expect(parseStandardWebhooksSignature(`v1,${DIGEST} v2,x v1,${other}`)?.map((d) => d.toString('base64'))).toEqual([DIGEST, other]);
  });

  it('derives the key from the base64 after whsec_, or from the whole secret without it', () => {
    const expected = Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64');
    expect(standardWebhooksKey(SECRET)).toEqual(expected);
    expect(standardWebhooksKey('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toEqual(expected);
    expect(standardWebhooksKey('whsec_YWJj')?.toString()).toBe('abc');
    expect(standardWebhooksKey('whsec_YWI=')?.toString()).toBe('ab');
    expect(standardWebhooksKey('whsec_YWJ')).toBeUndefined();
  });
});

describe('agreement with the reference library’s verify', () => {
  // The library checks the timestamp against the clock; pin it to the moment of receipt.
  beforeAll(() => jest.useFakeTimers({ now: (T + 10) * 1000 }));
  afterAll(() => jest.useRealTimers());

  const libraryAccepts = (body: string, headers: StandardWebhookHeaders, secret: string): boolean => {
    try {
      new Webhook(secret).verify(body, { ...headers });
      return true;
    } catch {
      return false;
    }
  };

  const genuine = signed();
  const rolled = signed({ otherSecrets: [OTHER_SECRET] });
  const stale = signed({ timestamp: T - 301 });
  const future = signed({ timestamp: T + 311 });
  const v2Only = { ...genuine.headers, 'webhook-signature': genuine.headers['webhook-signature'].replace('v1,', 'v2,') };
  const cases: ReadonlyArray<[string, string, StandardWebhookHeaders, string, boolean]> = [
    ['genuine', genuine.body, genuine.headers, SECRET, true],
    ['several signatures, one matching', rolled.body, rolled.headers, SECRET, true],
    ['the rolled-out secret still matching', rolled.body, rolled.headers, OTHER_SECRET, true],
    ['an unprefixed secret', genuine.body, genuine.headers, SECRET.slice('whsec_'.length), true],
    ['a tampered body', `${genuine.body} `, genuine.headers, SECRET, false],
    ['another secret', genuine.body, genuine.headers, OTHER_SECRET, false],
    ['a tampered id', genuine.body, { ...genuine.headers, 'webhook-id': 'msg_x' }, SECRET, false],
    ['a v2-only signature', genuine.body, v2Only, SECRET, false],
    ['a stale timestamp', stale.body, stale.headers, SECRET, false],
    ['a future timestamp', future.body, future.headers, SECRET, false],
  ];

  it.each(cases)('%s: we accept exactly when the library does', (_name, body, headers, secret, accepted) => {
    expect(libraryAccepts(body, headers, secret)).toBe(accepted);
    expect(verifyStandardWebhooks(toVerified(headers), body, secret, onTime).valid).toBe(accepted);
  });
});
