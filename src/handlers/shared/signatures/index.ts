import type { FORWARDED_HEADERS, SignatureScheme } from '../../../contract';
import { verifyPrefixedHex } from './prefixed-hex';
import { verifyShopify } from './shopify';
import { verifyStandardWebhooks } from './standard-webhooks';
import { verifyStripe } from './stripe';
import type { SignatureVerdict } from './verification';

export type { SignatureFailure, SignatureVerdict } from './verification';
export { signPrefixedHex } from './prefixed-hex';

type ForwardedHeader = (typeof FORWARDED_HEADERS)[number];

/** The (lower-case, as forwarded by API Gateway) header carrying each scheme's signature. */
export const SIGNATURE_HEADER = {
  github: 'x-hub-signature-256',
  stripe: 'stripe-signature',
  shopify: 'x-shopify-hmac-sha256',
  'hmac-sha256': 'x-signature-256',
  'standard-webhooks': 'webhook-signature',
} as const satisfies Record<SignatureScheme, ForwardedHeader>;

/**
 * Every header a scheme needs to verify a request: its {@link SIGNATURE_HEADER} and the headers
 * whose values it signs. A request lacking one cannot be verified, whatever the secret.
 */
export const REQUIRED_HEADERS = {
  github: [SIGNATURE_HEADER.github],
  stripe: [SIGNATURE_HEADER.stripe],
  shopify: [SIGNATURE_HEADER.shopify],
  'hmac-sha256': [SIGNATURE_HEADER['hmac-sha256']],
  'standard-webhooks': ['webhook-id', 'webhook-timestamp', SIGNATURE_HEADER['standard-webhooks']],
} as const satisfies Record<SignatureScheme, readonly ForwardedHeader[]>;

export interface SignedRequest {
  /** The forwarded headers, by lower-case name; the scheme's {@link REQUIRED_HEADERS} among them. */
  readonly headers: ReadonlyMap<ForwardedHeader, string>;
  /** The request body exactly as received: any re-encoding breaks the signature. */
  readonly rawBody: string;
  readonly secret: string;
  /** When the request was received, in Unix seconds (for the schemes that sign a timestamp). */
  readonly receivedAtSeconds: number;
  /** How far a signed timestamp may be from `receivedAtSeconds` (Stripe and Standard Webhooks). */
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
  const tolerance = { nowSeconds: request.receivedAtSeconds, toleranceSeconds: request.stripeToleranceSeconds };
  switch (scheme) {
    case 'github':
    case 'hmac-sha256':
      return verifyPrefixedHex(header(SIGNATURE_HEADER[scheme]), rawBody, secret);
    case 'shopify':
      return verifyShopify(header(SIGNATURE_HEADER.shopify), rawBody, secret);
    case 'stripe':
      return verifyStripe(header(SIGNATURE_HEADER.stripe), rawBody, secret, tolerance);
    case 'standard-webhooks': {
      const signed = { id: header('webhook-id'), timestamp: header('webhook-timestamp'), signature: header('webhook-signature') };
      return verifyStandardWebhooks(signed, rawBody, secret, tolerance);
    }
  }
}
