import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { ProcessEnvelope } from '../../../src/handlers/shared/process-envelope';
import { type AwsClients, awsClients, createIdempotencyTable, createQueue } from '../../support/aws-resources';
import { lambdaContext } from '../../support/lambda-context';
import { loadHandler } from '../../support/load-handler';
import { type MotoServer, startMoto } from '../../support/moto';
import { captureOutput, type CapturedOutput } from '../../support/output';
import { receiveAll, receiveRecords, settleBatch, toSqsEvent } from '../../support/sqs-records';

jest.setTimeout(60_000);

const TABLE = 'webhook-idempotency-test';
const TTL_SECONDS = 90_000;

let moto: MotoServer;
let aws: AwsClients;
let processQueueUrl: string;
let deliverQueueUrl: string;
let output: CapturedOutput;

function processorEnv(overrides: Record<string, string | undefined> = {}) {
  return {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_MAX_ATTEMPTS: '1',
    NEXT_QUEUE_URL: deliverQueueUrl,
    IDEMPOTENCY_TABLE_NAME: TABLE,
    IDEMPOTENCY_TTL_SECONDS: String(TTL_SECONDS),
    ...overrides,
  };
}

function envelope(deliveryId: string, overrides: Partial<ProcessEnvelope> = {}): ProcessEnvelope {
  return {
    version: 1,
    source: 'gh',
    scheme: 'github',
    deliveryId,
    eventType: null,
    receivedAt: '2026-01-01T00:00:00.000Z',
    requestId: `req-${deliveryId}`,
    payload: { action: 'opened', number: 1 },
    ...overrides,
  };
}

/** Puts bodies on the process queue and receives them back, in order, as one Lambda event. */
async function enqueue(bodies: readonly string[]) {
  const messageIds: string[] = [];
  for (const body of bodies) {
    const { MessageId } = await aws.sqs.send(new SendMessageCommand({ QueueUrl: processQueueUrl, MessageBody: body }));
    messageIds.push(MessageId!);
  }
  const received = await receiveRecords(aws.sqs, processQueueUrl, { count: bodies.length, visibilityTimeoutSeconds: 60 });
  const byId = new Map(received.map((record) => [record.messageId, record]));
  return { messageIds, records: messageIds.map((id) => byId.get(id)!) };
}

async function drainDeliverQueue() {
  const records = await receiveAll(aws.sqs, deliverQueueUrl);
  await settleBatch(aws.sqs, deliverQueueUrl, records, { batchItemFailures: [] });
  return records.map((record) => JSON.parse(record.body));
}

beforeAll(async () => {
  moto = await startMoto();
  aws = awsClients(moto.endpoint);
  processQueueUrl = await createQueue(aws.sqs, 'webhook-process-test');
  deliverQueueUrl = await createQueue(aws.sqs, 'webhook-deliver-test');
  await createIdempotencyTable(aws.dynamodb, TABLE);
});

afterAll(async () => {
  if (aws) Object.values(aws).forEach((client) => client.destroy());
  await moto?.stop();
});

beforeEach(() => {
  output = captureOutput();
});
afterEach(() => output?.restore());

