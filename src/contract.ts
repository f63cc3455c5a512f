/**
 * The contract shared by the infrastructure (API Gateway mapping template, Lambda environment,
 * IAM scoping) and the three handlers. Anything both sides must agree on lives here, once.
 */

/** Signature schemes a webhook source can use (README, "Signature schemes"). */
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
 * Request headers API Gateway forwards, when present, as SQS message attributes named by the
 * lower-case header name. Order is priority: once ten attributes are used, later ones are dropped.
 *
 * Three tiers, so that an extra header never pushes out a more important one: first every header a
 * scheme verifies (signatures, and the signed ids and timestamps of Standard Webhooks and Slack),
 * then the delivery-id headers de-duplication reads, then the merely informative ones. The
 * verification headers of github, stripe, shopify (`X-Shopify-*`), hmac-sha256, standard-webhooks
 * and paddle come within the first eight, so those survive even a request carrying every header
 * listed here; there are twelve verification headers in all, so linear, slack and Shopify's
 * un-prefixed names are kept as long as a request carries at most eight verification headers. A
 * provider's own request carries at most three of them and seven headers in all (Shopify sending
 * both spellings), so in practice nothing it sends is dropped.
 */
export const FORWARDED_HEADERS = [
  // Verification: signatures, signed ids and timestamps.
  'x-hub-signature-256',
  'stripe-signature',
  'x-shopify-hmac-sha256',
  'x-signature-256',
  'webhook-signature',
  'webhook-id',
  'webhook-timestamp',
  'paddle-signature',
  'linear-signature',
  'x-slack-signature',
  'x-slack-request-timestamp',
  'shopify-hmac-sha256',
  // De-duplication: delivery ids sent as headers.
  'x-github-delivery',
  'x-shopify-webhook-id',
  'shopify-webhook-id',
  'x-webhook-id',
  'linear-delivery',
  // Informative.
  'content-type',
  'x-github-event',
  'x-shopify-topic',
  'shopify-topic',
  'x-webhook-event',
  'linear-event',
  'x-webhook-timestamp',
] as const;

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
  /** Milliseconds before a delivery attempt is abandoned and the record fails. */
  deliveryTimeoutMs: 'DELIVERY_TIMEOUT_MS',
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
} as const;

/** Dimension of the dispatcher's per-destination metrics, naming the destination. */
export const DESTINATION_DIMENSION = 'destination';

/** The destination `delivery_url` becomes, so a 0.1.0 configuration keeps delivering unchanged. */
export const DEFAULT_DESTINATION = 'default';

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
