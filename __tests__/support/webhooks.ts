import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createHmac, randomUUID } from 'node:crypto';

/**
 * Signed webhooks for each scheme, shaped as ingest messages (what API Gateway puts on the ingest
 * queue: the raw body plus `source`, `request-id` and the forwarded headers as String message
 * attributes). Signatures are computed here with node:crypto, independently of the handlers.
 */
export interface IngestWebhook {
  readonly body: string;
  readonly attributes: Readonly<Record<string, string>>;
}

interface Common {
  readonly source: string;
  readonly secret: string;
  readonly body?: string;
  readonly requestId?: string;
}

const hex = (secret: string, data: string): string => createHmac('sha256', secret).update(data, 'utf8').digest('hex');

function ingest(source: string, body: string, requestId: string | undefined, headers: Record<string, string>): IngestWebhook {
  return { body, attributes: { source, 'request-id': requestId ?? randomUUID(), ...headers } };
}

export function githubWebhook(options: Common & { deliveryId?: string; event?: string }): IngestWebhook {
  const body = options.body ?? JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
  return ingest(options.source, body, options.requestId, {
    'content-type': 'application/json',
    'x-hub-signature-256': `sha256=${hex(options.secret, body)}`,
    'x-github-delivery': options.deliveryId ?? randomUUID(),
    'x-github-event': options.event ?? 'ping',
  });
}

export function stripeWebhook(
  options: Common & { eventId?: string; type?: string; timestamp?: number; extraV1?: readonly string[] },
): IngestWebhook {
  const body =
    options.body ?? JSON.stringify({ id: options.eventId ?? `evt_${randomUUID()}`, type: options.type ?? 'payment_intent.succeeded' });
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const v1 = [...(options.extraV1 ?? []), hex(options.secret, `${timestamp}.${body}`)].map((value) => `v1=${value}`);
  return ingest(options.source, body, options.requestId, {
    'content-type': 'application/json',
    'stripe-signature': [`t=${timestamp}`, ...v1].join(','),
  });
}

export function shopifyWebhook(options: Common & { webhookId?: string; topic?: string }): IngestWebhook {
  const body = options.body ?? JSON.stringify({ id: 820982911946154, email: 'jon@example.com' });
  return ingest(options.source, body, options.requestId, {
    'content-type': 'application/json',
    'x-shopify-hmac-sha256': createHmac('sha256', options.secret).update(body, 'utf8').digest('base64'),
    'x-shopify-webhook-id': options.webhookId ?? randomUUID(),
    'x-shopify-topic': options.topic ?? 'orders/create',
  });
}

export function genericWebhook(options: Common & { webhookId?: string; event?: string }): IngestWebhook {
  const body = options.body ?? JSON.stringify({ type: 'build.finished', build: 7 });
  return ingest(options.source, body, options.requestId, {
    'content-type': 'application/json',
    'x-signature-256': `sha256=${hex(options.secret, body)}`,
    ...(options.webhookId ? { 'x-webhook-id': options.webhookId } : {}),
    ...(options.event ? { 'x-webhook-event': options.event } : {}),
  });
}

/** The same webhook with some attributes replaced (or removed, with `undefined`). */
export function withAttributes(webhook: IngestWebhook, changes: Record<string, string | undefined>): IngestWebhook {
  const attributes: Record<string, string> = { ...webhook.attributes };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete attributes[name];
    else attributes[name] = value;
  }
  return { body: webhook.body, attributes };
}

/** Puts the webhook on a queue as API Gateway's SQS integration does. */
export async function sendIngestMessage(sqs: SQSClient, queueUrl: string, webhook: IngestWebhook): Promise<string> {
  const { MessageId } = await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: webhook.body,
      MessageAttributes: Object.fromEntries(
        Object.entries(webhook.attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
      ),
    }),
  );
  if (!MessageId) throw new Error('SendMessage returned no MessageId');
  return MessageId;
}
