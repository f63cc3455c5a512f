import type { SQSRecord } from 'aws-lambda';

/**
 * The record's String (and Number) message attributes, keyed by lower-case name. Names are
 * matched case-insensitively because operators replaying or injecting messages by hand should
 * not have to match API Gateway's casing; empty values count as absent.
 */
export function stringAttributes(record: SQSRecord): ReadonlyMap<string, string> {
  const attributes = new Map<string, string>();
  for (const [name, attribute] of Object.entries(record.messageAttributes ?? {})) {
    const value = attribute?.stringValue;
    if (value !== undefined && value !== '') attributes.set(name.toLowerCase(), value);
  }
  return attributes;
}

/**
 * When SQS accepted the message, from the `SentTimestamp` system attribute (epoch millis), or
 * undefined when a hand-built record lacks it.
 */
export function sentTimestampMillis(record: SQSRecord): number | undefined {
  const raw = record.attributes?.SentTimestamp;
  const millis = raw === undefined ? Number.NaN : Number(raw);
  return Number.isFinite(millis) && millis > 0 ? millis : undefined;
}
