import { createHmac, randomUUID } from 'node:crypto';
import type { IngestWebhook } from '../../../support/webhooks';

/**
 * Slack, Paddle, Linear and Shopify (un-prefixed headers) requests as their providers send them,
 * shaped as the ingest message API Gateway stores. Signed here with node:crypto, independently of
 * the code under test; the fixed vectors in vectors.ts pin the formats to openssl, Slack's docs
 * and the providers' own SDKs.
 */

const hmac = (secret: string, data: string) => createHmac('sha256', secret).update(data, 'utf8');

interface Common {
  readonly source: string;
  readonly secret: string;
  readonly body?: string;
  readonly requestId?: string;
}

function ingest(options: Common, body: string, headers: Record<string, string>): IngestWebhook {
  return { body, attributes: { source: options.source, 'request-id': options.requestId ?? randomUUID(), ...headers } };
}

/** Slack's headers for a body signed at `timestamp` (Unix seconds). */
export function slackHeaders(secret: string, timestamp: number | string, body: string) {
  return {
    'x-slack-signature': `v0=${hmac(secret, `v0:${timestamp}:${body}`).digest('hex')}`,
    'x-slack-request-timestamp': String(timestamp),
  };
}

export function slackWebhook(options: Common & { timestamp: number; eventId?: string; eventType?: string }): IngestWebhook {
  const body =
    options.body ??
    JSON.stringify({
      token: 'XXYYZZ',
      team_id: 'T123ABC456',
      event: { type: options.eventType ?? 'app_mention', user: 'U123ABC456', text: 'hi' },
      type: 'event_callback',
      event_id: options.eventId ?? `Ev${randomUUID().slice(0, 8)}`,
      event_time: options.timestamp,
    });
  return ingest(options, body, { 'content-type': 'application/json', ...slackHeaders(options.secret, options.timestamp, body) });
}

/** Paddle's header: one `h1` per secret (others first, as while a secret is rotated). */
export function paddleSignature(secrets: readonly string[], timestamp: number, body: string): string {
  return [`ts=${timestamp}`, ...secrets.map((secret) => `h1=${hmac(secret, `${timestamp}:${body}`).digest('hex')}`)].join(';');
}

export function paddleWebhook(
  options: Common & { timestamp: number; eventId?: string; eventType?: string; otherSecrets?: readonly string[] },
): IngestWebhook {
  const body =
    options.body ??
    JSON.stringify({
      event_id: options.eventId ?? `evt_${randomUUID()}`,
      event_type: options.eventType ?? 'transaction.completed',
      occurred_at: new Date(options.timestamp * 1000).toISOString(),
      notification_id: `ntf_${randomUUID()}`,
      data: { id: 'txn_1', status: 'completed' },
    });
  const signature = paddleSignature([...(options.otherSecrets ?? []), options.secret], options.timestamp, body);
  return ingest(options, body, { 'content-type': 'application/json', 'paddle-signature': signature });
}

export function linearSignature(secret: string, body: string): string {
  return hmac(secret, body).digest('hex');
}

export function linearWebhook(
  options: Common & { timestampMillis: number; deliveryId?: string; event?: string; type?: string },
): IngestWebhook {
  const body =
    options.body ??
    JSON.stringify({
      action: 'create',
      type: options.type ?? 'Issue',
      data: { id: randomUUID(), title: 'Fix the pipeline' },
      createdAt: new Date(options.timestampMillis).toISOString(),
      webhookTimestamp: options.timestampMillis,
      webhookId: randomUUID(),
    });
  return ingest(options, body, {
    'content-type': 'application/json; charset=utf-8',
    'linear-signature': linearSignature(options.secret, body),
    'linear-delivery': options.deliveryId ?? randomUUID(),
    'linear-event': options.event ?? options.type ?? 'Issue',
  });
}

/** A Shopify webhook with the newer, un-prefixed header names only. */
export function shopifyUnprefixedWebhook(options: Common & { webhookId?: string; topic?: string }): IngestWebhook {
  const body = options.body ?? JSON.stringify({ id: 820982911946154, email: 'jon@example.com' });
  return ingest(options, body, {
    'content-type': 'application/json',
    'shopify-hmac-sha256': hmac(options.secret, body).digest('base64'),
    'shopify-webhook-id': options.webhookId ?? randomUUID(),
    'shopify-topic': options.topic ?? 'orders/create',
  });
}
