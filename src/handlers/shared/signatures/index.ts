import type { FORWARDED_HEADERS, SignatureScheme } from '../../../contract';
import { verifyPrefixedHex } from './prefixed-hex';
import { verifyShopify } from './shopify';
import { verifyStripe } from './stripe';
import type { SignatureVerdict } from './verification';

export type { SignatureFailure, SignatureVerdict } from './verification';
export { signPrefixedHex } from './prefixed-hex';

/** The (lower-case, as forwarded by API Gateway) header carrying each scheme's signature. */
export const SIGNATURE_HEADER = {
  github: 'x-hub-signature-256',
  stripe: 'stripe-signature',
  shopify: 'x-shopify-hmac-sha256',
  'hmac-sha256': 'x-signature-256',
} as const satisfies Record<SignatureScheme, (typeof FORWARDED_HEADERS)[number]>;

export interface SignedRequest {
  /** The value of the scheme's {@link SIGNATURE_HEADER}. */
  readonly signatureHeader: string;
  /** The request body exactly as received: any re-encoding breaks the signature. */
  readonly rawBody: string;
  readonly secret: string;
  /** When the request was received, in Unix seconds (only Stripe signs a timestamp). */
  readonly receivedAtSeconds: number;
  readonly stripeToleranceSeconds: number;
}

export function verifySignature(scheme: SignatureScheme, request: SignedRequest): SignatureVerdict {
  const { signatureHeader, rawBody, secret } = request;
  switch (scheme) {
    case 'github':
    case 'hmac-sha256':
      return verifyPrefixedHex(signatureHeader, rawBody, secret);
    case 'shopify':
      return verifyShopify(signatureHeader, rawBody, secret);
    case 'stripe':
      return verifyStripe(signatureHeader, rawBody, secret, {
        nowSeconds: request.receivedAtSeconds,
        toleranceSeconds: request.stripeToleranceSeconds,
      });
  }
}
