import { ACCEPTED_RESPONSE_TEMPLATE, escapeTerraformTemplate, ingestRequestTemplate } from '../../../src/api/ingest-template';
import { FORWARDED_HEADERS } from '../../../src/contract';
import { parseSendMessageForm, renderMappingTemplate } from '../../support/velocity';
import { OTHER_SECRET, SECRET, signStandardWebhook } from '../../handlers/shared/signatures/standard-webhooks-requests';
import { linearWebhook, paddleWebhook, shopifyUnprefixedWebhook, slackWebhook } from '../../handlers/shared/signatures/provider-requests';
import type { IngestWebhook } from '../../support/webhooks';

const template = ingestRequestTemplate();
const send = (headers: Record<string, string>, body = '{"hello":"world"}') =>
  parseSendMessageForm(renderMappingTemplate(template, { body, headers, pathParameters: { source: 'github' }, requestId: 'req-1' }));

describe('ingest request mapping template', () => {
  test('is a single line, so no stray newline corrupts the form body', () => {
    expect(template).not.toMatch(/[\r\n]/);
  });

  test('sends the raw body unchanged, byte for byte', () => {
    const body = '{"a": "x&y=z+1 %20 ü \\n", "b": [1, 2]}\n';
    const form = send({ 'Content-Type': 'application/json' }, body);
    expect(form.action).toBe('SendMessage');
    expect(form.messageBody).toBe(body);
  });

  test('puts source and request id first, then the present allow-listed headers, lower-cased', () => {
    const form = send({
      'Content-Type': 'application/json',
      'X-Hub-Signature-256': 'sha256=abc',
      'X-GitHub-Delivery': 'd-1',
      'X-GitHub-Event': 'push',
      'User-Agent': 'GitHub-Hookshot/1',
      Authorization: 'Bearer secret',
    });
    expect(form.attributes.map(({ index, name, value }) => [index, name, value])).toEqual([
      [1, 'source', 'github'],
      [2, 'request-id', 'req-1'],
      [3, 'x-hub-signature-256', 'sha256=abc'],
      [4, 'x-github-delivery', 'd-1'],
      [5, 'content-type', 'application/json'],
      [6, 'x-github-event', 'push'],
    ]);
    expect(form.attributes.every((a) => a.dataType === 'String')).toBe(true);
  });

  test('forwards the three Standard Webhooks headers, which a verification needs together', () => {
    // Signed by the reference library, with a rolled secret: two space-separated signatures.
    const { body, headers } = signStandardWebhook({ secret: SECRET, otherSecrets: [OTHER_SECRET], id: 'msg_1', timestamp: 1_767_323_045 });
    const form = send(
      {
        'Content-Type': 'application/json',
        'Webhook-Id': headers['webhook-id'],
        'Webhook-Timestamp': headers['webhook-timestamp'],
        'Webhook-Signature': headers['webhook-signature'],
        'User-Agent': 'Svix-Webhooks/1.0',
      },
      body,
    );
    expect(form.messageBody).toBe(body);
    expect(form.attributes.map(({ index, name, value }) => [index, name, value])).toEqual([
      [1, 'source', 'github'],
      [2, 'request-id', 'req-1'],
      [3, 'webhook-signature', headers['webhook-signature']],
      [4, 'webhook-id', 'msg_1'],
      [5, 'webhook-timestamp', '1767323045'],
      [6, 'content-type', 'application/json'],
    ]);
    expect(headers['webhook-signature']).toMatch(/^v1,\S+ v1,\S+$/);
  });

  // Each provider's request as it sends it (header names in its own casing), with a user agent.
  const providerCase = (webhook: IngestWebhook, casing: Record<string, string>, userAgent: string) => {
    const { source: _source, 'request-id': _requestId, ...headers } = webhook.attributes;
    const sent = Object.fromEntries(Object.entries(headers).map(([name, value]) => [casing[name] ?? name, value]));
    return { webhook, headers, form: send({ ...sent, 'User-Agent': userAgent }, webhook.body) };
  };
  const forwarded = (form: ReturnType<typeof send>) => form.attributes.slice(2).map(({ name, value }) => [name, value]);

  test.each([
    [
      'Slack',
      () =>
        providerCase(
          slackWebhook({ source: 'team', secret: 's', timestamp: 1_767_323_045 }),
          {
            'x-slack-signature': 'X-Slack-Signature',
            'x-slack-request-timestamp': 'X-Slack-Request-Timestamp',
            'content-type': 'Content-Type',
          },
          'Slackbot 1.0 (+https://api.slack.com/robots)',
        ),
      ['x-slack-signature', 'x-slack-request-timestamp', 'content-type'],
    ],
    [
      'Paddle',
      () =>
        providerCase(
          paddleWebhook({ source: 'pay', secret: 's', timestamp: 1_767_323_045, otherSecrets: ['old'] }),
          { 'paddle-signature': 'Paddle-Signature', 'content-type': 'Content-Type' },
          'Paddle',
        ),
      ['paddle-signature', 'content-type'],
    ],
    [
      'Linear',
      () =>
        providerCase(
          linearWebhook({ source: 'lin', secret: 's', timestampMillis: 1_767_323_045_000 }),
          {
            'linear-signature': 'Linear-Signature',
            'linear-delivery': 'Linear-Delivery',
            'linear-event': 'Linear-Event',
            'content-type': 'Content-Type',
          },
          'Linear-Webhook',
        ),
      ['linear-signature', 'linear-delivery', 'content-type', 'linear-event'],
    ],
    [
      'Shopify (un-prefixed names)',
      () =>
        providerCase(
          shopifyUnprefixedWebhook({ source: 'shop', secret: 's' }),
          {
            'shopify-hmac-sha256': 'Shopify-Hmac-Sha256',
            'shopify-webhook-id': 'Shopify-Webhook-Id',
            'shopify-topic': 'Shopify-Topic',
            'content-type': 'Content-Type',
          },
          'Shopify-Captain-Hook',
        ),
      ['shopify-hmac-sha256', 'shopify-webhook-id', 'content-type', 'shopify-topic'],
    ],
  ])('forwards the headers of a %s request, verification first', (_name, build, order) => {
    const { webhook, headers, form } = build();
    expect(form.messageBody).toBe(webhook.body);
    expect(forwarded(form)).toEqual(order.map((name) => [name, headers[name]]));
  });

  test('forwards both spellings of a Shopify request that sends both, within the ten attributes', () => {
    const { attributes } = shopifyUnprefixedWebhook({ source: 'shop', secret: 's' });
    const { source: _source, 'request-id': _requestId, ...headers } = attributes;
    const both = {
      ...headers,
      'X-Shopify-Hmac-Sha256': headers['shopify-hmac-sha256'],
      'X-Shopify-Webhook-Id': headers['shopify-webhook-id'],
    };
    const names = send({ ...both, 'X-Shopify-Topic': 't' }).attributes.map((a) => a.name);
    expect(names).toEqual([
      'source',
      'request-id',
      'x-shopify-hmac-sha256',
      'shopify-hmac-sha256',
      'x-shopify-webhook-id',
      'shopify-webhook-id',
      'content-type',
      'x-shopify-topic',
      'shopify-topic',
    ]);
  });

  test('keeps a Slack or Linear request’s verified headers ahead of any number of delivery-id and informative headers', () => {
    const extras = Object.fromEntries(FORWARDED_HEADERS.slice(FORWARDED_HEADERS.indexOf('x-github-delivery')).map((h) => [h, `v-${h}`]));
    const names = send({
      ...extras,
      'X-Slack-Signature': 'v0=1',
      'X-Slack-Request-Timestamp': '1',
      'Linear-Signature': 'ab',
    }).attributes.map((a) => a.name);
    expect(names.slice(2, 5)).toEqual(['linear-signature', 'x-slack-signature', 'x-slack-request-timestamp']);
    expect(names).toHaveLength(10);
  });

  test('matches header names case-insensitively', () => {
    const form = send({ 'stripe-SIGNATURE': 't=1,v1=ab' });
    expect(form.attributes[2]).toMatchObject({ name: 'stripe-signature', value: 't=1,v1=ab' });
  });

  test('skips empty header values (SQS rejects empty attributes)', () => {
    const form = send({ 'X-Webhook-Id': '', 'X-Signature-256': 'sha256=1' });
    expect(form.attributes.map((a) => a.name)).toEqual(['source', 'request-id', 'x-signature-256']);
  });

  test("never exceeds SQS's 10 message attributes, keeping the highest-priority headers", () => {
    const all = Object.fromEntries(FORWARDED_HEADERS.map((h) => [h.toUpperCase(), `v-${h}`]));
    const form = send(all);
    expect(form.attributes).toHaveLength(10);
    expect(form.attributes.map((a) => a.name)).toEqual(['source', 'request-id', ...FORWARDED_HEADERS.slice(0, 8)]);
  });

  test('keeps values with form-significant characters intact', () => {
    const form = send({ 'Stripe-Signature': 't=1 2&v1=a+b%20c' });
    expect(form.attributes[2].value).toBe('t=1 2&v1=a+b%20c');
  });

  test("the accepted response carries SQS's message id", () => {
    const body = JSON.stringify({ SendMessageResponse: { SendMessageResult: { MessageId: 'm-42' } } });
    const rendered = renderMappingTemplate(ACCEPTED_RESPONSE_TEMPLATE, { body, requestId: 'req-9' });
    expect(JSON.parse(rendered)).toEqual({ messageId: 'm-42', requestId: 'req-9' });
  });

  test('escapeTerraformTemplate doubles ${ and %{ so Terraform passes them through', () => {
    expect(escapeTerraformTemplate('a ${n} b %{if} c $x')).toBe('a $${n} b %%{if} c $x');
  });
});
