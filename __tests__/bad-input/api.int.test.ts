/**
 * Bad input at the API: an oversized body, a missing `{source}`, a wrong content type must get a
 * 4xx, and nothing but a stored message may get a 2xx.
 *
 * What runs for real: the synthesized mapping template (rendered with the Velocity shim of
 * support/velocity.ts) and SQS (moto server), called the way API Gateway's AWS integration calls
 * it: a form-encoded POST to `path/{account}/{queue}`. What is emulated, from the synthesized
 * configuration only: API Gateway's routing, mapping-template selection by Content-Type and
 * integration-response selection. Each emulated step is pinned by a test of the
 * configuration it reads.
 *
 * moto differs from SQS in two ways that matter here, and the tests assert what moto does:
 * - moto sizes only the body (SQS counts body plus attributes), so the oversized case is a body
 *   of 256 KiB + 1 byte, over the limit on both;
 * - moto accepts an empty String attribute, which SQS rejects with 400 (see "empty source").
 */
import { CreateQueueCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { Testing } from 'cdktf';
import { escapeTerraformTemplate, ingestRequestTemplate, UNKNOWN_SOURCE_REQUEST } from '../../src/api/ingest-template';
import { awsClients } from '../support/aws-resources';
import { type MotoServer, startMoto } from '../support/moto';
import { type ApiRequest, parseSendMessageForm, renderMappingTemplate } from '../support/velocity';
import { policyTestStack } from '../src/policy/support';

jest.setTimeout(120_000);

const json = JSON.parse(Testing.synth(policyTestStack()));
/**
 * The stack sets every queue's max_message_size to its provider's limit (256 KiB on this
 * repository's hashicorp/aws 5.100.0); moto's own default is 1 MiB, so the test queue sets the
 * deployed value explicitly.
 */
const DEPLOYED_MAX_MESSAGE_SIZE: number = Object.values<any>(json.resource.aws_sqs_queue)[0].max_message_size;
const only = (type: string): any => {
  const all = Object.values<any>(json.resource[type] ?? {});
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0];
};
const integration = only('aws_api_gateway_integration');
const method = only('aws_api_gateway_method');
const validator = only('aws_api_gateway_request_validator');
const integrationResponses = Object.values<any>(json.resource.aws_api_gateway_integration_response);
const resources = Object.entries<any>(json.resource.aws_api_gateway_resource);
const unescape = (text: string) => text.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');

/**
 * The template holds the source table as a Terraform expression over var.webhook_sources; this is
 * what Terraform makes of it with the variable's default (github, stripe, shopify, generic).
 */
const SOURCE_TABLE = /^#set\(\$sources = (\$\{jsonencode\(.*?\)\})\)#set\(\$schemeHeaders/;
const sourceTableExpression = SOURCE_TABLE.exec(integration.request_templates['application/json'])![1];
const DEFAULT_SOURCE_TABLE = '{"generic":"hmac-sha256","github":"github","shopify":"shopify","stripe":"stripe"}';
const planned = (template: string) => unescape(template.replace(sourceTableExpression, DEFAULT_SOURCE_TABLE));

/** What API Gateway does with the SQS status: the response whose selection pattern matches, else the default. */
function callerStatus(sqsStatus: number): number {
  const matching = integrationResponses.find(
    (r) => r.selection_pattern !== undefined && new RegExp(`^(?:${r.selection_pattern})$`).test(String(sqsStatus)),
  );
  const chosen = matching ?? integrationResponses.find((r) => r.selection_pattern === undefined);
  return Number(chosen.status_code);
}

interface Webhook {
  /** Path after the stage, e.g. `/webhooks/github`. */
  readonly path: string;
  readonly body: string;
  readonly headers?: Record<string, string>;
}

interface Outcome {
  readonly status: number;
  /** SQS's HTTP status, when the integration was called. */
  readonly sqsStatus?: number;
  readonly stored: number;
}

let moto: MotoServer;
let sqs: SQSClient;

beforeAll(async () => {
  moto = await startMoto();
  sqs = awsClients(moto.endpoint).sqs;
});

afterAll(() => moto?.stop());

async function createIngestQueue(): Promise<{ url: string; account: string; name: string }> {
  const name = `webhook-ingest-${randomUUID().slice(0, 8)}`;
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: { MaximumMessageSize: String(DEPLOYED_MAX_MESSAGE_SIZE) } }),
  );
  const account = new URL(QueueUrl!).pathname.split('/')[1];
  return { url: QueueUrl!, account, name };
}

