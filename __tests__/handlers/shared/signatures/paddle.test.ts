import { NodeRuntime, Webhooks } from '@paddle/paddle-node-sdk';
import { parsePaddleSignature, verifyPaddle } from '../../../../src/handlers/shared/signatures/paddle';
import { paddleSignature } from './provider-requests';
import { PADDLE_VECTOR } from './vectors';

const { secret, timestamp: T, body, h1 } = PADDLE_VECTOR;
const header = `ts=${T};h1=${h1}`;
const onTime = { nowSeconds: T + 3, toleranceSeconds: 300 };
const OTHER = 'pdl_ntfset_01h8bkrfe7w1vwf8xmytwn51e7_previous';

describe('Paddle Billing signatures', () => {
  it('accepts the openssl vector', () => {
    expect(verifyPaddle(header, body, secret, onTime)).toEqual({ valid: true });
  });

  it('accepts several h1 while a secret is rotated, whichever matches', () => {
    const rotating = paddleSignature([OTHER, secret], T, body);
    expect(rotating.split(';')).toHaveLength(3);
    expect(verifyPaddle(rotating, body, secret, onTime)).toEqual({ valid: true });
    expect(verifyPaddle(rotating, body, OTHER, onTime)).toEqual({ valid: true });
    expect(verifyPaddle(paddleSignature([secret, OTHER], T, body), body, secret, onTime)).toEqual({ valid: true });
  });

  it('tolerates spaces around elements and skips unknown keys', () => {
    expect(verifyPaddle(` ts=${T} ; h2=zz ; h1=${h1} `, body, secret, onTime)).toEqual({ valid: true });
  });

  it.each([
    ['a tampered body', header, body.replace('completed', 'canceled'), secret],
    ['a tampered timestamp, which is signed', `ts=${T + 1};h1=${h1}`, body, secret],
    ['another secret', header, body, OTHER],
  ])('rejects %s', (_name, signature, rawBody, key) => {
    expect(verifyPaddle(signature, rawBody, key, onTime)).toEqual({ valid: false, reason: 'bad-signature' });
  });

  it.each([
    ['too old', T + 301],
    ['too far in the future', T - 301],
  ])('rejects a timestamp %s as stale', (_name, nowSeconds) => {
    expect(verifyPaddle(header, body, secret, { nowSeconds, toleranceSeconds: 300 })).toEqual({ valid: false, reason: 'stale-timestamp' });
  });

  it('reports a forged request with a stale timestamp as forged', () => {
    expect(verifyPaddle(paddleSignature(['guessed'], 1, body), body, secret, onTime)).toEqual({ valid: false, reason: 'bad-signature' });
  });

  it.each([
    ['an empty header', ''],
    ['no ts', `h1=${h1}`],
    ['no h1', `ts=${T}`],
    ['two ts', `ts=${T};ts=${T};h1=${h1}`],
    ['a ts in milliseconds with a fraction', `ts=${T}.5;h1=${h1}`],
    ['an element without =', `ts=${T};${h1}`],
    ['a truncated h1', `ts=${T};h1=${h1.slice(0, 40)}`],
    ['a malformed h1 next to a good one', `ts=${T};h1=zz;h1=${h1}`],
    ['a Stripe-style header', `t=${T},v1=${h1}`],
  ])('reports %s as malformed', (_name, signature) => {
    expect(verifyPaddle(signature, body, secret, onTime)).toEqual({ valid: false, reason: 'malformed-signature' });
  });

  it('parses every h1, in order', () => {
    const other = 'ab'.repeat(32);
    expect(parsePaddleSignature(`ts=${T};h1=${h1};h1=${other}`)?.h1.map((d) => d.toString('hex'))).toEqual([h1, other]);
  });
});

describe('agreement with the Paddle SDK’s Webhooks.isSignatureValid', () => {
  // The SDK measures the timestamp against the clock (and only accepts 5 s after it): pin the clock.
  // Its crypto provider is installed by `new Paddle(apiKey)`; without an API key, directly.
  beforeAll(() => {
    NodeRuntime.initialize();
    jest.useFakeTimers({ now: (T + 3) * 1000, doNotFake: ['nextTick', 'setImmediate'] });
  });
  afterAll(() => jest.useRealTimers());

  const sdkAccepts = (signature: string, rawBody: string, key: string) => new Webhooks().isSignatureValid(rawBody, key, signature);

  // The SDK reads only the last h1 of a rotating header, so the rotation case puts ours last.
  it.each([
    ['genuine', header, body, secret, true],
    ['several h1, the genuine one last', paddleSignature([OTHER, secret], T, body), body, secret, true],
    ['a tampered body', header, `${body} `, secret, false],
    ['another secret', header, body, OTHER, false],
    ['a tampered timestamp', `ts=${T - 1};h1=${h1}`, body, secret, false],
  ])('%s: we accept exactly when the SDK does', async (_name, signature, rawBody, key, accepted) => {
    await expect(sdkAccepts(signature, rawBody, key)).resolves.toBe(accepted);
    expect(verifyPaddle(signature, rawBody, key, onTime).valid).toBe(accepted);
  });

  it('the SDK accepts our vector and our helper’s signature', async () => {
    await expect(sdkAccepts(paddleSignature([secret], T, body), body, secret)).resolves.toBe(true);
    expect(paddleSignature([secret], T, body)).toBe(header);
  });
});
