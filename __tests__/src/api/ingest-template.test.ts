import { ACCEPTED_RESPONSE_TEMPLATE, escapeTerraformTemplate, ingestRequestTemplate } from '../../../src/api/ingest-template';
import { FORWARDED_HEADERS } from '../../../src/contract';
import { parseSendMessageForm, renderMappingTemplate } from '../../support/velocity';
import { OTHER_SECRET, SECRET, signStandardWebhook } from '../../handlers/shared/signatures/standard-webhooks-requests';

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
      [3, 'content-type', 'application/json'],
      [4, 'x-hub-signature-256', 'sha256=abc'],
      [5, 'x-github-delivery', 'd-1'],
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
      [3, 'content-type', 'application/json'],
      [4, 'webhook-signature', headers['webhook-signature']],
      [5, 'webhook-id', 'msg_1'],
      [6, 'webhook-timestamp', '1767323045'],
    ]);
    expect(headers['webhook-signature']).toMatch(/^v1,\S+ v1,\S+$/);
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