async function storedMessages(queueUrl: string): Promise<number> {
  const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
  return Messages?.length ?? 0;
}

/** The integration's SQS path (`{account}/{queue}`) with the stack's references filled in. */
function sqsPath(account: string, queueName: string): string {
  return integration.uri
    .split(':sqs:path/')[1]
    .replace('${local.account_id}', account)
    .replace(/\$\{aws_sqs_queue\.ingest_queue_\w+\.name\}/, queueName);
}

/** Sends a webhook through the emulated API Gateway to the real (moto) SQS queue. */
async function post(webhook: Webhook, queue: { account: string; name: string; url: string }): Promise<Outcome> {
  // Routing: the only POST method is on /webhooks/{source}.
  const match = /^\/webhooks\/([^/]+)$/.exec(webhook.path);
  if (!match) return { status: 403, stored: await storedMessages(queue.url) }; // API Gateway: MISSING_AUTHENTICATION_TOKEN
  // A route that matched has a non-empty {source}, so the request validator (required path
  // parameter) passes; without the route, API Gateway never reaches the method.
  const pathParameters = { source: decodeURIComponent(match[1]) };

  // Mapping-template selection: no Content-Type means application/json; NEVER rejects the rest.
  const contentType = (webhook.headers?.['Content-Type'] ?? 'application/json').split(';')[0].trim().toLowerCase();
  const template = integration.request_templates[contentType];
  if (template === undefined && integration.passthrough_behavior === 'NEVER') {
    return { status: 415, stored: await storedMessages(queue.url) }; // API Gateway: UNSUPPORTED_MEDIA_TYPE
  }

  const request: ApiRequest = { body: webhook.body, pathParameters, headers: webhook.headers, requestId: randomUUID() };
  const form = renderMappingTemplate(planned(template), request);
  const response = await fetch(`${moto.endpoint}/${sqsPath(queue.account, queue.name)}`, {
    method: integration.integration_http_method,
    headers: {
      'Content-Type': integration.request_parameters['integration.request.header.Content-Type'].replace(/'/g, ''),
      // API Gateway signs with the integration role; moto routes on the credential scope and
      // does not verify signatures.
      Authorization: 'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: form,
  });
  await response.arrayBuffer();
  return { status: callerStatus(response.status), sqsStatus: response.status, stored: await storedMessages(queue.url) };
}

const github = (overrides: Partial<Webhook> = {}): Webhook => ({
  path: '/webhooks/github',
  body: JSON.stringify({ zen: 'Keep it logically awesome.' }),
  headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': 'sha256=00', 'X-GitHub-Delivery': 'd-1' },
  ...overrides,
});

describe('the configuration the emulated API Gateway steps read', () => {
  test('only application/json is mapped, and nothing passes through unmapped (415 otherwise)', () => {
    expect(Object.keys(integration.request_templates)).toEqual(['application/json']);
    expect(integration.passthrough_behavior).toBe('NEVER');
  });

  test('the synthesized template, unescaped for Terraform, is the ingest template with the sources the plan decides', () => {
    const synthesized = integration.request_templates['application/json'];
    expect(sourceTableExpression).toMatch(
      /^\$\{jsonencode\(\{ for key, val in \{ for key, val in var\.webhook_sources: .*val\.scheme \}\)\}$/,
    );
    expect(synthesized).toBe(
      escapeTerraformTemplate(ingestRequestTemplate({ sourceSchemes: '@@' })).replace('@@', () => sourceTableExpression),
    );
    expect(planned(synthesized)).toBe(ingestRequestTemplate({ sourceSchemes: DEFAULT_SOURCE_TABLE }));
  });

  test('{source} is required and validated, and /webhooks itself has no method', () => {
    expect(method.request_parameters).toEqual({ 'method.request.path.source': true });
    expect(method.request_validator_id).toMatch(/aws_api_gateway_request_validator\.\S+\.id/);
    expect(validator.validate_request_parameters).toBe(true);
    expect(resources.map(([, r]) => r.path_part).sort()).toEqual(['webhooks', '{source}']);
    const [sourceId] = resources.find(([, r]) => r.path_part === '{source}')!;
    expect(method.resource_id).toBe(`\${aws_api_gateway_resource.${sourceId}.id}`);
    expect(Object.keys(json.resource.aws_api_gateway_method)).toHaveLength(1);
  });

  test('the integration posts a form to SQS’s path/{account}/{queue}', () => {
    expect(integration).toMatchObject({ type: 'AWS', integration_http_method: 'POST' });
    expect(integration.uri).toMatch(/:sqs:path\/\$\{local\.account_id\}\/\$\{aws_sqs_queue\.ingest_queue_\w+\.name\}$/);
    expect(integration.request_parameters).toEqual({ 'integration.request.header.Content-Type': "'application/x-www-form-urlencoded'" });
  });

  test.each([
    [200, 202],
    [400, 400],
    [403, 400],
    [404, 400],
    [413, 400],
    [500, 502],
    [503, 502],
    [302, 500],
    [100, 500],
  ])('SQS %i reaches the caller as %i: never a 2xx unless SQS stored the message', (sqsStatus, expected) => {
    expect(callerStatus(sqsStatus)).toBe(expected);
  });

  test('the stage is throttled by the api_throttle_* variables', () => {
    const settings = only('aws_api_gateway_method_settings');
    expect(settings.method_path).toBe('*/*');
    expect(settings.settings).toMatchObject({
      throttling_rate_limit: '${var.api_throttle_rate_limit}',
      throttling_burst_limit: '${var.api_throttle_burst_limit}',
    });
  });
});

describe('bad input at the API, against SQS on moto', () => {
  test('control: a JSON webhook within limits is stored and answered 202', async () => {
    const queue = await createIngestQueue();
    expect(await post(github(), queue)).toEqual({ status: 202, sqsStatus: 200, stored: 1 });
  });

  test('control: a request without Content-Type is treated as application/json, as API Gateway does', async () => {
    const queue = await createIngestQueue();
    expect(await post(github({ headers: { 'X-Hub-Signature-256': 'sha256=00' } }), queue)).toMatchObject({ status: 202, stored: 1 });
  });

  test.each<[string, (queue: { name: string }) => Webhook, Partial<Outcome>]>([
    [
      'a body of 256 KiB + 1 byte',
      () => github({ body: JSON.stringify({ pad: 'x'.repeat(DEPLOYED_MAX_MESSAGE_SIZE - 10 + 1) }) }),
      { status: 400, sqsStatus: 400 },
    ],
    ['a wrong content type (text/plain)', () => github({ headers: { 'Content-Type': 'text/plain' } }), { status: 415 }],
    [
      'a form-encoded body (GitHub’s default content type)',
      () => github({ headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }),
      { status: 415 },
    ],
    ['a missing {source} (POST /webhooks/)', () => github({ path: '/webhooks/' }), { status: 403 }],
    ['a missing {source} (POST /webhooks)', () => github({ path: '/webhooks' }), { status: 403 }],
  ])('%s is refused with a 4xx and not stored', async (_name, webhook, expected) => {
    const queue = await createIngestQueue();
    const outcome = await post(webhook(queue), queue);
    expect(outcome).toMatchObject({ ...expected, stored: 0 });
    expect(outcome.status).toBeGreaterThanOrEqual(400);
    expect(outcome.status).toBeLessThan(500);
  });

  test('a queue SQS does not know (SQS 400 NonExistentQueue) is answered 400, not 2xx', async () => {
    const queue = await createIngestQueue();
    expect(await post(github(), { ...queue, name: `${queue.name}-gone` })).toMatchObject({ status: 400, sqsStatus: 400, stored: 0 });
  });

  test.each(['gitlab', 'GitHub', 'github ', 'stripe%2Fx'])(
    'an unknown source (%j) is refused at the edge: SQS answers 400, API Gateway 400, nothing stored',
    async (source) => {
      const queue = await createIngestQueue();
      expect(await post(github({ path: `/webhooks/${source}` }), queue)).toEqual({ status: 400, sqsStatus: 400, stored: 0 });
    },
  );

  test('empty source: no source matches, so the template sends what SQS refuses (the route never lets it through anyway)', () => {
    const form = renderMappingTemplate(planned(integration.request_templates['application/json']), {
      body: '{}',
      pathParameters: { source: '' },
    });
    expect(form).toBe(UNKNOWN_SOURCE_REQUEST);
    expect(parseSendMessageForm(form).attributes).toEqual([]);
  });
});
