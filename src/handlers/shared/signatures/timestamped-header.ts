import { decodeHexDigest } from './hmac';

/** How one provider spells a `<timestamp key>=<unix>` + `<digest key>=<hex>…` signature header. */
export interface TimestampedHeaderFormat {
  /** Between elements: `,` (Stripe), `;` (Paddle). */
  readonly separator: string;
  readonly timestampKey: string;
  /** The one digest scheme to trust; several digests of it may be sent while a secret rotates. */
  readonly digestKey: string;
}

export interface TimestampedDigests {
  readonly timestamp: number;
  readonly digests: readonly Buffer[];
}

/**
 * Parses a header such as Stripe's `t=…,v1=…[,v1=…]` or Paddle's `ts=…;h1=…[;h1=…]`. Keys other
 * than the two named are skipped (Stripe's test-mode `v0` must never be trusted, and Paddle may add
 * schemes). Undefined when an element is not `key=value`, the timestamp is missing, repeated or not
 * whole seconds, a digest is not a hex SHA-256, or no digest is there.
 */
export function parseTimestampedDigests(header: string, format: TimestampedHeaderFormat): TimestampedDigests | undefined {
  let timestamp: number | undefined;
  const digests: Buffer[] = [];
  for (const element of header.split(format.separator)) {
    const separator = element.indexOf('=');
    if (separator < 1) return undefined;
    const key = element.slice(0, separator).trim();
    const value = element.slice(separator + 1).trim();
    if (key === format.timestampKey) {
      if (timestamp !== undefined || !/^\d{1,12}$/.test(value)) return undefined;
      timestamp = Number(value);
    } else if (key === format.digestKey) {
      const digest = decodeHexDigest(value);
      if (!digest) return undefined;
      digests.push(digest);
    }
  }
  return timestamp === undefined || digests.length === 0 ? undefined : { timestamp, digests };
}
