import {
  DESTINATION_AUTH_TYPES,
  type DestinationAuthType,
  isAuthHeaderName,
  MAX_DESTINATION_TIMEOUT_SECONDS,
  MIN_DESTINATION_TIMEOUT_SECONDS,
  OAUTH_TEXT,
} from '../../config/destination-auth';
import { isJsonObject, type JsonValue } from './json';

/**
 * How the dispatcher proves itself to a destination besides the signature, as DELIVERY_DESTINATIONS
 * carries it: the kind, what is not secret, and the NAME of the SSM SecureString holding the
 * credential. The credential itself is read from SSM when needed, never from the environment.
 */
export type DestinationAuth =
  /** The parameter's value is sent as header `name` (`X-Api-Key: …`, `Authorization: Bearer …`). */
  | { readonly type: 'header'; readonly name: string; readonly parameter: string }
  /** The parameter holds `user:password`, sent as `Authorization: Basic base64(user:password)`. */
  | { readonly type: 'basic'; readonly parameter: string }
  /** OAuth 2.0 client credentials; the parameter holds the client secret. */
  | {
      readonly type: 'oauth2';
      readonly tokenUrl: string;
      readonly clientId: string;
      readonly scope: string | null;
      readonly parameter: string;
    };

/** Parses a destination's `auth` (absent or null: none); `fail` names the problem and throws. */
export function parseDestinationAuth(value: JsonValue | undefined, fail: (problem: string) => never): DestinationAuth | null {
  if (value === undefined || value === null) return null;
  if (!isJsonObject(value)) return fail(`with auth ${JSON.stringify(value)}; expected an object or null`);
  const { type, parameter, name, tokenUrl, clientId, scope } = value;
  if (typeof type !== 'string' || !(DESTINATION_AUTH_TYPES as readonly string[]).includes(type)) {
    fail(`with auth.type ${JSON.stringify(type ?? null)}; expected one of ${DESTINATION_AUTH_TYPES.join(', ')}`);
  }
  if (typeof parameter !== 'string' || !parameter.startsWith('/')) {
    fail(`with auth.parameter ${JSON.stringify(parameter ?? null)}; expected an SSM parameter name starting with "/"`);
  }
  const parameterName = parameter as string;
  switch (type as DestinationAuthType) {
    case 'header':
      if (!isAuthHeaderName(name)) {
        fail(`with auth.name ${JSON.stringify(name ?? null)}; expected a header name the dispatcher does not set itself`);
      }
      return { type: 'header', name: name as string, parameter: parameterName };
    case 'basic':
      return { type: 'basic', parameter: parameterName };
    case 'oauth2':
      if (typeof tokenUrl !== 'string' || !isHttpUrl(tokenUrl)) {
        fail(`with auth.tokenUrl ${JSON.stringify(tokenUrl ?? null)}; expected an http(s) URL`);
      }
      if (typeof clientId !== 'string' || !OAUTH_TEXT.test(clientId)) {
        fail(`with auth.clientId ${JSON.stringify(clientId ?? null)}; expected 1-256 printable characters`);
      }
      if (scope !== undefined && scope !== null && !(typeof scope === 'string' && OAUTH_TEXT.test(scope))) {
        fail(`with auth.scope ${JSON.stringify(scope)}; expected 1-256 printable characters or null`);
      }
      return {
        type: 'oauth2',
        tokenUrl: tokenUrl as string,
        clientId: clientId as string,
        scope: (scope as string | undefined) ?? null,
        parameter: parameterName,
      };
  }
}

/** Parses a destination's `timeoutSeconds` (absent or null: the dispatcher's DELIVERY_TIMEOUT_MS). */
export function parseTimeoutSeconds(value: JsonValue | undefined, fail: (problem: string) => never): number | null {
  if (value === undefined || value === null) return null;
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < MIN_DESTINATION_TIMEOUT_SECONDS ||
    value > MAX_DESTINATION_TIMEOUT_SECONDS
  ) {
    fail(
      `with timeoutSeconds ${JSON.stringify(value)}; expected a whole number from ${MIN_DESTINATION_TIMEOUT_SECONDS} to ${MAX_DESTINATION_TIMEOUT_SECONDS} or null`,
    );
  }
  return value as number;
}

/** An absolute http(s) URL without whitespace that `fetch` can parse, so a typo fails at cold start, not per delivery. */
export function isHttpUrl(value: string): boolean {
  if (!/^https?:\/\/\S+$/.test(value)) return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}
