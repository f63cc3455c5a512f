import { DEFAULT_DESTINATION } from '../../contract';
import { MessageFields } from './message-fields';

/** Bumped on any incompatible change; version 1 (0.1.0) carried a parsed `data` and no destination. */
export const DELIVERY_EVENT_VERSION = 2;

/**
 * What the processor sends to the deliver queue, one message per event and destination, and the
 * dispatcher delivers: the provider's body as it arrived, and the metadata that goes in headers.
 */
export interface DeliveryEvent {
  readonly version: typeof DELIVERY_EVENT_VERSION;
  /** The destination (a key of DELIVERY_DESTINATIONS) this message is for. */
  readonly destination: string;
  /** The provider's delivery id; with `source`, the receiver's de-duplication key. */
  readonly id: string;
  readonly source: string;
  readonly type: string;
  /** ISO-8601 time API Gateway received the webhook. */
  readonly receivedAt: string;
  /** ISO-8601 time the processor first handled it. */
  readonly processedAt: string;
  readonly requestId: string | null;
  /** The provider's request body, exactly as it arrived: delivered byte for byte. */
  readonly body: string;
  /**
   * Set only by the operator CLI's replay (`webhook-pipeline replay --as-new`): the `webhook-id`
   * to send, and sign with, instead of `<source>:<id>`, so the receiver takes the replay for a new
   * event rather than de-duplicating it (`<source>:<id>:replay-<replay id>`, see REPLAY_ID_SEPARATOR
   * in src/history/archive-records.ts). Absent on the pipeline's own deliveries and on messages
   * queued before it existed: those send `<source>:<id>`.
   */
  readonly webhookId?: string;
  /**
   * Set only by the operator CLI's replay: the replay that queued this delivery, copied into each
   * of its attempts' archive lines (`replay_id`). Absent: the pipeline's own delivery (`replay_id`
   * null).
   */
  readonly replayId?: string;
}

const KIND = 'delivery event';

/**
 * Parses a deliver-queue message body, or throws an `InvalidMessageError`. A version 1 message,
 * still queued from before an upgrade, reads as one for the default destination with its parsed
 * `data` serialized again: the best its already-parsed payload allows.
 */
export function parseDeliveryEvent(body: string): DeliveryEvent {
  const fields = MessageFields.parse(KIND, body);
  const version = fields.get('version');
  const legacy = version === undefined;
  if (!legacy && version !== DELIVERY_EVENT_VERSION) fields.fail(`"version" must be ${DELIVERY_EVENT_VERSION}`);
  const payloadKey = legacy ? 'data' : 'body';
  if (!fields.has(payloadKey)) fields.fail(`"${payloadKey}" is missing`);
  const rawBody = legacy ? JSON.stringify(fields.get('data')) : fields.get('body');
  if (typeof rawBody !== 'string') fields.fail('"body" must be a string');
  return {
    version: DELIVERY_EVENT_VERSION,
    destination: legacy ? DEFAULT_DESTINATION : fields.string('destination'),
    id: fields.string('id'),
    source: fields.string('source'),
    type: fields.string('type'),
    receivedAt: fields.timestamp('receivedAt'),
    processedAt: fields.timestamp('processedAt'),
    requestId: fields.nullableString('requestId'),
    body: rawBody as string,
    ...optional(fields, 'webhookId'),
    ...optional(fields, 'replayId'),
  };
}

/** `{ [key]: value }` when the message has a non-empty string `key`, `{}` when it has none (or null); anything else fails. */
function optional<K extends 'webhookId' | 'replayId'>(fields: MessageFields, key: K): { [P in K]?: string } {
  if (!fields.has(key) || fields.get(key) === null) return {};
  return { [key]: fields.string(key) } as { [P in K]?: string };
}
