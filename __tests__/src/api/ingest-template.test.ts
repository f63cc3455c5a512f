import {
  ACCEPTED_RESPONSE_TEMPLATE,
  escapeTerraformTemplate,
  ingestRequestTemplate,
  formatBytes,
  rejectedResponseTemplate,
  UNKNOWN_SOURCE_REQUEST,
} from '../../../src/api/ingest-template';
import { FORWARDED_HEADERS, MAX_MESSAGE_ATTRIBUTES, SCHEME_HEADERS, SIGNATURE_SCHEMES, type SignatureScheme } from '../../../src/contract';
import { parseSendMessageForm, renderMappingTemplate } from '../../support/velocity';
import { OTHER_SECRET, SECRET, signStandardWebhook, signSvixWebhook } from '../../handlers/shared/signatures/standard-webhooks-requests';
import { linearWebhook, paddleWebhook, shopifyUnprefixedWebhook, slackWebhook } from '../../handlers/shared/signatures/provider-requests';
import { githubWebhook } from '../../support/webhooks';
import type { IngestWebhook } from '../../support/webhooks';

/** One source per scheme, named after it, plus sources whose names use every allowed character. */
const SOURCES: Record<string, SignatureScheme> = {
  ...Object.fromEntries(SIGNATURE_SCHEMES.map((scheme) => [scheme, scheme])),
  gh: 'github',
  'my-source_2': 'stripe',
  '0day': 'hmac-sha256',
};
const SOURCE_SCHEMES = JSON.stringify(SOURCES);
const template = ingestRequestTemplate({ sourceSchemes: SOURCE_SCHEMES });

const render = (source: string | undefined, headers: Record<string, string>, body = '{"hello":"world"}', text = template) =>
  renderMappingTemplate(text, { body, headers, pathParameters: source === undefined ? {} : { source }, requestId: 'req-1' });
const send = (source: string | undefined, headers: Record<string, string>, body?: string, text?: string) =>
  parseSendMessageForm(render(source, headers, body, text));
/** The forwarded headers: the attributes after source and request id. */
const forwarded = (form: ReturnType<typeof send>) => form.attributes.slice(2).map(({ name, value }) => [name, value]);

/** Every header any scheme forwards, each in a caller's casing, with a distinct value. */
const EVERY_HEADER = Object.fromEntries(
  FORWARDED_HEADERS.map((name) => [name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase()), `v-${name}`]),
);

