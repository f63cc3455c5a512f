import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { randomBytes, randomUUID } from 'node:crypto';
import type { DeliveryEvent } from '../../../src/handlers/shared/delivery-event';
import { ARCHIVE_PREFIXES, type ArchivedAttempt } from '../../../src/history/archive-records';
import { type ArchiveStream, createArchiveStream } from '../../support/archive-stream';
import { type AwsClients, awsClients, createQueue, putSecureString } from '../../support/aws-resources';
import { lambdaContext } from '../../support/lambda-context';
import { type LoadedHandler, loadHandler } from '../../support/load-handler';
import { type MotoServer, startMoto } from '../../support/moto';
import { captureOutput, type CapturedOutput } from '../../support/output';
import { type Receiver, startReceiver } from '../../support/receiver';
import { receiveRecords, settleBatch, toSqsEvent } from '../../support/sqs-records';
import { type AwsFaultProxy, startFaultProxy } from '../shared/aws-fault-proxy';

/**
 * The dispatcher handler archiving its attempts (ARCHIVE_ATTEMPT_STREAM) on moto's SQS, SSM and
 * Firehose → S3, through the fault proxy: one line per attempt whatever its outcome, in one
 * PutRecordBatch per invocation, and a Firehose outage changes no record's outcome.
 */

jest.setTimeout(60_000);

const STREAM = 'webhook-history-attempts-test';
const SECRET_PARAMETER = '/webhook-pipeline/test/destinations/orders';

let moto: MotoServer;
let proxy: AwsFaultProxy;
let aws: AwsClients;
let receiver: Receiver;
let archive: ArchiveStream;
let output: CapturedOutput;
let deliverQueueUrl: string;
let deadLetterQueueUrl: string;

const dispatcherEnv = (overrides: Record<string, string | undefined> = {}) => ({
  AWS_ENDPOINT_URL: proxy.endpoint,
  AWS_MAX_ATTEMPTS: '1',
  DELIVERY_DESTINATIONS: JSON.stringify({
    orders: { url: `${receiver.url}/orders`, secretParameter: SECRET_PARAMETER },
    flaky: { url: `${receiver.url}/flaky`, secretParameter: SECRET_PARAMETER },
    gone: { url: `${receiver.url}/gone`, secretParameter: SECRET_PARAMETER },
    unsigned: { url: `${receiver.url}/unsigned`, secretParameter: '/webhook-pipeline/test/absent' },
  }),
  DELIVERY_RETRY_SCHEDULE: '[2]',
  SOURCE_QUEUE_URL: proxy.viaProxy(deliverQueueUrl),
  DEAD_LETTER_QUEUE_URL: proxy.viaProxy(deadLetterQueueUrl),
  DELIVERY_TIMEOUT_MS: '2000',
  ARCHIVE_ATTEMPT_STREAM: STREAM,
  POWERTOOLS_LOG_LEVEL: 'INFO',
  AWS_LAMBDA_LOG_LEVEL: undefined,
  ...overrides,
});

const event = (id: string, destination: string, overrides: Partial<DeliveryEvent> = {}): DeliveryEvent => ({
  version: 2,
  destination,
  id,
  source: 'shop',
  type: 'orders/create',
  receivedAt: '2026-01-01T00:00:00.000Z',
  processedAt: '2026-01-01T00:00:01.000Z',
  requestId: `req-${id}`,
  body: JSON.stringify({ id, total: '10.00' }),
  ...overrides,
});

async function invoke(handler: LoadedHandler, events: readonly DeliveryEvent[]) {
  const messageIds: string[] = [];
  for (const body of events) {
    messageIds.push(
      (await aws.sqs.send(new SendMessageCommand({ QueueUrl: deliverQueueUrl, MessageBody: JSON.stringify(body) }))).MessageId!,
    );
  }
  const received = await receiveRecords(aws.sqs, deliverQueueUrl, { count: events.length, visibilityTimeoutSeconds: 60 });
  const byId = new Map(received.map((record) => [record.messageId, record]));
  const records = messageIds.map((id) => byId.get(id)!);
  const response: SQSBatchResponse = await handler(toSqsEvent(records), lambdaContext('dispatcher'));
  await settleBatch(aws.sqs, deliverQueueUrl, records, response);
  return { messageIds, response };
}

/** The attempt lines of deliveries whose ids start with `prefix`, by delivery id and attempt. */
const archived = async (prefix: string) =>
  ((await archive.records()) as ArchivedAttempt[])
    .filter((line) => line.delivery_id.startsWith(prefix))
    .sort((a, b) => a.delivery_id.localeCompare(b.delivery_id) || a.attempt - b.attempt);

const attemptLine = (id: string, destination: string, fields: Partial<ArchivedAttempt>): ArchivedAttempt => ({
  v: 1,
  kind: 'attempt',
  webhook_id: `shop:${id}`,
  source: 'shop',
  delivery_id: id,
  event_type: 'orders/create',
  destination,
  attempt: 1,
  outcome: 'delivered',
  last: false,
  status: 200,
  reason: null,
  duration_ms: expect.any(Number) as unknown as number,
  at: expect.any(String) as unknown as string,
  replay_id: null,
  ...fields,
});

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startFaultProxy(moto.endpoint);
  aws = awsClients(moto.endpoint);
  await putSecureString(aws.ssm, SECRET_PARAMETER, `whsec_${randomBytes(32).toString('base64')}`);
  receiver = await startReceiver();
  archive = await createArchiveStream(moto.endpoint, {
    streamName: STREAM,
    bucket: 'webhook-history-dispatcher-test',
    prefix: ARCHIVE_PREFIXES.attempt,
  });
});

