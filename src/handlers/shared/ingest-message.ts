import type { SQSRecord } from 'aws-lambda';
import { FORWARDED_HEADERS, INGEST_ATTRIBUTE } from '../../contract';
import { sentTimestampMillis, stringAttributes } from './sqs-attributes';

export type ForwardedHeader = (typeof FORWARDED_HEADERS)[number];

/** A webhook as API Gateway stored it on the ingest queue (README: "Ingest message"). */
export interface IngestMessage {
  /** The `{source}` path parameter; undefined when the attribute is missing. */
  readonly source: string | undefined;
  /** API Gateway's request id; undefined for messages injected by hand. */
  readonly requestId: string | undefined;
  /**
   * Forwarded request headers that were present, by lower-case name, with aliases read as the
   * name they stand for ({@link HEADER_ALIASES}): a `svix-id` header is found as `webhook-id`.
   */
  readonly headers: ReadonlyMap<ForwardedHeader, string>;
  /**
   * The same headers as they arrived, aliases under their own names (`svix-id` stays `svix-id`):
   * what the archive keeps of the request.
   */
  readonly forwardedHeaders: ReadonlyMap<ForwardedHeader, string>;
  /** The request body, byte for byte as the provider signed it. */
  readonly rawBody: string;
  /** When API Gateway enqueued the request (epoch millis), if SQS said so. */
  readonly receivedAtMillis: number | undefined;
}

/**
 * Headers that are another spelling of a header the schemes read: Svix-powered providers (Clerk,
 * Resend, …) send Standard Webhooks' three headers under Svix's name, with the same values and the
 * same algorithm. They are read as the unbranded name, so verification and de-duplication
 * (`webhook-id` is the delivery id) see one spelling; when a request carries both, the unbranded
 * header wins.
 */
export const HEADER_ALIASES = {
  'svix-id': 'webhook-id',
  'svix-timestamp': 'webhook-timestamp',
  'svix-signature': 'webhook-signature',
} as const satisfies Partial<Record<ForwardedHeader, ForwardedHeader>>;

const FORWARDED = new Set<string>(FORWARDED_HEADERS);

export function readIngestMessage(record: SQSRecord): IngestMessage {
  const attributes = stringAttributes(record);
  const headers = new Map<ForwardedHeader, string>();
  for (const [name, value] of attributes) {
    if (FORWARDED.has(name)) headers.set(name as ForwardedHeader, value);
  }
  const forwardedHeaders = new Map(headers);
  for (const [alias, name] of Object.entries(HEADER_ALIASES) as [keyof typeof HEADER_ALIASES, ForwardedHeader][]) {
    const value = headers.get(alias);
    if (value === undefined) continue;
    headers.delete(alias);
    if (!headers.has(name)) headers.set(name, value);
  }
  return {
    source: attributes.get(INGEST_ATTRIBUTE.source),
    requestId: attributes.get(INGEST_ATTRIBUTE.requestId),
    headers,
    forwardedHeaders,
    rawBody: record.body,
    receivedAtMillis: sentTimestampMillis(record),
  };
}
