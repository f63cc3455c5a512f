import type { DeliveryRequest } from './delivery-request';

/**
 * Why an attempt failed, as logged: the destination said no, did not answer in time, or could not
 * be reached; or its OAuth token endpoint gave no token (see auth.ts).
 */
export type FailureReason = 'delivery-rejected' | 'delivery-timeout' | 'delivery-unreachable' | 'auth-token-failed';

/** What one POST came to. Only `failed` is retried; `gone` is final. */
export type DeliveryOutcome =
  | { readonly kind: 'delivered'; readonly status: number }
  | { readonly kind: 'gone'; readonly status: 410 }
  | {
      readonly kind: 'failed';
      readonly reason: FailureReason;
      /** The answer's status; absent when there was no answer. */
      readonly status?: number;
      /** The answer's `Retry-After` header, unparsed. */
      readonly retryAfter?: string;
      /** What went wrong, for the log. */
      readonly detail: string;
    };

/** The status by which a destination says it no longer exists and will not take anything again. */
export const GONE = 410;

/** POSTs one attempt and classifies the result; never throws. */
export async function postDelivery(url: string, request: DeliveryRequest, timeoutMs: number): Promise<DeliveryOutcome> {
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    // Redirects are not followed: a signed delivery goes to the configured URL or nowhere.
    response = await fetch(url, { method: 'POST', headers: request.headers, body: request.body, redirect: 'manual', signal });
  } catch (error) {
    if (signal.aborted) return { kind: 'failed', reason: 'delivery-timeout', detail: `no answer within ${timeoutMs} ms` };
    return { kind: 'failed', reason: 'delivery-unreachable', detail: describe(error) };
  }
  try {
    // Drain the body so the connection returns to the pool; its content is not needed.
    await response.arrayBuffer();
  } catch {
    // The status has been answered; a body cut short or timed out changes nothing.
  }
  const { status } = response;
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  if (status === GONE) return { kind: 'gone', status: GONE };
  const retryAfter = response.headers.get('retry-after');
  return {
    kind: 'failed',
    reason: 'delivery-rejected',
    status,
    ...(retryAfter === null ? {} : { retryAfter }),
    detail: `the destination answered ${status}`,
  };
}

/**
 * fetch reports network errors as `TypeError: fetch failed` with the system error (ECONNREFUSED,
 * ENOTFOUND, a TLS failure) as its cause: the cause is what an operator needs. Read by shape, not
 * `instanceof`, because fetch's errors may come from another realm.
 */
function describe(error: unknown): string {
  const cause = (error as { cause?: { message?: unknown } }).cause;
  return typeof cause?.message === 'string' ? cause.message : String(error);
}
