import type { RejectionReason } from '../../../contract';

/** Why a signature check failed; a subset of the rejection reasons. */
export type SignatureFailure = Extract<RejectionReason, 'malformed-signature' | 'bad-signature' | 'stale-timestamp'>;

export type SignatureVerdict = { readonly valid: true } | { readonly valid: false; readonly reason: SignatureFailure };

export const VALID: SignatureVerdict = { valid: true };

export function invalid(reason: SignatureFailure): SignatureVerdict {
  return { valid: false, reason };
}

/** For schemes that sign a timestamp: the moment to measure it against, and how far it may be. */
export interface TimestampTolerance {
  /** The moment the webhook was received, in Unix seconds. */
  readonly nowSeconds: number;
  /** Largest accepted distance, either way, between the signed timestamp and `nowSeconds`. */
  readonly toleranceSeconds: number;
}

export function isWithinTolerance(timestampSeconds: number, tolerance: TimestampTolerance): boolean {
  return Math.abs(tolerance.nowSeconds - timestampSeconds) <= tolerance.toleranceSeconds;
}
