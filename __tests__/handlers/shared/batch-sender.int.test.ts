import { SQSClient } from '@aws-sdk/client-sqs';
import { createBatchSender, type OutgoingMessage } from '../../../src/handlers/shared/batch-sender';
import { type AwsClients, awsClients, createQueue } from '../../support/aws-resources';
import { type MotoServer, startMoto } from '../../support/moto';
import { receiveAll, settleBatch } from '../../support/sqs-records';
import { type AwsFaultProxy, startFaultProxy } from './aws-fault-proxy';

/**
 * The batch sender with the real SDK against real moto SQS, through a fault-injecting proxy
 * (aws-fault-proxy.ts) that counts the calls and fails entries, calls or whole attempts on demand.
 */

jest.setTimeout(60_000);

let moto: MotoServer;
let aws: AwsClients;
let proxy: AwsFaultProxy;
let queueUrl: string;

/** A client as the handlers build it, on the proxy, with the SDK's standard retries. */
function client(maxAttempts: number): SQSClient {
  return new SQSClient({
    endpoint: proxy.endpoint,
    region: 'us-east-1',
    maxAttempts,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
}

async function drain(): Promise<string[]> {
  const records = await receiveAll(aws.sqs, queueUrl, { waitSeconds: 0 });
  await settleBatch(aws.sqs, queueUrl, records, { batchItemFailures: [] });
  return records.map((record) => record.body).sort();
}

const bodies = (count: number, prefix: string): OutgoingMessage[] =>
  Array.from({ length: count }, (_, index) => ({ body: `${prefix}-${String(index).padStart(2, '0')}` }));

beforeAll(async () => {
  moto = await startMoto();
  aws = awsClients(moto.endpoint);
  proxy = await startFaultProxy(moto.endpoint);
  queueUrl = await createQueue(aws.sqs, 'batch-sender-test');
});

afterAll(async () => {
  if (aws) Object.values(aws).forEach((each) => each.destroy());
  await proxy?.close();
  await moto?.stop();
});

beforeEach(() => proxy.reset());

describe('createBatchSender against moto', () => {
  it('sends 23 messages in three calls, each arriving once and unchanged', async () => {
    const messages = [...bodies(22, 'plain'), { body: '{"n": 12345678901234567890123, "s": "é\\u00e9😀"}' }];
    const results = await createBatchSender(client(1), proxy.viaProxy(queueUrl))(messages);
    expect(results.every((result) => result.sent && typeof result.messageId === 'string')).toBe(true);
    expect(proxy.count('SendMessageBatch')).toBe(3);
    expect(proxy.requests).toHaveLength(3);
    expect(await drain()).toEqual(messages.map(({ body }) => body).sort());
  });

  it('splits ten 100 KB bodies by size into five calls that moto accepts', async () => {
    const messages = Array.from({ length: 10 }, (_, index) => ({ body: `${index}`.repeat(100_000) }));
    const results = await createBatchSender(client(1), proxy.viaProxy(queueUrl))(messages);
    expect(results.every((result) => result.sent)).toBe(true);
    expect(proxy.count('SendMessageBatch')).toBe(5);
    for (const request of proxy.requests) {
      const entries = request.input.Entries as { MessageBody: string }[];
      expect(entries.reduce((sum, entry) => sum + Buffer.byteLength(entry.MessageBody), 0)).toBeLessThanOrEqual(262_144);
    }
    expect((await drain()).map((body) => body.length)).toEqual(Array(10).fill(100_000));
  });

  it('fails only the entry SQS reports failed; the rest of its call is sent once', async () => {
    proxy.inject(() => ({ failEntries: (entry) => entry.MessageBody === 'entry-03', code: 'InternalError' }));
    const results = await createBatchSender(client(1), proxy.viaProxy(queueUrl))(bodies(12, 'entry'));
    expect(results.flatMap((result, index) => (result.sent ? [] : [index]))).toEqual([3]);
    expect(results[3]).toEqual({
      sent: false,
      failure: { code: 'InternalError', message: 'injected by the test proxy', senderFault: false },
    });
    expect(await drain()).toEqual(bodies(12, 'entry').flatMap(({ body }) => (body === 'entry-03' ? [] : [body])));
  });

  it('fails every entry of a call that fails, and no entry of the other calls', async () => {
    const inSecondCall = (request: { input: Record<string, unknown> }) =>
      (request.input.Entries as { MessageBody: string }[]).some((entry) => entry.MessageBody === 'call-10');
    proxy.inject((request) => (inSecondCall(request) ? { error: { status: 500, code: 'InternalError' } } : undefined));
    const results = await createBatchSender(client(1), proxy.viaProxy(queueUrl), { maxConcurrentCalls: 1 })(bodies(25, 'call'));
    expect(results.map((result) => result.sent)).toEqual([...Array(10).fill(true), ...Array(10).fill(false), ...Array(5).fill(true)]);
    expect(results[15]).toMatchObject({ sent: false, failure: { code: 'InternalError' } });
    expect(await drain()).toEqual(bodies(25, 'call').flatMap(({ body }, index) => (index >= 10 && index < 20 ? [] : [body])));
  });

  it('lets the SDK retry a throttled call, and fails its entries once the SDK gives up', async () => {
    const throttledCall = (request: { input: Record<string, unknown> }) =>
      (request.input.Entries as { MessageBody: string }[]).some((entry) => entry.MessageBody === 'hot-00');
    proxy.inject((request) =>
      throttledCall(request) ? { error: { status: 400, code: 'ThrottlingException', message: 'Rate exceeded' } } : undefined,
    );
    const results = await createBatchSender(client(3), proxy.viaProxy(queueUrl))([...bodies(10, 'hot'), ...bodies(3, 'cold')]);
    expect(proxy.requests.filter(throttledCall)).toHaveLength(3);
    expect(proxy.count('SendMessageBatch')).toBe(4);
    expect(results.slice(0, 10).every((result) => !result.sent && result.failure.code === 'ThrottlingException')).toBe(true);
    expect(results.slice(10).every((result) => result.sent)).toBe(true);
    expect(await drain()).toEqual(bodies(3, 'cold').map(({ body }) => body));
  });

  it('sends a throttled call that succeeds on the SDK’s retry', async () => {
    let throttles = 1;
    proxy.inject(() => (throttles-- > 0 ? { error: { status: 400, code: 'ThrottlingException' } } : undefined));
    const results = await createBatchSender(client(3), proxy.viaProxy(queueUrl))(bodies(4, 'retry'));
    expect(proxy.count('SendMessageBatch')).toBe(2);
    expect(results.every((result) => result.sent)).toBe(true);
    expect(await drain()).toEqual(bodies(4, 'retry').map(({ body }) => body));
  });
});
