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
  /** Forwarded request headers that were present, by lower-case name. */
  readonly headers: ReadonlyMap<ForwardedHeader, string>;
  /** The request body, byte for byte as the provider signed it. */
  readonly rawBody: string;
  /** When API Gateway enqueued the request (epoch millis), if SQS said so. */
  readonly receivedAtMillis: number | undefined;
}

const FORWARDED = new Set<string>(FORWARDED_HEADERS);

export function readIngestMessage(record: SQSRecord): IngestMessage {
  const attributes = stringAttributes(record);
  const headers = new Map<ForwardedHeader, string>();
  for (const [name, value] of attributes) {
    if (FORWARDED.has(name)) headers.set(name as ForwardedHeader, value);
  }
  return {
    source: attributes.get(INGEST_ATTRIBUTE.source),
    requestId: attributes.get(INGEST_ATTRIBUTE.requestId),
    headers,
    rawBody: record.body,
    receivedAtMillis: sentTimestampMillis(record),
  };
}