afterAll(async () => {
  await receiver?.close();
  if (aws) Object.values(aws).forEach((client) => client.destroy());
  await proxy?.close();
  await moto?.stop();
});

beforeEach(async () => {
  const suffix = randomUUID().slice(0, 8);
  deadLetterQueueUrl = await createQueue(aws.sqs, `webhook-deliver-dlq-${suffix}`);
  deliverQueueUrl = await createQueue(aws.sqs, `webhook-deliver-${suffix}`);
  proxy.reset();
  receiver.reset();
  receiver.answer((request) => ({ status: request.path === '/flaky' ? 503 : request.path === '/gone' ? 410 : 200 }));
  output = captureOutput();
});
afterEach(() => output?.restore());

describe('dispatcher: the attempt archive', () => {
  it('archives every attempt of a batch, each outcome as such, in one PutRecordBatch once the records settled', async () => {
    const handler = loadHandler('dispatcher', dispatcherEnv());
    const replay = event('a-replay', 'orders', { webhookId: 'shop:a-replay:replay-rp_1', replayId: 'rp_1' });
    const { response, messageIds } = await invoke(handler, [
      event('a-delivered', 'orders'),
      event('a-flaky', 'flaky'),
      event('a-gone', 'gone'),
      event('a-retired', 'retired'),
      event('a-unsigned', 'unsigned'),
      replay,
    ]);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: messageIds[1] }, { itemIdentifier: messageIds[4] }] });
    expect(proxy.count('PutRecordBatch')).toBe(1);
    // The record's own SQS calls (a DLQ move, a retry's visibility) come before the flush.
    expect(proxy.requests.at(-1)!.operation).toBe('PutRecordBatch');

    const lines = await archived('a-');
    expect(lines).toEqual([
      attemptLine('a-delivered', 'orders', {}),
      attemptLine('a-flaky', 'flaky', { outcome: 'failed', status: 503, reason: 'http-503' }),
      attemptLine('a-gone', 'gone', { outcome: 'gone', status: 410, reason: 'http-410' }),
      attemptLine('a-replay', 'orders', { webhook_id: 'shop:a-replay:replay-rp_1', replay_id: 'rp_1' }),
      attemptLine('a-retired', 'retired', {
        outcome: 'unknown-destination',
        status: null,
        reason: 'unknown-destination',
        duration_ms: null,
      }),
      attemptLine('a-unsigned', 'unsigned', { outcome: 'failed', status: null, reason: 'missing-secret', duration_ms: null }),
    ]);
    for (const line of lines) {
      expect(Math.abs(Date.parse(line.at) - Date.now())).toBeLessThan(30_000);
      if (line.duration_ms !== null) expect(line.duration_ms).toBeGreaterThanOrEqual(0);
    }
    expect(output.metricValues('ArchiveWriteFailed')).toEqual([]);
    // The delivered attempts' only INFO line is the invocation's summary.
    expect(
      output
        .logs()
        .filter((line) => line.level === 'INFO')
        .map((line) => line.message),
    ).toEqual(['Events delivered']);
  });

  it('archives the retry of a failed delivery as its next attempt, and the last one as last', async () => {
    const handler = loadHandler('dispatcher', dispatcherEnv());
    const first = await invoke(handler, [event('b-1', 'flaky')]);
    expect(first.response.batchItemFailures).toHaveLength(1);
    // The retry's 2 s backoff: receive it again once visible.
    const [retried] = await receiveRecords(aws.sqs, deliverQueueUrl, { count: 1, visibilityTimeoutSeconds: 60 });
    expect(retried!.attributes.ApproximateReceiveCount).toBe('2');
    await handler(toSqsEvent([retried!]), lambdaContext('dispatcher'));
    expect(await archived('b-')).toEqual([
      attemptLine('b-1', 'flaky', { attempt: 1, last: false, outcome: 'failed', status: 503, reason: 'http-503' }),
      attemptLine('b-1', 'flaky', { attempt: 2, last: true, outcome: 'failed', status: 503, reason: 'http-503' }),
    ]);
  });

  it('changes no record’s outcome when Firehose is down, and says which attempts were lost', async () => {
    const handler = loadHandler('dispatcher', dispatcherEnv());
    proxy.inject((request) =>
      request.operation === 'PutRecordBatch' ? { error: { status: 400, code: 'AccessDeniedException' } } : undefined,
    );
    const { response, messageIds } = await invoke(handler, [event('c-1', 'orders'), event('c-2', 'flaky')]);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: messageIds[1] }] });
    expect(receiver.requests.map((request) => request.headers['webhook-id']).sort()).toEqual(['shop:c-1', 'shop:c-2']);
    expect(await archived('c-')).toEqual([]);
    expect(output.logs().filter((line) => line.reason === 'archive-write-failed')).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        stream: STREAM,
        lines: 2,
        reasons: { AccessDeniedException: 2 },
        webhookIds: expect.arrayContaining(['shop:c-1', 'shop:c-2']),
        destinations: expect.arrayContaining(['orders', 'flaky']),
      }),
    ]);
    expect(output.metricValues('ArchiveWriteFailed').map(({ value }) => value)).toEqual([2]);
  });

  it('makes no Firehose call with the archive off', async () => {
    const handler = loadHandler('dispatcher', dispatcherEnv({ ARCHIVE_ATTEMPT_STREAM: undefined }));
    await invoke(handler, [event('d-1', 'orders')]);
    expect(proxy.count('PutRecordBatch')).toBe(0);
    expect(await archived('d-')).toEqual([]);
  });
});
