import type { DestinationAuth } from '../shared/destination-auth';

export type OAuth2Auth = Extract<DestinationAuth, { type: 'oauth2' }>;

/**
 * The token endpoint did not give a usable access token: no answer, an error status, or an answer
 * without a bearer token. The attempt fails like a receiver's 5xx and the schedule retries it. The
 * message names what went wrong, never the client secret or a token.
 */
export class TokenEndpointError extends Error {
  readonly reason = 'auth-token-failed';

  constructor(readonly detail: string) {
    super(`OAuth token request failed: ${detail}`);
    this.name = 'TokenEndpointError';
  }
}

/** An access token and when it was issued to last, epoch milliseconds. */
export interface AccessToken {
  readonly value: string;
  readonly expiresAtMs: number;
}

/** Without `expires_in` (RFC 6749 only recommends it) a token is reused this long; a 401 replaces it sooner. */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 300;
/** A token is replaced this long before it expires, or at half its lifetime if that is shorter. */
export const TOKEN_RENEWAL_MARGIN_SECONDS = 60;

/**
 * Requests a token with the client credentials grant (RFC 6749, section 4.4). The client
 * authenticates with HTTP Basic, `client_secret_basic`, the method every authorization server
 * must support (section 2.3.1): id and secret form-encoded, joined by a colon, base64. The
 * secret never goes in the body or the URL.
 */
export async function requestToken(auth: OAuth2Auth, clientSecret: string, timeoutMs: number, nowMs: number): Promise<AccessToken> {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (auth.scope !== null) form.set('scope', auth.scope);
  const credentials = Buffer.from(`${formEncode(auth.clientId)}:${formEncode(clientSecret)}`, 'utf8').toString('base64');
  const signal = AbortSignal.timeout(Math.max(1, timeoutMs));
  let response: Response;
  try {
    response = await fetch(auth.tokenUrl, {
      method: 'POST',
      headers: {
        authorization: `Basic ${credentials}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: form.toString(),
      // A redirect would carry the client's credentials somewhere not configured.
      redirect: 'manual',
      signal,
    });
  } catch (error) {
    if (signal.aborted) throw new TokenEndpointError(`the token endpoint did not answer within ${timeoutMs} ms`);
    const cause = (error as { cause?: { message?: unknown } }).cause;
    throw new TokenEndpointError(
      `the token endpoint is unreachable: ${typeof cause?.message === 'string' ? cause.message : String(error)}`,
    );
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (response.status !== 200) {
    // RFC 6749's `error` code (invalid_client, invalid_scope, …) is safe to log; the description is left out.
    const code = typeof fields.error === 'string' && /^[\x20-\x7e]{1,64}$/.test(fields.error) ? ` (${fields.error})` : '';
    throw new TokenEndpointError(`the token endpoint answered ${response.status}${code}`);
  }
  const { access_token: token, token_type: type, expires_in: expiresIn } = fields;
  if (typeof token !== 'string' || !/^[\x21-\x7e]+$/.test(token)) {
    throw new TokenEndpointError('the token endpoint answered 200 without a usable access_token');
  }
  if (typeof type === 'string' && type.toLowerCase() !== 'bearer') {
    throw new TokenEndpointError(`the token endpoint issued a ${JSON.stringify(type.slice(0, 32))} token, not a bearer token`);
  }
  const seconds = Number(expiresIn);
  const lifetime =
    expiresIn !== undefined && expiresIn !== null && Number.isFinite(seconds) && seconds > 0 ? seconds : DEFAULT_TOKEN_LIFETIME_SECONDS;
  const margin = Math.min(TOKEN_RENEWAL_MARGIN_SECONDS, lifetime / 2);
  return { value: token, expiresAtMs: nowMs + (lifetime - margin) * 1000 };
}

/** application/x-www-form-urlencoded, as RFC 6749, appendix B, asks of the Basic credentials' parts. */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

export interface TokenRequest {
  readonly destination: string;
  readonly auth: OAuth2Auth;
  /** Reads the client secret (the cached secret reader). */
  readonly clientSecret: () => Promise<string>;
  readonly timeoutMs: number;
  /**
   * The token the destination just refused with a 401: replaced unless another record already
   * replaced it, so records refused together fetch one new token, not one each.
   */
  readonly rejected?: string;
}

export interface OAuthTokenCache {
  /** A valid access token for the destination: cached, or fetched now. Throws {@link TokenEndpointError}. */
  token(request: TokenRequest): Promise<string>;
}

export interface OAuthTokenCacheOptions {
  readonly fetchToken?: typeof requestToken;
  /** Epoch milliseconds. */
  readonly now?: () => number;
}

/**
 * Access tokens per destination for the life of the warm container, each until shortly before it
 * expires. Records delivered concurrently to one destination share one token request.
 */
export function createOAuthTokenCache(options: OAuthTokenCacheOptions = {}): OAuthTokenCache {
  const { fetchToken = requestToken, now = Date.now } = options;
  const cached = new Map<string, AccessToken>();
  const inFlight = new Map<string, Promise<AccessToken>>();
  // The configuration is fixed for the container, but a key of every setting cannot serve one client's token to another.
  const keyOf = ({ destination, auth }: TokenRequest) => JSON.stringify([destination, auth.tokenUrl, auth.clientId, auth.scope]);

  return {
    async token(request) {
      const key = keyOf(request);
      const current = cached.get(key);
      if (current && current.expiresAtMs > now() && current.value !== request.rejected) return current.value;
      if (current) cached.delete(key);
      let pending = inFlight.get(key);
      if (!pending) {
        pending = (async () => fetchToken(request.auth, await request.clientSecret(), request.timeoutMs, now()))();
        inFlight.set(key, pending);
        pending.then(
          (token) => {
            cached.set(key, token);
            inFlight.delete(key);
          },
          () => inFlight.delete(key),
        );
      }
      return (await pending).value;
    },
  };
}
