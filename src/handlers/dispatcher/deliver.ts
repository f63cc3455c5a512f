import type { DeliveryEvent } from '../shared/delivery-event';
import { signPrefixedHex } from '../shared/signatures';

/** Headers and body of one delivery, ready to POST. */
export interface DeliveryRequest {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Signs the event the way the generic scheme verifies it: `X-Signature-256: sha256=<hex>` over
 * the exact body bytes. `X-Webhook-Id` repeats the event id so a target can de-duplicate
 * without parsing the body.
 */
export function buildDeliveryRequest(event: DeliveryEvent, secret: string): DeliveryRequest {
  const body = JSON.stringify(event);
  return {
    headers: {
      'content-type': 'application/json',
      'x-signature-256': signPrefixedHex(body, secret),
      'x-webhook-id': event.id,
    },
    body,
  };
}

/** The target answered non-2xx, did not answer in time, or could not be reached. */
export class DeliveryError extends Error {
  constructor(
    readonly reason: 'delivery-rejected' | 'delivery-timeout' | 'delivery-unreachable',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'DeliveryError';
  }
}

/** POSTs the request; resolves with the status on 2xx, else throws a {@link DeliveryError}. */
export async function postDelivery(url: string, request: DeliveryRequest, timeoutMs: number): Promise<number> {
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    // Redirects are not followed: a signed delivery goes to the configured URL or nowhere.
    response = await fetch(url, { method: 'POST', headers: request.headers, body: request.body, redirect: 'manual', signal });
  } catch (error) {
    if (signal.aborted) {
      throw new DeliveryError('delivery-timeout', `no answer from the delivery target within ${timeoutMs} ms`, { cause: error });
    }
    throw new DeliveryError('delivery-unreachable', 'the delivery target could not be reached', { cause: error });
  }
  try {
    // Drain the body so the connection returns to the pool; its content is not needed.
    await response.arrayBuffer();
  } catch {
    // The status has been answered; a body cut short or timed out changes nothing.
  }
  if (!response.ok) throw new DeliveryError('delivery-rejected', `the delivery target answered ${response.status}`);
  return response.status;
}
