import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import type { IngestWebhook } from '../../../support/webhooks';

/**
 * Standard Webhooks requests signed by the spec's reference library (`standardwebhooks`), as a
 * provider would sign them, independently of the code under test; and the same requests as
 * Svix-powered providers (Clerk, Resend, …) send them, signed by Svix's own library (`svix`), with
 * Svix's header names.
 */

/** A secret in the providers' format: `whsec_` and the base64 of 24 random bytes. */
export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
export const OTHER_SECRET = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD';

export interface StandardWebhookOptions {
  readonly secret: string;
  readonly id?: string;
  /** Unix seconds. */
  readonly timestamp: number;
  readonly body?: string;
  /** Signatures from other secrets, sent before the genuine one (a provider rolling its secret). */
  readonly otherSecrets?: readonly string[];
}

// A type alias, not an interface, so it fits `Record<string, string>` parameters.
export type StandardWebhookHeaders = {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
};

export const DEFAULT_BODY = JSON.stringify({
  type: 'invoice.paid',
  timestamp: '2026-01-02T03:04:00.000Z',
  data: { invoice: 'inv_1', amount: 4200 },
});

export function signStandardWebhook(options: StandardWebhookOptions): { body: string; headers: StandardWebhookHeaders } {
  const body = options.body ?? DEFAULT_BODY;
  const id = options.id ?? `msg_${randomUUID()}`;
  const at = new Date(options.timestamp * 1000);
  const signatures = [...(options.otherSecrets ?? []), options.secret].map((secret) => new Webhook(secret).sign(id, at, body));
  return {
    body,
    headers: { 'webhook-id': id, 'webhook-timestamp': String(options.timestamp), 'webhook-signature': signatures.join(' ') },
  };
}

/** The same, shaped as the ingest message API Gateway stores for it. */
export function standardWebhook(options: StandardWebhookOptions & { source: string; requestId?: string }): IngestWebhook {
  const { body, headers } = signStandardWebhook(options);
  return {
    body,
    attributes: { source: options.source, 'request-id': options.requestId ?? randomUUID(), 'content-type': 'application/json', ...headers },
  };
}

// A type alias, not an interface, so it fits `Record<string, string>` parameters.
export type SvixHeaders = {
  readonly 'svix-id': string;
  readonly 'svix-timestamp': string;
  readonly 'svix-signature': string;
};

/** Signed by the `svix` package, as Clerk or Resend sign a delivery. */
export function signSvixWebhook(options: StandardWebhookOptions): { body: string; headers: SvixHeaders } {
  const body = options.body ?? DEFAULT_BODY;
  const id = options.id ?? `msg_${randomUUID()}`;
  const at = new Date(options.timestamp * 1000);
  const signatures = [...(options.otherSecrets ?? []), options.secret].map((secret) => new SvixWebhook(secret).sign(id, at, body));
  return { body, headers: { 'svix-id': id, 'svix-timestamp': String(options.timestamp), 'svix-signature': signatures.join(' ') } };
}

/** The same, shaped as the ingest message API Gateway stores for it. */
export function svixWebhook(options: StandardWebhookOptions & { source: string; requestId?: string }): IngestWebhook {
  const { body, headers } = signSvixWebhook(options);
  return {
    body,
    attributes: { source: options.source, 'request-id': options.requestId ?? randomUUID(), 'content-type': 'application/json', ...headers },
  };
}
