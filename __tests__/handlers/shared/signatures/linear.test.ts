import { execFileSync } from 'node:child_process';
import { verifyLinear, webhookTimestampOf } from '../../../../src/handlers/shared/signatures/linear';
import { linearSignature } from './provider-requests';
import { LINEAR_VECTOR } from './vectors';

const { secret, body, header, timestampMillis } = LINEAR_VECTOR;
const T = timestampMillis / 1000;
const onTime = { nowSeconds: T + 10, toleranceSeconds: 300 };
const withTimestamp = (value: unknown) => JSON.stringify({ type: 'Issue', webhookTimestamp: value });

describe('Linear signatures', () => {
  it('accepts the openssl vector', () => {
    expect(verifyLinear(header, body, secret, onTime)).toEqual({ valid: true });
  });

  it('accepts upper-case hex', () => {
    expect(verifyLinear(header.toUpperCase(), body, secret, onTime)).toEqual({ valid: true });
  });

  it.each([
    ['a tampered body', header, body.replace('Fix', 'Break'), secret],
    ['a tampered webhookTimestamp, which is in the signed body', header, body.replace('1700000000000', '1700000001000'), secret],
    ['another secret', header, body, 'guessed'],
  ])('rejects %s', (_name, signature, rawBody, key) => {
    expect(verifyLinear(signature, rawBody, key, onTime)).toEqual({ valid: false, reason: 'bad-signature' });
  });

  it.each([
    ['too old', T + 301],
    ['too far in the future', T - 301],
  ])('rejects a webhookTimestamp %s as stale', (_name, nowSeconds) => {
    expect(verifyLinear(header, body, secret, { nowSeconds, toleranceSeconds: 300 })).toEqual({ valid: false, reason: 'stale-timestamp' });
  });

  it('compares milliseconds exactly at the tolerance', () => {
    const at = (nowSeconds: number) => verifyLinear(header, body, secret, { nowSeconds, toleranceSeconds: 300 }).valid;
    expect(at(T + 300)).toBe(true);
    const late = withTimestamp(timestampMillis - 1);
    expect(verifyLinear(linearSignature(secret, late), late, secret, { nowSeconds: T + 300, toleranceSeconds: 300 })).toEqual({
      valid: false,
      reason: 'stale-timestamp',
    });
  });

  it('reports a forged request as forged, whatever its timestamp', () => {
    const stale = withTimestamp(1);
    expect(verifyLinear(linearSignature('guessed', stale), stale, secret, onTime)).toEqual({ valid: false, reason: 'bad-signature' });
  });

  it.each([
    ['an empty header', ''],
    ['a sha256= prefix', `sha256=${header}`],
    ['a truncated digest', header.slice(0, 40)],
    ['a base64 digest', Buffer.from(header, 'hex').toString('base64')],
  ])('reports %s as malformed', (_name, signature) => {
    expect(verifyLinear(signature, body, secret, onTime)).toEqual({ valid: false, reason: 'malformed-signature' });
  });

  it.each([
    ['no webhookTimestamp', JSON.stringify({ type: 'Issue' })],
    ['a webhookTimestamp that is text', withTimestamp('1700000000000')],
    ['a fractional webhookTimestamp', withTimestamp(1_700_000_000_000.5)],
    ['a negative webhookTimestamp', withTimestamp(-1)],
    ['a null webhookTimestamp', withTimestamp(null)],
    ['a body that is not JSON', 'webhookTimestamp=1700000000000'],
    ['a body that is a JSON array', '[1700000000000]'],
  ])('reports a genuine body with %s as malformed', (_name, rawBody) => {
    expect(verifyLinear(linearSignature(secret, rawBody), rawBody, secret, onTime)).toEqual({
      valid: false,
      reason: 'malformed-signature',
    });
  });

  it('reads webhookTimestamp as whole milliseconds', () => {
    expect(webhookTimestampOf(body)).toBe(timestampMillis);
    expect(webhookTimestampOf(withTimestamp(0))).toBe(0);
  });
});

describe('agreement with the Linear SDK’s LinearWebhookClient.verify', () => {
  // @linear/sdk is ESM only, which this CommonJS Jest setup cannot import: the SDK runs in a child
  // Node process, with its clock pinned 10 s after the vector (it allows 60 s).
  const cases: ReadonlyArray<[string, string, string, string, boolean]> = [
    ['genuine', header, body, secret, true],
    ['a tampered body', header, `${body} `, secret, false],
    ['another secret', header, body, 'guessed', false],
    [
      'a stale webhookTimestamp',
      linearSignature(secret, withTimestamp(timestampMillis - 400_000)),
      withTimestamp(timestampMillis - 400_000),
      secret,
      false,
    ],
    ['no webhookTimestamp', linearSignature(secret, '{"type":"Issue"}'), '{"type":"Issue"}', secret, false],
  ];
  const script = `
    import { LinearWebhookClient } from '@linear/sdk/webhooks';
    Date.now = () => ${(T + 10) * 1000};
    const cases = JSON.parse(process.argv[1]);
    const results = cases.map(([signature, body, secret]) => {
      try { return new LinearWebhookClient(secret).verify(Buffer.from(body), signature); } catch { return false; }
    });
    process.stdout.write(JSON.stringify(results));`;
  const sdkResults = JSON.parse(
    execFileSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(cases.map(([, ...rest]) => rest.slice(0, 3)))], {
      cwd: __dirname,
      encoding: 'utf8',
    }),
  ) as boolean[];

  it.each(cases.map((c, i) => [...c, i] as const))(
    '%s: we accept exactly when the SDK does',
    (_name, signature, rawBody, key, accepted, i) => {
      expect(sdkResults[i]).toBe(accepted);
      expect(verifyLinear(signature, rawBody, key, onTime).valid).toBe(accepted);
    },
  );
});
