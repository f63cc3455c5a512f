/**
 * The contract shared by the infrastructure (API Gateway mapping template, Lambda environment,
 * IAM scoping) and the three handlers. Anything both sides must agree on lives here, once.
 */

/** Signature schemes a webhook source can use (docs/SIGNATURES.md). */
export const SIGNATURE_SCHEMES = ['github', 'stripe', 'shopify', 'hmac-sha256', 'standard-webhooks', 'slack', 'paddle', 'linear'] as const;
export type SignatureScheme = (typeof SIGNATURE_SCHEMES)[number];

/** SQS allows at most 10 message attributes on one message. */
export const MAX_MESSAGE_ATTRIBUTES = 10;

/**
 * Ingest message attributes. API Gateway always sets these two; they take the first two of the
 * ten attribute slots.
 */
export const INGEST_ATTRIBUTE = {
  source: 'source',
  requestId: 'request-id',
} as const;

/**
 * Every request header that can reach the ingest queue, as an SQS message attribute named by the
 * lower-case header name: the union of {@link SCHEME_HEADERS}, and what the ingest reader
 * (`readIngestMessage`) accepts. API Gateway forwards, for each request, only the headers of its
 * source's scheme; this list's order carries no meaning.
 */
export const FORWARDED_HEADERS = [
  // Verification: signatures, signed ids and timestamps.
  'x-hub-signature-256',
  'stripe-signature',
  'x-shopify-hmac-sha256',
  'shopify-hmac-sha256',
  'x-signature-256',
  'webhook-signature',
  'webhook-id',
  'webhook-timestamp',
  'svix-signature',
  'svix-id',
  'svix-timestamp',
  'x-slack-signature',
  'x-slack-request-timestamp',
  'paddle-signature',
  'linear-signature',
  // De-duplication: delivery ids sent as headers.
  'x-github-delivery',
  'x-shopify-webhook-id',
  'shopify-webhook-id',
  'x-webhook-id',
  'linear-delivery',
  // Informative.
  'x-github-event',
  'x-shopify-topic',
  'shopify-topic',
  'x-webhook-event',
  'linear-event',
  'content-type',
  'x-webhook-timestamp',
] as const;

/**
 * The headers API Gateway forwards for a request, by its source's scheme, in priority order: the
 * headers the scheme verifies (signatures, signed ids and timestamps), then its delivery id, its
 * event type, and the content type. Only the ones present are forwarded. Each list fits in the
 * eight attribute slots left after `source` and `request-id`, so nothing a scheme needs is ever
 * dropped, whatever else a request carries.
 *
 * Shopify's newer webhooks drop the `X-` prefix, and Svix-powered providers (Clerk, Resend, …) send
 * Standard Webhooks' headers as `svix-*`: both spellings are listed, the usual one first.
 */
export const SCHEME_HEADERS: Readonly<Record<SignatureScheme, readonly (typeof FORWARDED_HEADERS)[number][]>> = {
  github: ['x-hub-signature-256', 'x-github-delivery', 'x-github-event', 'content-type'],
  stripe: ['stripe-signature', 'content-type'],
  shopify: [
    'x-shopify-hmac-sha256',
    'shopify-hmac-sha256',
    'x-shopify-webhook-id',
    'shopify-webhook-id',
    'x-shopify-topic',
    'shopify-topic',
    'content-type',
  ],
  'hmac-sha256': ['x-signature-256', 'x-webhook-id', 'x-webhook-event', 'content-type', 'x-webhook-timestamp'],
  'standard-webhooks': [
    'webhook-signature',
    'webhook-id',
    'webhook-timestamp',
    'svix-signature',
    'svix-id',
    'svix-timestamp',
    'content-type',
  ],
  slack: ['x-slack-signature', 'x-slack-request-timestamp', 'content-type'],
  paddle: ['paddle-signature', 'content-type'],
  linear: ['linear-signature', 'linear-delivery', 'linear-event', 'content-type'],
};

