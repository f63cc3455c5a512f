import type { RejectionReason } from '../../../contract';

/** Why a signature check failed; a subset of the rejection reasons. */
export type SignatureFailure = Extract<RejectionReason, 'malformed-signature' | 'bad-signature' | 'stale-timestamp'>;

export type SignatureVerdict = { readonly valid: true } | { readonly valid: false; readonly reason: SignatureFailure };

export const VALID: SignatureVerdict = { valid: true };

export function invalid(reason: SignatureFailure): SignatureVerdict {
  return { valid: false, reason };
}
