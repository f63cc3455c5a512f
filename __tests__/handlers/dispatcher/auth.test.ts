/**
 * Destination credentials end to end on loopback: a real OAuth token endpoint and a receiver that
 * checks the credentials it is sent (header, basic, bearer), driven through the record dispatcher
 * as the handler runs it; plus the auth module's and the token cache's own cases.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSRecord } from 'aws-lambda';
import { Webhook } from 'standardwebhooks';
import { createAuthorizedDelivery, InvalidCredentialError, staticAuthHeaders } from '../../../src/handlers/dispatcher/auth';
import type { DispatcherConfig } from '../../../src/handlers/dispatcher/config';
import { createRecordDispatcher } from '../../../src/handlers/dispatcher/dispatch-record';
import {
  createOAuthTokenCache,
  DEFAULT_TOKEN_LIFETIME_SECONDS,
  type OAuth2Auth,
  requestToken,
  TokenEndpointError,
} from '../../../src/handlers/dispatcher/oauth-token-cache';
import type { QueueActions } from '../../../src/handlers/dispatcher/queue-actions';
import type { DeliveryEvent } from '../../../src/handlers/shared/delivery-event';
import type { DeliveryDestination } from '../../../src/handlers/shared/destinations';
import { MissingSecretError } from '../../../src/handlers/shared/secrets';
import { lambdaContext } from '../../support/lambda-context';
import { startTokenServer, type TokenServer } from '../../support/oauth-token-server';
import { captureOutput, type CapturedOutput } from '../../support/output';
import { type Answer, type Receiver, type Received, startReceiver } from '../../support/receiver';
import { buildSqsRecord } from '../../support/sqs-records';

jest.setTimeout(20_000);

const SIGNING = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const API_KEY = 'key-0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const BASIC = 'pipeline:p@ss:word with spaces';
const CLIENT_ID = 'pipeline client';
const CLIENT_SECRET = 'cl!ent+secret/=~*';
const SECRETS: Record<string, string> = {
  '/d/signing': SIGNING,
  '/d/keyed/auth': `${API_KEY}\nprevious-key\n`,
  '/d/bearer/auth': 'Bearer static-bearer-token',
  '/d/basic/auth': BASIC,
  '/d/crm/auth': CLIENT_SECRET,
  '/d/nocolon/auth': 'just-a-user',
  '/d/newline/auth': 'bad\u0007value',
};

const readSecret = async (name: string) => {
  if (!(name in SECRETS)) throw new MissingSecretError(name);
  return SECRETS[name];
};

function event(destination: string): DeliveryEvent {
  return {
    version: 2,
    destination,
    id: `evt_${destination}`,
    source: 'stripe',
    type: 'invoice.paid',
    receivedAt: '2026-03-01T11:59:59.000Z',
    processedAt: '2026-03-01T12:00:00.000Z',
    requestId: 'req-1',
    body: '{"id":"evt"}',
  };
}

function record(destination: string): SQSRecord {
  const built = buildSqsRecord({ body: JSON.stringify(event(destination)) });
  return { ...built, attributes: { ...built.attributes, ApproximateReceiveCount: '1' } };
}

describe('destination credentials through the dispatcher', () => {
  let tokens: TokenServer;
  let receiver: Receiver;
  let output: CapturedOutput;
  /** Access tokens the receiver still accepts: revoking one makes it answer 401 to it. */
  let valid: Set<string>;
  let revoked: Set<string>;
  let delayed: number[];

  const oauth = (): OAuth2Auth => ({
    type: 'oauth2',
    tokenUrl: tokens.url,
    clientId: CLIENT_ID,
    scope: 'events:write',
    parameter: '/d/crm/auth',
  });

  /** The receiver: 200 to the credentials each path expects, 401 otherwise. */
  const checkCredentials = (request: Received): Answer => {
    const { authorization } = request.headers;
    const ok = {
      '/keyed': request.headers['x-api-key'] === API_KEY,
      '/bearer': authorization === 'Bearer static-bearer-token',
      '/basic': authorization === `Basic ${Buffer.from(BASIC).toString('base64')}`,
      '/crm': typeof authorization === 'string' && authorization.startsWith('Bearer ') && valid.has(authorization.slice(7)),
      '/plain': authorization === undefined,
    }[request.path];
    return { status: ok ? 200 : 401 };
  };

  function dispatcher(destinations: DeliveryDestination[], deliveryTimeoutMs = 2_000) {
    const config: DispatcherConfig = {
      destinations: new Map(destinations.map((d) => [d.name, d])),
      retrySchedule: [5, 300, 1_800],
      sourceQueueUrl: 'http://queue/deliver',
      deadLetterQueueUrl: 'http://queue/deliver-dlq',
      deliveryTimeoutMs,
    };
    const queue: QueueActions = {
      deadLetter: async () => undefined,
      delayRetry: async (_handle, seconds) => {
        delayed.push(seconds);
      },
    };
    const logger = new Logger({ serviceName: 'dispatcher' });
    logger.addContext(lambdaContext('dispatcher'));
    return createRecordDispatcher({
      config,
      logger,
      metrics: new Metrics({ namespace: 'WebhookPipeline', serviceName: 'dispatcher' }),
      readSecret,
      queue,
      random: () => 0.5,
    });
  }

  const destination = (name: string, extra: Partial<DeliveryDestination> = {}): DeliveryDestination => ({
    name,
    url: `${receiver.url}/${name}`,
    secretParameter: '/d/signing',
    sources: null,
    eventTypes: null,
    ...extra,
  });
  const crm = () => destination('crm', { auth: oauth() });

  beforeAll(async () => {
    [tokens, receiver] = await Promise.all([startTokenServer(CLIENT_ID, CLIENT_SECRET), startReceiver()]);
  });
  afterAll(() => Promise.all([tokens.close(), receiver.close()]));
  beforeEach(() => {
    receiver.reset();
    receiver.answer((request) => {
      // Every token the endpoint issues is valid until the test revokes it.
      for (const token of tokens.issued) if (!revoked.has(token)) valid.add(token);
      return checkCredentials(request);
    });
    tokens.requests.length = 0;
    tokens.issued.length = 0;
    tokens.answer({ kind: 'issue', expiresIn: 3600 });
    valid = new Set();
    revoked = new Set();
    delayed = [];
    output = captureOutput();
  });
  afterEach(() => output.restore());

  const logged = () => JSON.stringify(output.logs());

  it('sends a header credential, basic credentials and a static bearer beside the signature, and nothing to a plain destination', async () => {
    const d = dispatcher([
      destination('keyed', { auth: { type: 'header', name: 'X-Api-Key', parameter: '/d/keyed/auth' } }),
      destination('bearer', { auth: { type: 'header', name: 'Authorization', parameter: '/d/bearer/auth' } }),
      destination('basic', { auth: { type: 'basic', parameter: '/d/basic/auth' } }),
      destination('plain'),
    ]);
    for (const name of ['keyed', 'bearer', 'basic', 'plain']) {
      await expect(d.dispatch(record(name))).resolves.toEqual({ delivered: expect.anything() });
    }
    expect(receiver.requests.map((r) => r.path)).toEqual(['/keyed', '/bearer', '/basic', '/plain']);
    for (const received of receiver.requests) {
      expect(() => new Webhook(SIGNING).verify(received.body, received.headers as Record<string, string>)).not.toThrow();
    }
    // Only the current line of a rotation's two is sent.
    expect(receiver.requests[0].headers['x-api-key']).toBe(API_KEY);
    expect(tokens.requests).toHaveLength(0);
    expect(logged()).not.toContain(API_KEY);
  });

  it('OAuth: one client_secret_basic token request serves later deliveries while the token is fresh', async () => {
    const d = dispatcher([crm()]);
    await expect(d.dispatch(record('crm'))).resolves.toEqual({ delivered: expect.anything() });
    await expect(d.dispatch(record('crm'))).resolves.toEqual({ delivered: expect.anything() });
    expect(tokens.requests).toHaveLength(1);
    const [seen] = tokens.requests;
    expect(Object.fromEntries(seen.form)).toEqual({ grant_type: 'client_credentials', scope: 'events:write' });
    expect(seen.headers.authorization).toMatch(/^Basic /);
    expect(receiver.requests.map((r) => r.headers.authorization)).toEqual(['Bearer token-1', 'Bearer token-1']);
    expect(logged()).not.toContain(CLIENT_SECRET);
    expect(logged()).not.toContain('token-1');
  });

  it('OAuth: a 401 to a revoked token fetches a new token once and retries the attempt once', async () => {
    const d = dispatcher([crm()]);
    await d.dispatch(record('crm'));
    revoked.add('token-1');
    valid.delete('token-1');
    await expect(d.dispatch(record('crm'))).resolves.toEqual({ delivered: expect.anything() });
    expect(tokens.issued).toEqual(['token-1', 'token-2']);
    expect(receiver.requests.map((r) => [r.headers.authorization, r.path])).toEqual([
      ['Bearer token-1', '/crm'],
      ['Bearer token-1', '/crm'],
      ['Bearer token-2', '/crm'],
    ]);
    expect(output.logs()).toContainEqual(expect.objectContaining({ level: 'INFO', reason: 'auth-token-rejected' }));
    expect(delayed).toEqual([]);
  });

  it('OAuth: a second 401 fails the attempt, retried by the schedule, without a third token request', async () => {
    receiver.answer(() => ({ status: 401 }));
    const d = dispatcher([crm()]);
    await expect(d.dispatch(record('crm'))).resolves.toBe('failed');
    expect(tokens.requests).toHaveLength(2);
    expect(receiver.requests).toHaveLength(2);
    expect(delayed).toEqual([5]);
    expect(output.logs()).toContainEqual(
      expect.objectContaining({ level: 'ERROR', reason: 'delivery-rejected', status: 401, message: 'Delivery failed; it will be retried' }),
    );
  });

  it.each<[string, Parameters<TokenServer['answer']>[0], RegExp]>([
    ['a 500', { kind: 'status', status: 500, body: 'down' }, /^the token endpoint answered 500$/],
    [
      'a refused client',
      { kind: 'status', status: 401, body: '{"error":"invalid_client","error_description":"secret is wrong"}' },
      /answered 401 \(invalid_client\)$/,
    ],
    ['no access token', { kind: 'status', status: 200, body: '{"token_type":"Bearer"}' }, /without a usable access_token/],
    ['a mac token', { kind: 'issue', tokenType: 'mac' }, /issued a "mac" token, not a bearer token/],
    ['no answer in time', { kind: 'hang' }, /did not answer within \d+ ms/],
  ])(
    'OAuth: a token endpoint giving %s fails the attempt like a 5xx, with a reason and never the secret',
    async (_case, answer, detail) => {
      tokens.answer(answer);
      const d = dispatcher([crm()], 300);
      await expect(d.dispatch(record('crm'))).resolves.toBe('failed');
      expect(receiver.requests).toHaveLength(0);
      expect(delayed).toEqual([5]);
      const failure = output.logs().find((line) => line.level === 'ERROR')!;
      expect(failure).toMatchObject({ reason: 'auth-token-failed', detail: expect.stringMatching(detail) });
      expect(logged()).not.toContain(CLIENT_SECRET);
      expect(logged()).not.toContain('secret is wrong');
    },
  );

  it('fails the attempt naming the parameter, never its value, when a credential is missing or unusable', async () => {
    const d = dispatcher([
      destination('gone', { auth: { type: 'basic', parameter: '/d/gone/auth' } }),
      destination('nocolon', { auth: { type: 'basic', parameter: '/d/nocolon/auth' } }),
      destination('newline', { auth: { type: 'header', name: 'X-Api-Key', parameter: '/d/newline/auth' } }),
      destination('nosecret', { auth: { ...oauth(), parameter: '/d/nosecret/auth' } }),
    ]);
    for (const name of ['gone', 'nocolon', 'newline', 'nosecret']) await expect(d.dispatch(record(name))).resolves.toBe('failed');
    expect(receiver.requests).toHaveLength(0);
    const reasons = output.logs().filter((line) => line.level === 'ERROR');
    expect(reasons).toEqual([
      expect.objectContaining({ reason: 'missing-secret', secretParameter: '/d/gone/auth' }),
      expect.objectContaining({ reason: 'invalid-credential' }),
      expect.objectContaining({ reason: 'invalid-credential' }),
      expect.objectContaining({ reason: 'missing-secret', secretParameter: '/d/nosecret/auth' }),
    ]);
    expect(tokens.requests).toHaveLength(0);
    expect(logged()).toContain('/d/nocolon/auth');
    expect(logged()).not.toContain('just-a-user');
    expect(logged()).not.toContain('bad\\u0007value');
  });

  it('bounds the attempt by the destination’s own timeout, token request and POST together', async () => {
    receiver.answer({ status: 200, delayMs: 1_500 });
    const started = performance.now();
    // With an auth, and without one (the destination's timeout replaces DELIVERY_TIMEOUT_MS just the same), side by side.
    const [outcome, plain] = await Promise.all([
      createAuthorizedDelivery({ readSecret })(
        destination('slow', { timeoutSeconds: 1, auth: oauth() }),
        { headers: {}, body: '{}' },
        { defaultTimeoutMs: 10_000 },
      ),
      createAuthorizedDelivery({ readSecret })(
        destination('slow', { timeoutSeconds: 1 }),
        { headers: {}, body: '{}' },
        { defaultTimeoutMs: 10_000 },
      ),
    ]);
    expect(performance.now() - started).toBeLessThan(1_400);
    expect(outcome).toMatchObject({ kind: 'failed', reason: 'delivery-timeout' });
    expect(plain).toMatchObject({ kind: 'failed', reason: 'delivery-timeout', detail: 'no answer within 1000 ms' });
  });

  it('requestToken: renewal before expires_in, the default without it; an unreachable endpoint names the cause', async () => {
    tokens.answer({ kind: 'issue', expiresIn: null });
    const token = await requestToken({ ...oauth(), scope: null }, CLIENT_SECRET, 1_000, 0);
    expect(token).toEqual({ value: 'token-1', expiresAtMs: (DEFAULT_TOKEN_LIFETIME_SECONDS - 60) * 1000 });
    expect(tokens.requests[0].form.has('scope')).toBe(false);
    // A short-lived token is renewed at half its lifetime, a long one a minute before it expires.
    tokens.answer({ kind: 'issue', expiresIn: 10 });
    await expect(requestToken(oauth(), CLIENT_SECRET, 1_000, 0)).resolves.toEqual({ value: 'token-2', expiresAtMs: 5_000 });
    tokens.answer({ kind: 'issue', expiresIn: 3600 });
    await expect(requestToken(oauth(), CLIENT_SECRET, 1_000, 0)).resolves.toEqual({ value: 'token-3', expiresAtMs: 3_540_000 });
    const closed = await startTokenServer('a', 'b');
    await closed.close();
    await expect(requestToken({ ...oauth(), tokenUrl: closed.url }, 's', 1_000, 0)).rejects.toThrow(/unreachable: .*ECONNREFUSED/);
  });
});

