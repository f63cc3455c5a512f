import { FORWARDED_HEADERS, INGEST_ATTRIBUTE, MAX_MESSAGE_ATTRIBUTES, SCHEME_HEADERS, SIGNATURE_SCHEMES } from '../../../../src/contract';
import { HEADER_ALIASES } from '../../../../src/handlers/shared/ingest-message';
import { REQUIRED_HEADERS } from '../../../../src/handlers/shared/signatures';

/** The per-scheme header table API Gateway forwards by (src/contract.ts, SCHEME_HEADERS). */

// Two of SQS's ten attribute slots hold source and request id.
const HEADER_SLOTS = MAX_MESSAGE_ATTRIBUTES - Object.keys(INGEST_ATTRIBUTE).length;

/** The headers a scheme verifies, in either spelling (aliases included). */
function verifiedBy(scheme: (typeof SIGNATURE_SCHEMES)[number]): string[] {
  const names: string[] = REQUIRED_HEADERS[scheme].flat();
  const aliases = Object.entries(HEADER_ALIASES)
    .filter(([, name]) => names.includes(name))
    .map(([alias]) => alias);
  return [...names, ...aliases];
}

describe('SCHEME_HEADERS', () => {
  it('has a list for every scheme', () => {
    expect(Object.keys(SCHEME_HEADERS).sort()).toEqual([...SIGNATURE_SCHEMES].sort());
  });

  it.each(SIGNATURE_SCHEMES)('fits the %s list in the eight attribute slots after source and request id', (scheme) => {
    expect(HEADER_SLOTS).toBe(8);
    expect(SCHEME_HEADERS[scheme].length).toBeLessThanOrEqual(HEADER_SLOTS);
    expect(new Set(SCHEME_HEADERS[scheme]).size).toBe(SCHEME_HEADERS[scheme].length);
  });

  it.each(SIGNATURE_SCHEMES)('puts every header %s verifies first, in either spelling', (scheme) => {
    const verified = verifiedBy(scheme);
    const list = SCHEME_HEADERS[scheme];
    expect([...list.slice(0, verified.length)].sort()).toEqual([...verified].sort());
  });

  // Delivery id and event type headers the validator reads (src/handlers/validator/delivery-metadata.ts),
  // then content-type; Stripe, Slack and Paddle carry both in the body.
  it('lists, after the verified headers, the delivery id, the event type and the content type', () => {
    const after = Object.fromEntries(SIGNATURE_SCHEMES.map((scheme) => [scheme, SCHEME_HEADERS[scheme].slice(verifiedBy(scheme).length)]));
    expect(after).toEqual({
      github: ['x-github-delivery', 'x-github-event', 'content-type'],
      stripe: ['content-type'],
      shopify: ['x-shopify-webhook-id', 'shopify-webhook-id', 'x-shopify-topic', 'shopify-topic', 'content-type'],
      'hmac-sha256': ['x-webhook-id', 'x-webhook-event', 'content-type', 'x-webhook-timestamp'],
      'standard-webhooks': ['content-type'],
      slack: ['content-type'],
      paddle: ['content-type'],
      linear: ['linear-delivery', 'linear-event', 'content-type'],
    });
  });

  it('lists the usual spelling of a header before the other one', () => {
    const before = (scheme: keyof typeof SCHEME_HEADERS, first: string, second: string) =>
      expect(SCHEME_HEADERS[scheme].indexOf(first as never)).toBeLessThan(SCHEME_HEADERS[scheme].indexOf(second as never));
    before('shopify', 'x-shopify-hmac-sha256', 'shopify-hmac-sha256');
    before('shopify', 'x-shopify-webhook-id', 'shopify-webhook-id');
    for (const [alias, name] of Object.entries(HEADER_ALIASES)) before('standard-webhooks', name, alias);
  });

  it('FORWARDED_HEADERS, what the ingest reader accepts, is exactly their union', () => {
    const union = new Set(SIGNATURE_SCHEMES.flatMap((scheme) => SCHEME_HEADERS[scheme]));
    expect([...FORWARDED_HEADERS].sort()).toEqual([...union].sort());
    expect(new Set(FORWARDED_HEADERS).size).toBe(FORWARDED_HEADERS.length);
  });

  it('names headers in lower case, as SQS attributes', () => {
    for (const name of FORWARDED_HEADERS) expect(name).toBe(name.toLowerCase());
  });
});
