import type { Logger } from '@aws-lambda-powertools/logger';
import type { DeliveryDestination } from '../shared/destinations';
import { readSecretList } from '../shared/secret-list';
import type { SecretReader } from '../shared/secrets';
import type { DeliveryRequest } from './delivery-request';
import { createOAuthTokenCache, type OAuthTokenCache, TokenEndpointError } from './oauth-token-cache';
import { type DeliveryOutcome, postDelivery } from './post-delivery';

/**
 * A destination's credential in SSM is unusable: a value a header cannot carry, or basic
 * credentials without a colon. Named by parameter, never by value.
 */
export class InvalidCredentialError extends Error {
  readonly reason = 'invalid-credential';

  constructor(
    readonly parameterName: string,
    problem: string,
  ) {
    super(`the credential in SSM parameter ${parameterName} ${problem}`);
    this.name = 'InvalidCredentialError';
  }
}

/** Visible ASCII with inner spaces or tabs: a header value fetch sends as is and HTTP does not trim. */
const HEADER_VALUE = /^[\x21-\x7e]([\x20-\x7e\t]*[\x21-\x7e])?$/;

/**
 * The credential: the parameter's first line (a rotation's grace period is the receiver's to
 * allow; the dispatcher sends the current one), read through the cached secret reader.
 */
async function credential(readSecret: SecretReader, parameterName: string): Promise<string> {
  const [current] = await readSecretList(readSecret, parameterName);
  if (!HEADER_VALUE.test(current)) throw new InvalidCredentialError(parameterName, 'holds characters a header cannot carry');
  return current;
}

/** The headers a static credential adds: `header` sends the value as is, `basic` as RFC 7617 Basic credentials. */
export async function staticAuthHeaders(
  auth: NonNullable<DeliveryDestination['auth']>,
  readSecret: SecretReader,
): Promise<Record<string, string>> {
  const value = await credential(readSecret, auth.parameter);
  switch (auth.type) {
    case 'header':
      return { [auth.name.toLowerCase()]: value };
    case 'basic':
      if (!value.includes(':')) throw new InvalidCredentialError(auth.parameter, 'is not user:password');
      return { authorization: `Basic ${Buffer.from(value, 'utf8').toString('base64')}` };
    /* istanbul ignore next -- OAuth tokens are not static; the caller asks the token cache */
    default:
      throw new Error(`no static credential for auth type ${auth.type}`);
  }
}

export interface AuthorizedDeliveryOptions {
  readonly readSecret: SecretReader;
  readonly post?: typeof postDelivery;
  readonly tokens?: OAuthTokenCache;
  /** Monotonic milliseconds for the attempt's deadline (not the signed timestamp's clock). */
  readonly clock?: () => number;
}

export interface AttemptOptions {
  /** DELIVERY_TIMEOUT_MS: the attempt's budget when the destination sets no timeout of its own. */
  readonly defaultTimeoutMs: number;
  readonly log?: Logger;
}

/** Delivers one signed request to its destination with the destination's credentials; never throws for an HTTP outcome. */
export type AuthorizedDelivery = (
  destination: DeliveryDestination,
  request: DeliveryRequest,
  options: AttemptOptions,
) => Promise<DeliveryOutcome>;

/**
 * One attempt to a destination, credentials included. The destination's `timeoutSeconds` (else
 * DELIVERY_TIMEOUT_MS) bounds the whole attempt: an OAuth token request, the POST and the one
 * POST retried after a 401 share it, so an attempt never takes longer than the budget the
 * dispatcher's function timeout was checked against.
 *
 * OAuth 2.0: the access token is cached per destination; a 401 to a token is answered by
 * fetching a new one once and retrying the POST once; a second 401 fails the attempt (no third
 * token). A token endpoint that fails fails the attempt as `auth-token-failed`, retried by the
 * schedule like a receiver's 5xx.
 */
export function createAuthorizedDelivery(options: AuthorizedDeliveryOptions): AuthorizedDelivery {
  const { readSecret, post = postDelivery, tokens = createOAuthTokenCache(), clock = () => performance.now() } = options;

  return async (destination, request, { defaultTimeoutMs, log }) => {
    const budgetMs = destination.timeoutSeconds === undefined ? defaultTimeoutMs : destination.timeoutSeconds * 1000;
    const { auth } = destination;
    if (auth === undefined) return post(destination.url, request, budgetMs);
    if (auth.type !== 'oauth2') {
      const headers = await staticAuthHeaders(auth, readSecret);
      return post(destination.url, { ...request, headers: { ...request.headers, ...headers } }, budgetMs);
    }

    const deadline = clock() + budgetMs;
    const remaining = () => Math.max(1, Math.floor(deadline - clock()));
    const bearer = (token: string): DeliveryRequest => ({ ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } });
    const token = (rejected?: string) =>
      tokens.token({
        destination: destination.name,
        auth,
        clientSecret: () => credential(readSecret, auth.parameter),
        timeoutMs: remaining(),
        rejected,
      });
    try {
      const first = await token();
      const outcome = await post(destination.url, bearer(first), remaining());
      if (!(outcome.kind === 'failed' && outcome.status === 401)) return outcome;
      log?.info('The destination refused the access token; retrying once with a new one', { reason: 'auth-token-rejected' });
      return await post(destination.url, bearer(await token(first)), remaining());
    } catch (error) {
      if (!(error instanceof TokenEndpointError)) throw error;
      return { kind: 'failed', reason: 'auth-token-failed', detail: error.detail };
    }
  };
}
