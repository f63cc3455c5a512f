/**
 * A record whose body cannot be what the previous stage sends. Retrying cannot fix it, but it is
 * failed anyway, not dropped: after maxReceiveCount it lands in the DLQ, where an operator can
 * see what produced it.
 */
export class InvalidMessageError extends Error {
  /** Logged with the failure; see `failureReason`. */
  readonly reason = 'invalid-message';

  constructor(
    readonly kind: string,
    readonly problem: string,
  ) {
    super(`Not a valid ${kind}: ${problem}`);
    this.name = 'InvalidMessageError';
  }
}