describe('ingest request mapping template', () => {
  test('is a single line, so no stray newline corrupts the form body', () => {
    expect(template).not.toMatch(/[\r\n]/);
  });

  test('splices the source table in as given, so it may be a Terraform expression', () => {
    expect(template.startsWith(`#set($sources = ${SOURCE_SCHEMES})`)).toBe(true);
    const expression = '${jsonencode({ for k, v in var.webhook_sources : k => v.scheme })}';
    expect(ingestRequestTemplate({ sourceSchemes: expression })).toContain(`#set($sources = ${expression})`);
    // Nothing else in the template is a Terraform template sequence but `${n}`, which escaping
    // doubles: the table spliced in after escaping is the only interpolation left.
    expect(template.replace(SOURCE_SCHEMES, '').match(/[$%]\{[^}]*\}/g)).toEqual(['${n}', '${n}', '${n}']);
  });

  test('sends the raw body unchanged, byte for byte', () => {
    const body = '{"a": "x&y=z+1 %20 ü \\n", "b": [1, 2]}\n';
    const form = send('github', { 'Content-Type': 'application/json' }, body);
    expect(form.action).toBe('SendMessage');
    expect(form.messageBody).toBe(body);
  });

  test('puts source and request id first, then the present headers of the source’s scheme, lower-cased', () => {
    const form = send('gh', {
      'Content-Type': 'application/json',
      'X-Hub-Signature-256': 'sha256=abc',
      'X-GitHub-Delivery': 'd-1',
      'X-GitHub-Event': 'push',
      'User-Agent': 'GitHub-Hookshot/1',
      Authorization: 'Bearer secret',
    });
    expect(form.attributes.map(({ index, name, value }) => [index, name, value])).toEqual([
      [1, 'source', 'gh'],
      [2, 'request-id', 'req-1'],
      [3, 'x-hub-signature-256', 'sha256=abc'],
      [4, 'x-github-delivery', 'd-1'],
      [5, 'x-github-event', 'push'],
      [6, 'content-type', 'application/json'],
    ]);
    expect(form.attributes.every((a) => a.dataType === 'String')).toBe(true);
  });

  test.each(SIGNATURE_SCHEMES)(
    'forwards for a %s source exactly its scheme’s headers, in its order, whatever else the request carries',
    (scheme) => {
      const form = send(scheme, { ...EVERY_HEADER, 'User-Agent': 'x', Cookie: 'c=1' });
      expect(form.attributes.slice(0, 2).map((a) => [a.name, a.value])).toEqual([
        ['source', scheme],
        ['request-id', 'req-1'],
      ]);
      expect(forwarded(form)).toEqual(SCHEME_HEADERS[scheme].map((name) => [name, `v-${name}`]));
      expect(form.attributes.length).toBeLessThanOrEqual(MAX_MESSAGE_ATTRIBUTES);
    },
  );

  test('forwards only the present headers of the scheme: an absent one leaves no gap', () => {
    const form = send('shopify', { 'Shopify-Topic': 't', 'X-Shopify-Hmac-Sha256': 'h', 'X-Hub-Signature-256': 'sha256=1' });
    expect(form.attributes.map((a) => [a.index, a.name])).toEqual([
      [1, 'source'],
      [2, 'request-id'],
      [3, 'x-shopify-hmac-sha256'],
      [4, 'shopify-topic'],
    ]);
  });

  test('forwards the three Standard Webhooks headers, which a verification needs together', () => {
    // Signed by the reference library, with a rolled secret: two space-separated signatures.
    const { body, headers } = signStandardWebhook({ secret: SECRET, otherSecrets: [OTHER_SECRET], id: 'msg_1', timestamp: 1_767_323_045 });
    const form = send(
      'standard-webhooks',
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
    expect(forwarded(form)).toEqual([
      ['webhook-signature', headers['webhook-signature']],
      ['webhook-id', 'msg_1'],
      ['webhook-timestamp', '1767323045'],
      ['content-type', 'application/json'],
    ]);
    expect(headers['webhook-signature']).toMatch(/^v1,\S+ v1,\S+$/);
  });

  test('forwards the Svix-branded spelling of a Clerk or Resend request', () => {
    const { body, headers } = signSvixWebhook({ secret: SECRET, id: 'msg_2', timestamp: 1_767_323_045 });
    const form = send(
      'standard-webhooks',
      {
        'Content-Type': 'application/json',
        'Svix-Id': headers['svix-id'],
        'Svix-Timestamp': headers['svix-timestamp'],
        'Svix-Signature': headers['svix-signature'],
      },
      body,
    );
    expect(forwarded(form)).toEqual([
      ['svix-signature', headers['svix-signature']],
      ['svix-id', 'msg_2'],
      ['svix-timestamp', '1767323045'],
      ['content-type', 'application/json'],
    ]);
  });

  // Each provider's request as it sends it (header names in its own casing), with a user agent.
  const providerCase = (source: SignatureScheme, webhook: IngestWebhook, casing: Record<string, string>, userAgent: string) => {
    const { source: _source, 'request-id': _requestId, ...headers } = webhook.attributes;
    const sent = Object.fromEntries(Object.entries(headers).map(([name, value]) => [casing[name] ?? name, value]));
    return { webhook, headers, form: send(source, { ...sent, 'User-Agent': userAgent }, webhook.body) };
  };

  test.each([
    [
      'GitHub',
      () =>
        providerCase(
          'github',
          githubWebhook({ source: 'github', secret: 's', event: 'push' }),
          {
            'x-hub-signature-256': 'X-Hub-Signature-256',
            'x-github-delivery': 'X-GitHub-Delivery',
            'x-github-event': 'X-GitHub-Event',
            'content-type': 'Content-Type',
          },
          'GitHub-Hookshot/abc',
        ),
      ['x-hub-signature-256', 'x-github-delivery', 'x-github-event', 'content-type'],
    ],
    [
      'Slack',
      () =>
        providerCase(
          'slack',
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
          'paddle',
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
          'linear',
          linearWebhook({ source: 'lin', secret: 's', timestampMillis: 1_767_323_045_000 }),
          {
            'linear-signature': 'Linear-Signature',
            'linear-delivery': 'Linear-Delivery',
            'linear-event': 'Linear-Event',
            'content-type': 'Content-Type',
          },
          'Linear-Webhook',
        ),
      ['linear-signature', 'linear-delivery', 'linear-event', 'content-type'],
    ],
    [
      'Shopify (un-prefixed names)',
      () =>
        providerCase(
          'shopify',
          shopifyUnprefixedWebhook({ source: 'shop', secret: 's' }),
          {
            'shopify-hmac-sha256': 'Shopify-Hmac-Sha256',
            'shopify-webhook-id': 'Shopify-Webhook-Id',
            'shopify-topic': 'Shopify-Topic',
            'content-type': 'Content-Type',
          },
          'Shopify-Captain-Hook',
        ),
      ['shopify-hmac-sha256', 'shopify-webhook-id', 'shopify-topic', 'content-type'],
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
    const names = send('shopify', { ...both, 'X-Shopify-Topic': 't' }).attributes.map((a) => a.name);
    expect(names).toEqual([
      'source',
      'request-id',
      'x-shopify-hmac-sha256',
      'shopify-hmac-sha256',
      'x-shopify-webhook-id',
      'shopify-webhook-id',
      'x-shopify-topic',
      'shopify-topic',
      'content-type',
    ]);
  });

  describe('header casing', () => {
    test('matches header names case-insensitively and emits them lower-cased', () => {
      for (const name of ['stripe-SIGNATURE', 'STRIPE-SIGNATURE', 'Stripe-Signature', 'stripe-signature']) {
        expect(send('stripe', { [name]: 't=1,v1=ab' }).attributes[2]).toMatchObject({ name: 'stripe-signature', value: 't=1,v1=ab' });
      }
    });

    test('forwards a header sent twice in different casings once (SQS refuses a repeated attribute name)', () => {
      const form = send('stripe', { 'Stripe-Signature': 't=1,v1=aa', 'stripe-signature': 't=2,v1=bb', 'Content-Type': 'a/b' });
      expect(forwarded(form)).toEqual([
        ['stripe-signature', 't=1,v1=aa'],
        ['content-type', 'a/b'],
      ]);
    });
  });

  test('skips empty header values (SQS rejects empty attributes)', () => {
    const form = send('hmac-sha256', { 'X-Webhook-Id': '', 'X-Signature-256': 'sha256=1' });
    expect(form.attributes.map((a) => a.name)).toEqual(['source', 'request-id', 'x-signature-256']);
  });

  describe("SQS's 10-attribute cap", () => {
    test.each(SIGNATURE_SCHEMES)('is never reached by %s, whose every header fits', (scheme) => {
      const doubled = { ...EVERY_HEADER, ...Object.fromEntries(FORWARDED_HEADERS.map((name) => [name.toUpperCase(), 'dup'])) };
      const form = send(scheme, doubled);
      expect(form.attributes).toHaveLength(2 + SCHEME_HEADERS[scheme].length);
      expect(form.attributes.length).toBeLessThanOrEqual(MAX_MESSAGE_ATTRIBUTES);
    });

    test('still holds for a longer list, keeping its first eight headers', () => {
      const long = Array.from({ length: 12 }, (_, i) => `x-h${i}`);
      const text = ingestRequestTemplate({ sourceSchemes: '{"big":"many"}', schemeHeaders: { many: long } });
      const form = send('big', Object.fromEntries(long.map((name) => [name, name])), '{}', text);
      expect(form.attributes).toHaveLength(MAX_MESSAGE_ATTRIBUTES);
      expect(form.attributes.map((a) => a.name)).toEqual(['source', 'request-id', ...long.slice(0, 8)]);
    });
  });

  test('keeps values with form-significant characters intact', () => {
    const form = send('stripe', { 'Stripe-Signature': 't=1 2&v1=a+b%20c' });
    expect(form.attributes[2].value).toBe('t=1 2&v1=a+b%20c');
  });

  describe('sources', () => {
    test.each(['my-source_2', '0day', 'gh'])('stores a request to the configured source %s under its name', (source) => {
      const form = send(source, { 'Content-Type': 'application/json' });
      expect(form.action).toBe('SendMessage');
      expect(form.attributes[0]).toMatchObject({ name: 'source', value: source });
    });

    const rejected = (output: string) => {
      expect(output).toBe(UNKNOWN_SOURCE_REQUEST);
      // Nothing of the request goes out: no body, no attribute, and a delay SQS refuses.
      expect(parseSendMessageForm(output)).toEqual({ action: 'SendMessage', messageBody: 'unknown-source', attributes: [] });
      expect(new URLSearchParams(output).get('DelaySeconds')).toBe('901');
    };

    test.each([
      ['an unconfigured source', 'gitlab'],
      ['a configured name in another case', 'GitHub'],
      ['a configured name with its first letter’s case flipped', 'Gh'],
      ['a configured name with a trailing space', 'gh '],
      ['a configured name, percent-encoded', 'g%68'],
      ['a path around a configured name', '../gh'],
      ['a double quote', 'g"h'],
      ['Velocity syntax', '$sources'],
      ['a Velocity directive', '#set($known = true)'],
      ['a Terraform interpolation', '${var.x}'],
      ['non-ASCII letters', 'gïthub'],
      ['a name of an inherited JavaScript property', 'toString'],
      ['a JavaScript prototype key', '__proto__'],
      ['another prototype key', 'constructor'],
      ['an empty segment', ''],
    ])('stores nothing for %s (%j): SQS refuses the request', (_name, source) => {
      rejected(render(source, { ...EVERY_HEADER, 'Content-Type': 'application/json' }));
    });

    test('stores nothing when the path carries no source', () => {
      rejected(render(undefined, { 'Content-Type': 'application/json' }));
    });

    test('stores nothing for a source whose scheme has no header list', () => {
      const text = ingestRequestTemplate({ sourceSchemes: '{"legacy":"gitlab","gh":"github"}' });
      rejected(render('legacy', {}, '{}', text));
      expect(send('gh', {}, '{}', text).action).toBe('SendMessage');
    });

    test('stores nothing at all when no source is configured', () => {
      rejected(render('github', {}, '{}', ingestRequestTemplate({ sourceSchemes: '{}' })));
    });
  });

  describe('the Velocity emulation (support/velocity.ts) the template is tested with', () => {
    const evaluate = (text: string) =>
      renderMappingTemplate(text, { body: '{}', headers: { 'X-A': '1' }, pathParameters: { source: 'gh' } });

    test('gives map literals java.util.Map’s exact containsKey and get, unlike plain velocityjs', () => {
      const map = '#set($m = {"github":"x","a-b":"y"})';
      expect(evaluate(`${map}$m.containsKey("github")|$m.containsKey("Github")|$m.containsKey("toString")|$m.containsKey("a-b")`)).toBe(
        'true|false|false|true',
      );
      // An absent key is null: `#if` is false, a quiet reference renders nothing, a plain one itself.
      expect(evaluate(`${map}$!m.get("Github")|$!m.get("toString")|$!m.get("constructor")|$m.get("github")`)).toBe('|||x');
      expect(evaluate(`${map}#if($m.get("Github"))found#{else}absent#end|$m.get("Github")`)).toBe('absent|$m.get("Github")');
    });

    test('gives the request’s maps the same methods', () => {
      expect(evaluate("$input.params().path.containsKey('source')|$input.params().path.containsKey('Source')")).toBe('true|false');
      expect(evaluate("#if($input.params().header.get('x-a'))found#{else}absent#end|$input.params().header.get('X-A')")).toBe('absent|1');
    });

    test('reads list literals inside map literals, as the header table is written', () => {
      expect(evaluate('#set($t = {"s":["a","b"]})#foreach($x in $t.get("s"))[$x]#end')).toBe('[a][b]');
    });
  });

  test("the accepted response carries SQS's message id", () => {
    const body = JSON.stringify({ SendMessageResponse: { SendMessageResult: { MessageId: 'm-42' } } });
    const rendered = renderMappingTemplate(ACCEPTED_RESPONSE_TEMPLATE, { body, requestId: 'req-9' });
    expect(JSON.parse(rendered)).toEqual({ messageId: 'm-42', requestId: 'req-9' });
  });

  test.each([
    [262_144, 'over 256 KiB'],
    [1_048_576, 'over 1 MiB'],
  ])('the rejected response covers an unknown source and a message the queue refused, stating its limit of %i bytes', (limit, stated) => {
    const body = '<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code></Error></ErrorResponse>';
    const template = rejectedResponseTemplate(limit);
    const rendered = JSON.parse(renderMappingTemplate(template, { body, requestId: 'req-9' })) as Record<string, string>;
    expect(rendered).toEqual({ message: expect.stringMatching(/^The webhook was not stored: /), requestId: 'req-9' });
    expect(rendered.message).toMatch(/source is not configured/);
    expect(rendered.message).toContain(`queue rejected it (${stated} with its headers`);
  });

  test('sizes are stated in the largest whole binary unit', () => {
    expect([formatBytes(1_048_576), formatBytes(2_097_152), formatBytes(262_144), formatBytes(1500)]).toEqual([
      '1 MiB',
      '2 MiB',
      '256 KiB',
      '1500 bytes',
    ]);
  });

  test('escapeTerraformTemplate doubles ${ and %{ so Terraform passes them through', () => {
    expect(escapeTerraformTemplate('a ${n} b %{if} c $x')).toBe('a $${n} b %%{if} c $x');
  });
});
