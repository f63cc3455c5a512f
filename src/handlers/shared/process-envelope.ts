import { SIGNATURE_SCHEMES, type SignatureScheme } from '../../contract';
import type { JsonValue } from './json';
import { MessageFields } from './message-fields';

/** Bumped on any incompatible change, so a processor never misreads an envelope it predates. */
export const PROCESS_ENVELOPE_VERSION = 1;

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
  /** The parsed request body. */
  readonly payload: JsonValue;
}

const KIND = 'process envelope';

/** Parses a process-queue message body, or throws an `InvalidMessageError`. */
export function parseProcessEnvelope(body: string): ProcessEnvelope {
  const fields = MessageFields.parse(KIND, body);
  if (fields.get('version') !== PROCESS_ENVELOPE_VERSION) {
    fields.fail(`"version" must be ${PROCESS_ENVELOPE_VERSION}`);
  }
  const scheme = fields.string('scheme');
  if (!(SIGNATURE_SCHEMES as readonly string[]).includes(scheme)) fields.fail(`unknown scheme "${scheme}"`);
  if (!fields.has('payload')) fields.fail('"payload" is missing');
  return {
    version: PROCESS_ENVELOPE_VERSION,
    source: fields.string('source'),
    scheme: scheme as SignatureScheme,
    deliveryId: fields.string('deliveryId'),
    eventType: fields.nullableString('eventType'),
    receivedAt: fields.timestamp('receivedAt'),
    requestId: fields.nullableString('requestId'),
    payload: fields.get('payload'),
  };
}