describe('processor against SQS and DynamoDB', () => {
  it('forwards a delivery once and drops its redelivery as a duplicate', async () => {
    const handler = loadHandler('processor', processorEnv());

    const first = await enqueue([JSON.stringify(envelope('d-1'))]);
    const before = Date.now();
    expect(await handler(toSqsEvent(first.records), lambdaContext('processor'))).toEqual({ batchItemFailures: [] });
    await settleBatch(aws.sqs, processQueueUrl, first.records, { batchItemFailures: [] });

    const delivered = await drainDeliverQueue();
    expect(delivered).toEqual([
      {
        id: 'd-1',
        source: 'gh',
        type: 'opened',
        receivedAt: '2026-01-01T00:00:00.000Z',
        processedAt: expect.any(String),
        requestId: 'req-d-1',
        data: { action: 'opened', number: 1 },
      },
    ]);
    expect(Date.parse(delivered[0].processedAt)).toBeGreaterThanOrEqual(before - 1_000);

    // The provider retries: the validator produces a new message for the same delivery.
    const retry = await enqueue([JSON.stringify(envelope('d-1', { requestId: 'req-retry' }))]);
    expect(await handler(toSqsEvent(retry.records), lambdaContext('processor'))).toEqual({ batchItemFailures: [] });
    await settleBatch(aws.sqs, processQueueUrl, retry.records, { batchItemFailures: [] });
    expect(await drainDeliverQueue()).toEqual([]);

    expect(output.metricValues('Forwarded').map((entry) => entry.value)).toEqual([1]);
    expect(output.metricValues('Duplicate').map((entry) => entry.value)).toEqual([1]);
    expect(output.logs().find((line) => line.message === 'Duplicate delivery dropped')).toMatchObject({
      deliveryId: 'd-1',
      requestId: 'req-retry',
      source: 'gh',
    });

    const { Items = [] } = await aws.dynamodb.send(new ScanCommand({ TableName: TABLE }));
    expect(Items).toHaveLength(1);
    expect(Items[0].status?.S).toBe('COMPLETED');
    expect(Number(Items[0].expiration?.N)).toBeGreaterThan(before / 1000 + TTL_SECONDS - 60);
    expect(Number(Items[0].expiration?.N)).toBeLessThan(Date.now() / 1000 + TTL_SECONDS + 60);
  });

  it('in one batch, forwards the first copy, drops the second and fails the poison message', async () => {
    const handler = loadHandler('processor', processorEnv());
    const { records, messageIds } = await enqueue([
      JSON.stringify(envelope('d-2', { eventType: 'pull_request' })),
      JSON.stringify(envelope('d-2', { eventType: 'pull_request' })),
      'this is not an envelope',
      JSON.stringify(envelope('d-2', { source: 'other-source' })),
      JSON.stringify({ ...envelope('d-3'), version: 99 }),
    ]);
    const response = await handler(toSqsEvent(records), lambdaContext('processor'));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: messageIds[2] }, { itemIdentifier: messageIds[4] }] });
    await settleBatch(aws.sqs, processQueueUrl, records, response);

    const delivered = await drainDeliverQueue();
    expect(delivered.map((event) => [event.source, event.id, event.type])).toEqual([
      ['gh', 'd-2', 'pull_request'],
      ['other-source', 'd-2', 'opened'],
    ]);
    const failures = output.logs().filter((line) => line.level === 'ERROR');
    expect(failures.map((line) => [line.messageId, line.reason])).toEqual([
      [messageIds[2], 'invalid-message'],
      [messageIds[4], 'invalid-message'],
    ]);
    expect((failures[1].error as { message: string }).message).toBe('Not a valid process envelope: "version" must be 1');
  });

  it('forgets a delivery it failed to forward, so the retry is forwarded, not dropped', async () => {
    const broken = loadHandler('processor', processorEnv({ NEXT_QUEUE_URL: `${moto.endpoint}/123456789012/no-such-queue` }));
    const first = await enqueue([JSON.stringify(envelope('d-4'))]);
    const response = await broken(toSqsEvent(first.records), lambdaContext('processor'));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: first.messageIds[0] }] });
    await settleBatch(aws.sqs, processQueueUrl, first.records, response, { releaseFailures: true });

    const healthy = loadHandler('processor', processorEnv());
    const retried = await receiveRecords(aws.sqs, processQueueUrl, { count: 1 });
    expect(retried[0].attributes.ApproximateReceiveCount).toBe('2');
    expect(await healthy(toSqsEvent(retried), lambdaContext('processor'))).toEqual({ batchItemFailures: [] });
    await settleBatch(aws.sqs, processQueueUrl, retried, { batchItemFailures: [] });
    expect((await drainDeliverQueue()).map((event) => event.id)).toEqual(['d-4']);
  });
});
