import type { RejectionReason, SignatureScheme } from '../../contract';
import type { IngestMessage } from '../shared/ingest-message';
import type { JsonValue } from '../shared/json';
import { PROCESS_ENVELOPE_VERSION, type ProcessEnvelope } from '../shared/process-envelope';
import { MissingSecretError, type SecretReader } from '../shared/secrets';
import { readSecretList } from '../shared/secret-list';
import { missingRequirement, signatureHeaderOf, type SignatureVerdict, type SignedRequest, verifySignature } from '../shared/signatures';
import { secretParameterOf, toleranceSecondsOf, type ValidatorConfig } from './config';
import { deliveryIdOf, eventTypeOf } from './delivery-metadata';

export type WebhookVerdict =
  | { readonly accepted: true; readonly envelope: ProcessEnvelope }
  | {
      readonly accepted: false;
      readonly reason: RejectionReason;
      /** Safe to log: never contains the secret or the body. */
      readonly detail: string;
    };

export interface ValidationContext {
  readonly config: Pick<ValidatorConfig, 'sources' | 'sourceSecretsPath' | 'stripeToleranceSeconds' | 'maxBodyBytes'>;
  readonly readSecret: SecretReader;
  /** The clock, in epoch millis, for messages that carry no SentTimestamp. */
  readonly now: () => number;
}

/**
 * Decides whether an ingest message is a genuine webhook from a configured source and, if so,
 * builds its process envelope, which carries the body exactly as it arrived.
 *
 * Checks run cheapest first, and everything that needs no secret runs before the SSM read, so
 * junk traffic costs no SSM calls. The body is parsed only after its signature is verified:
 * unauthenticated input is never interpreted.
 *
 * Resolves to a rejection for anything retrying cannot fix; rejects (so the record is retried)
 * only when reading the secret fails transiently.
 */
export async function validateWebhook(message: IngestMessage, context: ValidationContext): Promise<WebhookVerdict> {
  const { config } = context;
  const { source, rawBody, headers } = message;

  const settings = source === undefined ? undefined : config.sources.get(source);
  if (source === undefined || settings === undefined) {
    return reject('unknown-source', source === undefined ? 'message has no source attribute' : `source "${source}" is not configured`);
  }
  const { scheme } = settings;

  const bodyBytes = Buffer.byteLength(rawBody, 'utf8');
  if (bodyBytes > config.maxBodyBytes) {
    return reject('body-too-large', `body is ${bodyBytes} bytes, limit ${config.maxBodyBytes}`);
  }

  const missing = missingRequirement(scheme, headers);
  if (missing !== undefined) return reject('missing-signature', `no ${missing.join(' or ')} header`);

  const parameterName = secretParameterOf(config, source, settings);
  // Signed timestamps (Stripe, Standard Webhooks, Slack, Paddle, Linear's payload) are checked against the time API Gateway
  // received the request, not the time this record is processed: a backlog or a retry must not
  // turn genuine events stale.
  const receivedAtMillis = message.receivedAtMillis ?? context.now();
  const verifyWith = async (refresh: boolean) => {
    // The parameter may list several secrets, one per line, while one is being rotated.
    const secrets = await readSecretList(context.readSecret, parameterName, { refresh });
    return verifyWithAny(scheme, secrets, {
      headers,
      rawBody,
      receivedAtSeconds: Math.floor(receivedAtMillis / 1000),
      stripeToleranceSeconds: toleranceSecondsOf(config, settings),
    });
  };

  let signature;
  try {
    signature = await verifyWith(false);
    // A secret rotated within the cache's lifetime fails genuine webhooks: before rejecting one,
    // re-read the secret (the reader rate-limits these reads) and verify once more.
    if (!signature.valid && signature.reason === 'bad-signature') signature = await verifyWith(true);
  } catch (error) {
    if (error instanceof MissingSecretError) return reject('missing-secret', `SSM parameter ${parameterName} does not exist`);
    throw error;
  }
  if (!signature.valid) return reject(signature.reason, `${signatureHeaderOf(scheme, headers)} does not verify (${signature.reason})`);

  // Parsed only to refuse a body that is not JSON and to read the delivery id and event type;
  // the envelope carries the body as it arrived, never this value serialized again.
  let payload: JsonValue;
  try {
    payload = JSON.parse(rawBody) as JsonValue;
  } catch {
    return reject('invalid-json', 'body is not JSON');
  }

  const metadataInput = { source, scheme, headers, rawBody, payload };
  return {
    accepted: true,
    envelope: {
      version: PROCESS_ENVELOPE_VERSION,
      source,
      scheme,
      deliveryId: deliveryIdOf(metadataInput),
      eventType: eventTypeOf(metadataInput),
      receivedAt: new Date(receivedAtMillis).toISOString(),
      requestId: message.requestId ?? null,
      body: rawBody,
      headers: Object.fromEntries(message.forwardedHeaders),
    },
  };
}

/**
 * Verifies against each secret of a parameter's list (secretsIn: current first, then those still
 * honoured during a rotation) until one verifies. A verdict other than `bad-signature` ends the
 * search: a malformed header is malformed whatever the secret, and a stale timestamp means the
 * digest matched. An empty list verifies nothing.
 */
export function verifyWithAny(
  scheme: SignatureScheme,
  secrets: readonly string[],
  request: Omit<SignedRequest, 'secret'>,
): SignatureVerdict {
  let verdict: SignatureVerdict = { valid: false, reason: 'bad-signature' };
  for (const secret of secrets) {
    verdict = verifySignature(scheme, { ...request, secret });
    if (verdict.valid || verdict.reason !== 'bad-signature') return verdict;
  }
  return verdict;
}

function reject(reason: RejectionReason, detail: string): WebhookVerdict {
  return { accepted: false, reason, detail };
}
