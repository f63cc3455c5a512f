/**
 * Signed sample webhooks for a local deployment: what GitHub, Stripe, Shopify and a generic
 * HMAC sender would POST, each signed by its scheme with the source's secret, in the providers'
 * own header casing. `npm run send:local` sends them through the deployed ingest template.
 */
import { createHmac, randomUUID } from 'node:crypto';

/** The schemes a sample can be made for (the stack's default sources use these). */
export const SAMPLE_SCHEMES = ['github', 'stripe', 'shopify', 'hmac-sha256'] as const;
export type SampleScheme = (typeof SAMPLE_SCHEMES)[number];

export interface SampleWebhook {
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly deliveryId: string;
  readonly eventType: string;
}

export interface SampleOptions {
  /** The provider's delivery id; a random one (Stripe's with `evt_`) by default. */
  readonly deliveryId?: string;
  /** The event type; each scheme's usual one by default. */
  readonly eventType?: string;
  /** A number the body carries, so samples differ. */
  readonly n?: number;
  /** Epoch seconds of Stripe's signed timestamp; now by default. */
  readonly nowSeconds?: number;
}

const hex = (secret: string, text: string) => createHmac('sha256', secret).update(text, 'utf8').digest('hex');

/** One webhook of `scheme`, signed with `secret`. */
export function sampleWebhook(scheme: SampleScheme, secret: string, options: SampleOptions = {}): SampleWebhook {
  const n = options.n ?? 1;
  const common = { 'Content-Type': 'application/json', 'User-Agent': 'webhook-pipeline-send-local' };
  switch (scheme) {
    case 'github': {
      const deliveryId = options.deliveryId ?? randomUUID();
      const eventType = options.eventType ?? 'issues';
      const body = JSON.stringify({ action: 'opened', issue: { number: n, title: `Sample issue ${n}` }, repository: { full_name: 'acme/widgets' } });
      const headers = { ...common, 'X-Hub-Signature-256': `sha256=${hex(secret, body)}`, 'X-GitHub-Delivery': deliveryId, 'X-GitHub-Event': eventType };
      return { body, headers, deliveryId, eventType };
    }
    case 'stripe': {
      const deliveryId = options.deliveryId ?? `evt_${randomUUID().replace(/-/g, '')}`;
      const eventType = options.eventType ?? 'payment_intent.succeeded';
      const body = JSON.stringify({ id: deliveryId, object: 'event', type: eventType, data: { object: { amount: 100 * n, currency: 'eur' } } });
      const timestamp = options.nowSeconds ?? Math.floor(Date.now() / 1000);
      const headers = { ...common, 'Stripe-Signature': `t=${timestamp},v1=${hex(secret, `${timestamp}.${body}`)}` };
      return { body, headers, deliveryId, eventType };
    }
    case 'shopify': {
      const deliveryId = options.deliveryId ?? randomUUID();
      const eventType = options.eventType ?? 'orders/create';
      const body = JSON.stringify({ id: n, email: `buyer${n}@example.com`, total_price: '10.00' });
      const hmac = createHmac('sha256', secret).update(body, 'utf8').digest('base64');
      const headers = { ...common, 'X-Shopify-Hmac-Sha256': hmac, 'X-Shopify-Webhook-Id': deliveryId, 'X-Shopify-Topic': eventType };
      return { body, headers, deliveryId, eventType };
    }
    case 'hmac-sha256': {
      const deliveryId = options.deliveryId ?? randomUUID();
      const eventType = options.eventType ?? 'build.finished';
      const body = JSON.stringify({ build: n, status: 'passed' });
      const headers = { ...common, 'X-Signature-256': `sha256=${hex(secret, body)}`, 'X-Webhook-Id': deliveryId, 'X-Webhook-Event': eventType };
      return { body, headers, deliveryId, eventType };
    }
  }
}