/** Environment variables the handlers read; the stack sets exactly these. */
export const HANDLER_ENV = {
  /** URL of the queue a handler forwards to (validator → process, processor → deliver). */
  nextQueueUrl: 'NEXT_QUEUE_URL',
  /** JSON object: source name → { scheme }. Mirrors `var.webhook_sources`. */
  webhookSources: 'WEBHOOK_SOURCES',
  /** SSM path prefix (ends with `/`) under which each source's secret is `<prefix><source>`. */
  sourceSecretsPath: 'SOURCE_SECRETS_PATH',
  /** Seconds a signed timestamp (Stripe, Standard Webhooks, Slack, Paddle, Linear) may differ from the time of receipt. */
  stripeToleranceSeconds: 'STRIPE_TOLERANCE_SECONDS',
  /** Largest raw body, in bytes, the validator accepts. */
  maxBodyBytes: 'MAX_BODY_BYTES',
  /** Largest message the next queue takes, in bytes: the size limit of each SendMessageBatch call. */
  maxMessageBytes: 'MAX_MESSAGE_BYTES',
  /** DynamoDB table holding idempotency records. */
  idempotencyTable: 'IDEMPOTENCY_TABLE_NAME',
  /** Seconds an idempotency record lives. */
  idempotencyTtlSeconds: 'IDEMPOTENCY_TTL_SECONDS',
  /**
   * JSON object: destination name → { url, secretParameter, sources?, eventTypes? } (see
   * `DeliveryDestination` in src/handlers/shared/destinations.ts). The processor routes by it, the
   * dispatcher delivers by it. `{}` means no destination: events are logged as unrouted.
   */
  deliveryDestinations: 'DELIVERY_DESTINATIONS',
  /** JSON array of seconds: the delay before retry n+1 of a failed delivery, by receive count. */
  deliveryRetrySchedule: 'DELIVERY_RETRY_SCHEDULE',
  /** URL of the queue the function consumes (the dispatcher sets each failed record's next visibility on it). */
  sourceQueueUrl: 'SOURCE_QUEUE_URL',
  /** URL of the deliver queue's DLQ: where a delivery the destination answered 410 Gone goes at once. */
  deadLetterQueueUrl: 'DEAD_LETTER_QUEUE_URL',
  /**
   * URL of each destination's delivery lane, with `{destination}` for its name: the processor
   * sends a destination's deliveries there, the dispatcher sets their next visibility there.
   */
  laneQueueUrl: 'DELIVERY_LANE_QUEUE_URL',
  /** URL of each destination's lane DLQ, with `{destination}` for its name (410 Gone, unknown destination). */
  laneDeadLetterQueueUrl: 'DELIVERY_LANE_DLQ_URL',
  /** Milliseconds before a delivery attempt is abandoned and the record fails. */
  deliveryTimeoutMs: 'DELIVERY_TIMEOUT_MS',
  /**
   * Firehose stream the processor archives each first-seen webhook to (src/history/archive-records.ts);
   * empty when the archive is off (`history_retention_days = 0`).
   */
  archiveWebhookStream: 'ARCHIVE_WEBHOOK_STREAM',
  /** Firehose stream the dispatcher archives each delivery attempt to; empty when the archive is off. */
  archiveAttemptStream: 'ARCHIVE_ATTEMPT_STREAM',
} as const;

/** CloudWatch namespace of the handlers' EMF metrics. */
export const METRICS_NAMESPACE = 'WebhookPipeline';

/** The three functions, in pipeline order. Their names are part of resource names and ids. */
export const FUNCTION_NAMES = ['validator', 'processor', 'dispatcher'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/**
 * EMF metrics the handlers emit in {@link METRICS_NAMESPACE}, with the `service` dimension
 * (POWERTOOLS_SERVICE_NAME). Dashboards and alarms refer to them by these names.
 */
export const HANDLER_METRICS = {
  /** validator: a webhook passed verification and was forwarded to the process queue. */
  accepted: 'Accepted',
  /** validator: a webhook was dropped; carries the {@link REJECTION_REASON_DIMENSION} dimension. */
  rejected: 'Rejected',
  /** processor: a first-seen delivery was normalized and forwarded to the deliver queue. */
  forwarded: 'Forwarded',
  /** processor: a delivery already processed was dropped. */
  duplicate: 'Duplicate',
  /** processor: a first-seen event no destination's route matched; logged and dropped. */
  unrouted: 'Unrouted',
  /** dispatcher: the destination answered 2xx. Also emitted with the {@link DESTINATION_DIMENSION}. */
  delivered: 'Delivered',
  /**
   * dispatcher: the destination answered non-2xx (but 410), timed out or was unreachable; the
   * record backs off and SQS retries it. Also emitted with the {@link DESTINATION_DIMENSION}.
   */
  deliveryFailed: 'DeliveryFailed',
  /** dispatcher: the destination answered 410 Gone; the delivery went to the DLQ at once. */
  deliveryGone: 'DeliveryGone',
  /** processor, dispatcher: archive lines Firehose did not take after retries (the deliveries go on). */
  archiveWriteFailed: 'ArchiveWriteFailed',
} as const;

/** Dimension of the dispatcher's per-destination metrics, naming the destination. */
export const DESTINATION_DIMENSION = 'destination';

/** The destination `delivery_url` becomes, so a 0.1.0 configuration keeps delivering unchanged. */
export const DEFAULT_DESTINATION = 'default';
/** A destination's delivery lane is `<prefix>-lane-<destination>-<suffix>`, its DLQ `<prefix>-lanedlq-<destination>-<suffix>`. */
export const LANE_QUEUE_STEM = 'lane';
export const LANE_DLQ_STEM = 'lanedlq';
/** Stands for the destination's name in {@link HANDLER_ENV}'s lane URL templates. */
export const LANE_NAME_PLACEHOLDER = '{destination}';

/**
 * The default delivery retry schedule, in seconds: Svix's (5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
 * 10 h), about 27.6 h from the first attempt to the last. Each step is at most SQS's 12 h
 * visibility cap.
 */
export const DEFAULT_DELIVERY_RETRY_SCHEDULE = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000] as const;

/** SQS's ceiling on a message's visibility timeout: 12 h. */
export const MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200;

/** Dimension of the `Rejected` metric naming why a webhook was dropped. */
export const REJECTION_REASON_DIMENSION = 'reason';

/** Values of the {@link REJECTION_REASON_DIMENSION} dimension, one per way a webhook is rejected. */
export const REJECTION_REASONS = [
  'unknown-source',
  'body-too-large',
  'missing-signature',
  'missing-secret',
  'malformed-signature',
  'bad-signature',
  'stale-timestamp',
  'invalid-json',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];
