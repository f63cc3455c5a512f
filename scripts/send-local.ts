/**
 * `npm run send:local -- --source NAME [--count N] [--id ID] [--type TYPE]`: sends signed sample
 * webhooks into the last `deploy:local`, the way API Gateway would: the deployed integration's
 * request template (read back with GetIntegration) rendered for each request (scripts/lib/velocity.ts),
 * and its SendMessage form sent to the ingest queue as is. Run `npm run esm:local` to process them.
 *
 * On the local endpoint only, it first puts any secret the deployment reads and nobody has set yet:
 * the source's (to sign with) and each destination's signing secret (`whsec_…`, for the
 * dispatcher), printing each one it creates. Exit 0 when every webhook was queued; 1 otherwise.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { APIGatewayClient, GetIntegrationCommand, GetResourcesCommand } from '@aws-sdk/client-api-gateway';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetParameterCommand, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { HANDLER_ENV } from '../src/contract';
import { DEFAULT_WORK_DIR, readOutputs, readSession } from './lib/local-deploy';
import { localClientConfig } from './lib/local-resources';
import { SAMPLE_SCHEMES, type SampleScheme, sampleWebhook } from './lib/sample-webhooks';
import { parseSendMessageForm, renderMappingTemplate } from './lib/velocity';

const USAGE = 'usage: npm run send:local -- --source NAME [--count N] [--id DELIVERY_ID] [--type EVENT_TYPE]';

interface Args {
  readonly source: string;
  readonly count: number;
  readonly id?: string;
  readonly type?: string;
}

function parseArgs(argv: readonly string[]): Args {
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (!['--source', '--count', '--id', '--type'].includes(flag) || value === undefined) throw new Error(`unexpected "${flag}"\n${USAGE}`);
    values[flag.slice(2)] = value;
  }
  if (!values.source) throw new Error(`--source is required\n${USAGE}`);
  const count = Number(values.count ?? 1);
  if (!Number.isInteger(count) || count < 1 || count > 1000)
    throw new Error(`--count must be a whole number from 1 to 1000, got "${values.count}"`);
  return { source: values.source, count, id: values.id, type: values.type };
}

async function main(argv: readonly string[]): Promise<void> {
  const args = parseArgs(argv);
  const session = readSession(DEFAULT_WORK_DIR);
  if (!session) throw new Error('no local deployment: run npm run deploy:local first');
  const outputs = readOutputs() as Record<string, string>;
  const config = localClientConfig(session.endpoint, session.region);
  const [apigateway, lambda, sqs, ssm] = [
    new APIGatewayClient(config),
    new LambdaClient(config),
    new SQSClient(config),
    new SSMClient(config),
  ];

  // What the deployment reads: its sources (the validator's) and destinations (the dispatcher's).
  const environmentOf = async (fn: string) =>
    (await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: outputs[`${fn}_function_name`] }))).Environment?.Variables ?? {};
  const sources = JSON.parse((await environmentOf('validator'))[HANDLER_ENV.webhookSources] ?? '{}') as Record<
    string,
    { scheme: string; secretParameter?: string | null }
  >;
  const destinations = JSON.parse((await environmentOf('dispatcher'))[HANDLER_ENV.deliveryDestinations] ?? '{}') as Record<
    string,
    { secretParameter: string }
  >;
  const source = sources[args.source];
  if (!source) throw new Error(`--source "${args.source}" is not one of the deployment's sources: ${Object.keys(sources).join(', ')}`);
  if (!(SAMPLE_SCHEMES as readonly string[]).includes(source.scheme)) {
    throw new Error(`source "${args.source}" uses the ${source.scheme} scheme; samples exist for ${SAMPLE_SCHEMES.join(', ')}`);
  }

  const ensureSecret = async (name: string, make: () => string): Promise<string> => {
    try {
      return (await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter!.Value!;
    } catch (error) {
      if (!(error instanceof ParameterNotFound)) throw error;
      const value = make();
      await ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: 'SecureString' }));
      console.log(`created the local secret ${name}`);
      return value;
    }
  };
  const secret = await ensureSecret(source.secretParameter ?? `${outputs.source_secrets_path}${args.source}`, () =>
    randomBytes(24).toString('hex'),
  );
  for (const { secretParameter } of Object.values(destinations)) {
    await ensureSecret(secretParameter, () => `whsec_${randomBytes(32).toString('base64')}`);
  }

  const restApiId = outputs.api_id;
  const { items = [] } = await apigateway.send(new GetResourcesCommand({ restApiId }));
  const resourceId = items.find((item) => item.path === '/webhooks/{source}')?.id;
  if (!resourceId) throw new Error(`the API ${restApiId} has no /webhooks/{source} resource: is the deployment complete?`);
  const integration = await apigateway.send(new GetIntegrationCommand({ restApiId, resourceId, httpMethod: 'POST' }));
  const template = integration.requestTemplates?.['application/json'];
  if (!template) throw new Error(`the API ${restApiId}'s POST integration has no application/json request template`);

  for (let n = 1; n <= args.count; n += 1) {
    const deliveryId = args.id === undefined ? undefined : args.count === 1 ? args.id : `${args.id}-${n}`;
    const webhook = sampleWebhook(source.scheme as SampleScheme, secret, { deliveryId, eventType: args.type, n });
    const form = parseSendMessageForm(
      renderMappingTemplate(template, {
        body: webhook.body,
        pathParameters: { source: args.source },
        headers: webhook.headers,
        requestId: randomUUID(),
      }),
    );
    const { MessageId } = await sqs.send(
      new SendMessageCommand({
        QueueUrl: outputs.ingest_queue_url,
        MessageBody: form.messageBody!,
        MessageAttributes: Object.fromEntries(form.attributes.map((a) => [a.name, { DataType: a.dataType, StringValue: a.value }])),
      }),
    );
    console.log(`sent ${args.source}:${webhook.deliveryId} (${webhook.eventType}) as ingest message ${MessageId}`);
  }
  for (const client of [apigateway, lambda, sqs, ssm]) client.destroy();
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`send:local failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