describe('the OAuth token cache', () => {
  const auth: OAuth2Auth = { type: 'oauth2', tokenUrl: 'https://id.example/token', clientId: 'c', scope: null, parameter: '/p' };
  const request = (rejected?: string) => ({ destination: 'crm', auth, clientSecret: async () => 's', timeoutMs: 1000, rejected });

  it('keeps a token until it is due, and shares one request between concurrent records', async () => {
    let now = 0;
    let n = 0;
    const fetchToken = jest.fn(async (_auth: OAuth2Auth, _secret: string, _timeout: number, at: number) => ({
      value: `t${++n}`,
      expiresAtMs: at + 100_000,
    }));
    const cache = createOAuthTokenCache({ fetchToken, now: () => now });
    await expect(Promise.all([cache.token(request()), cache.token(request())])).resolves.toEqual(['t1', 't1']);
    now = 99_999;
    await expect(cache.token(request())).resolves.toBe('t1');
    now = 100_000;
    await expect(cache.token(request())).resolves.toBe('t2');
    // A token another record already replaced is not replaced again.
    await expect(cache.token(request('t1'))).resolves.toBe('t2');
    await expect(cache.token(request('t2'))).resolves.toBe('t3');
    expect(fetchToken).toHaveBeenCalledTimes(3);
  });

  it('caches no failure: the next attempt asks again', async () => {
    const fetchToken = jest
      .fn()
      .mockRejectedValueOnce(new TokenEndpointError('down'))
      .mockResolvedValueOnce({ value: 'ok', expiresAtMs: Infinity });
    const cache = createOAuthTokenCache({ fetchToken });
    await expect(cache.token(request())).rejects.toThrow('OAuth token request failed: down');
    await expect(cache.token(request())).resolves.toBe('ok');
  });
});

describe('staticAuthHeaders', () => {
  it('sends a header by its lower-case name and basic credentials base64-encoded', async () => {
    await expect(staticAuthHeaders({ type: 'header', name: 'X-Api-Key', parameter: '/d/keyed/auth' }, readSecret)).resolves.toEqual({
      'x-api-key': API_KEY,
    });
    await expect(staticAuthHeaders({ type: 'basic', parameter: '/d/basic/auth' }, readSecret)).resolves.toEqual({
      authorization: `Basic ${Buffer.from(BASIC).toString('base64')}`,
    });
    await expect(staticAuthHeaders({ type: 'basic', parameter: '/d/nocolon/auth' }, readSecret)).rejects.toThrow(InvalidCredentialError);
    await expect(staticAuthHeaders({ type: 'basic', parameter: '/d/nocolon/auth' }, readSecret)).rejects.toThrow(
      'the credential in SSM parameter /d/nocolon/auth is not user:password',
    );
  });
});
