import { SIGNATURE_SCHEMES, type SignatureScheme } from '../../contract';
import { isJsonObject } from './json';
import { MessageFields } from './message-fields';

/** Bumped on any incompatible change; version 1 (0.1.0) carried a parsed `payload`. */
export const PROCESS_ENVELOPE_VERSION = 2;

/** What the validator sends to the process queue: a verified webhook, provider-neutral. */
export interface ProcessEnvelope {
  readonly version: typeof PROCESS_ENVELOPE_VERSION;
  readonly source: string;
  readonly scheme: SignatureScheme;
  /** The provider's id for this delivery; retries of one delivery share it. */
  readonly deliveryId: string;
  /** The provider's event type, when the scheme carries one. */
  readonly eventType: string | null;
  /** ISO-8601 time API Gateway received the webhook. */
  readonly receivedAt: string;
  /** API Gateway's request id, for tracing a delivery back to its access log line. */
  readonly requestId: string | null;
  /** The provider's request body, exactly as it arrived (verified JSON text, never re-serialized). */
  readonly body: string;
  /**
   * The request headers API Gateway forwarded for the source's scheme (the ingest message's
   * attributes), by lower-case name: what the processor archives of the request. At most the
   * scheme's eight headers, a few hundred bytes. Absent from envelopes queued before the archive
   * (0.3.0): {@link parseProcessEnvelope} reads those as `{}`.
   */
  readonly headers?: Readonly<Record<string, string>>;
}

const KIND = 'process envelope';

/**
 * Parses a process-queue message body, or throws an `InvalidMessageError`. A version 1 envelope,
 * still queued from before an upgrade, has its parsed `payload` serialized again.
 */
export function parseProcessEnvelope(body: string): ProcessEnvelope {
  const fields = MessageFields.parse(KIND, body);
  const version = fields.get('version');
  if (version !== PROCESS_ENVELOPE_VERSION && version !== 1) {
    fields.fail(`"version" must be ${PROCESS_ENVELOPE_VERSION}`);
  }
  const scheme = fields.string('scheme');
  if (!(SIGNATURE_SCHEMES as readonly string[]).includes(scheme)) fields.fail(`unknown scheme "${scheme}"`);
  const payloadKey = version === 1 ? 'payload' : 'body';
  if (!fields.has(payloadKey)) fields.fail(`"${payloadKey}" is missing`);
  const rawBody = version === 1 ? JSON.stringify(fields.get('payload')) : fields.get('body');
  if (typeof rawBody !== 'string') fields.fail('"body" must be a string');
  return {
    version: PROCESS_ENVELOPE_VERSION,
    source: fields.string('source'),
    scheme: scheme as SignatureScheme,
    deliveryId: fields.string('deliveryId'),
    eventType: fields.nullableString('eventType'),
    receivedAt: fields.timestamp('receivedAt'),
    requestId: fields.nullableString('requestId'),
    body: rawBody as string,
    headers: headersOf(fields),
  };
}

function headersOf(fields: MessageFields): Readonly<Record<string, string>> {
  if (!fields.has('headers')) return {};
  const headers = fields.get('headers');
  if (!isJsonObject(headers) || !Object.values(headers).every((value) => typeof value === 'string')) {
    fields.fail('"headers" must be an object of strings');
  }
  return headers as Record<string, string>;
}
