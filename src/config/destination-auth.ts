/**
 * Per-destination authentication and timeout: the rules the construct, the Terraform variable and
 * the dispatcher share. Pure data, no cdktf: the dispatcher's bundle imports it too.
 */

/** Seconds one delivery attempt may take at most, token request and the one retry after a 401 included. */
export const MIN_DESTINATION_TIMEOUT_SECONDS = 1;
export const MAX_DESTINATION_TIMEOUT_SECONDS = 30;

/**
 * A batch's records are delivered concurrently, but records of one event and destination go one
 * after another: two rounds of attempts must fit in 80 % of the dispatcher's timeout (as
 * `deliveryTimeoutMs` derives the default), so a destination's timeout is at most 40 % of it.
 */
export const DISPATCHER_TIMEOUT_SHARE = 0.4;

/** Kinds of credentials a destination can ask for, besides the Standard Webhooks signature every delivery carries. */
export const DESTINATION_AUTH_TYPES = ['header', 'basic', 'oauth2'] as const;
export type DestinationAuthType = (typeof DESTINATION_AUTH_TYPES)[number];

/** The credential of destination `d` is the SecureString `<destination secrets prefix><d><AUTH_PARAMETER_SUFFIX>`. */
export const AUTH_PARAMETER_SUFFIX = '/auth';

/** An HTTP field name (RFC 9110 `token`), at most 64 characters. */
export const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;

/**
 * Headers a `header` credential may not replace: the ones the dispatcher signs or sets itself,
 * and those fetch manages. Compared lower-case; `x-webhook-` is a prefix.
 */
export const RESERVED_HEADERS = [
  'content-type',
  'content-length',
  'host',
  'connection',
  'transfer-encoding',
  'user-agent',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'x-signature-256',
] as const;
export const RESERVED_HEADER_PREFIX = 'x-webhook-';

/** Whether `name` can carry a `header` credential: a field name the dispatcher does not set itself. */
export function isAuthHeaderName(name: unknown): name is string {
  if (typeof name !== 'string' || !HEADER_NAME.test(name)) return false;
  const lower = name.toLowerCase();
  return !(RESERVED_HEADERS as readonly string[]).includes(lower) && !lower.startsWith(RESERVED_HEADER_PREFIX);
}

/** An https URL with a host, as the token endpoint must be (the client secret travels to it). */
export const HTTPS_TOKEN_URL = /^https:\/\/[^\s/?#]+\S*$/;

/** A client id or scope: printable ASCII without quotes or backslashes, at most 256 characters (RFC 6749 appendix A). */
export const OAUTH_TEXT = /^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,256}$/;
