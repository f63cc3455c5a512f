import type { FORWARDED_HEADERS, SignatureScheme } from '../../../contract';
import { verifyLinear } from './linear';
import { verifyPaddle } from './paddle';
import { verifyPrefixedHex } from './prefixed-hex';
import { verifyShopify } from './shopify';
import { verifySlack } from './slack';
import { verifyStandardWebhooks } from './standard-webhooks';
import { verifyStripe } from './stripe';
import type { SignatureVerdict } from './verification';

export type { SignatureFailure, SignatureVerdict } from './verification';
export { signPrefixedHex } from './prefixed-hex';

type ForwardedHeader = (typeof FORWARDED_HEADERS)[number];

/**
 * The (lower-case, as forwarded by API Gateway) headers that may carry each scheme's signature, in
 * the order they are looked for: Shopify's newer webhooks name it without the `X-` prefix.
 */
export const SIGNATURE_HEADERS = {
  github: ['x-hub-signature-256'],
  stripe: ['stripe-signature'],
  shopify: ['x-shopify-hmac-sha256', 'shopify-hmac-sha256'],
  'hmac-sha256': ['x-signature-256'],
  'standard-webhooks': ['webhook-signature'],
  slack: ['x-slack-signature'],
  paddle: ['paddle-signature'],
  linear: ['linear-signature'],
} as const satisfies Record<SignatureScheme, readonly [ForwardedHeader, ...ForwardedHeader[]]>;

/** Each scheme's usual signature header: the first of its {@link SIGNATURE_HEADERS}. */
export const SIGNATURE_HEADER = {
  github: SIGNATURE_HEADERS.github[0],
  stripe: SIGNATURE_HEADERS.stripe[0],
  shopify: SIGNATURE_HEADERS.shopify[0],
  'hmac-sha256': SIGNATURE_HEADERS['hmac-sha256'][0],
  'standard-webhooks': SIGNATURE_HEADERS['standard-webhooks'][0],
  slack: SIGNATURE_HEADERS.slack[0],
  paddle: SIGNATURE_HEADERS.paddle[0],
  linear: SIGNATURE_HEADERS.linear[0],
} as const satisfies Record<SignatureScheme, ForwardedHeader>;

/**
 * Every header a scheme needs to verify a request, as a list of requirements, each met by any one
 * of its headers: the signature (one of {@link SIGNATURE_HEADERS}) and the headers whose values it
 * signs. A request lacking one cannot be verified, whatever the secret.
 */
export const REQUIRED_HEADERS = {
  github: [SIGNATURE_HEADERS.github],
  stripe: [SIGNATURE_HEADERS.stripe],
  shopify: [SIGNATURE_HEADERS.shopify],
  'hmac-sha256': [SIGNATURE_HEADERS['hmac-sha256']],
  'standard-webhooks': [['webhook-id'], ['webhook-timestamp'], SIGNATURE_HEADERS['standard-webhooks']],
  slack: [['x-slack-request-timestamp'], SIGNATURE_HEADERS.slack],
  paddle: [SIGNATURE_HEADERS.paddle],
  linear: [SIGNATURE_HEADERS.linear],
} as const satisfies Record<SignatureScheme, readonly (readonly ForwardedHeader[])[]>;

/** The first requirement of {@link REQUIRED_HEADERS} that none of `headers` meets, if any. */
export function missingRequirement(
  scheme: SignatureScheme,
  headers: ReadonlyMap<ForwardedHeader, string>,
): readonly ForwardedHeader[] | undefined {
  return REQUIRED_HEADERS[scheme].find((names: readonly ForwardedHeader[]) => !names.some((name) => headers.has(name)));
}

/** The header a request's signature is read from: the first of its scheme's that is present. */
export function signatureHeaderOf(scheme: SignatureScheme, headers: ReadonlyMap<ForwardedHeader, string>): ForwardedHeader {
  return SIGNATURE_HEADERS[scheme].find((name: ForwardedHeader) => headers.has(name)) ?? SIGNATURE_HEADER[scheme];
}

export interface SignedRequest {
  /** The forwarded headers, by lower-case name; the scheme's {@link REQUIRED_HEADERS} among them. */
  readonly headers: ReadonlyMap<ForwardedHeader, string>;
  /** The request body exactly as received: any re-encoding breaks the signature. */
  readonly rawBody: string;
  readonly secret: string;
  /** When the request was received, in Unix seconds (for the schemes that sign a timestamp). */
  readonly receivedAtSeconds: number;
  /** How far a signed timestamp may be from `receivedAtSeconds` (every scheme that signs one). */
  readonly stripeToleranceSeconds: number;
}

/**
 * Verifies a request against its scheme. A required header that is absent reads as empty, which
 * every scheme reports as malformed; callers check {@link REQUIRED_HEADERS} first to tell the
 * two apart.
 */
export function verifySignature(scheme: SignatureScheme, request: SignedRequest): SignatureVerdict {
  const { headers, rawBody, secret } = request;
  const header = (name: ForwardedHeader) => headers.get(name) ?? '';
  const signature = header(signatureHeaderOf(scheme, headers));
  const tolerance = { nowSeconds: request.receivedAtSeconds, toleranceSeconds: request.stripeToleranceSeconds };
  switch (scheme) {
    case 'github':
    case 'hmac-sha256':
      return verifyPrefixedHex(signature, rawBody, secret);
    case 'shopify':
      return verifyShopify(signature, rawBody, secret);
    case 'stripe':
      return verifyStripe(signature, rawBody, secret, tolerance);
    case 'standard-webhooks': {
      const signed = { id: header('webhook-id'), timestamp: header('webhook-timestamp'), signature };
      return verifyStandardWebhooks(signed, rawBody, secret, tolerance);
    }
    case 'slack':
      return verifySlack({ signature, timestamp: header('x-slack-request-timestamp') }, rawBody, secret, tolerance);
    case 'paddle':
      return verifyPaddle(signature, rawBody, secret, tolerance);
    case 'linear':
      return verifyLinear(signature, rawBody, secret, tolerance);
  }
}
