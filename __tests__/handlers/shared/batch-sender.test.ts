import { type SendMessageBatchCommandInput, type SendMessageBatchCommandOutput, SQSClient } from '@aws-sdk/client-sqs';
import {
  createBatchSender,
  MAX_BATCH_BYTES,
  MAX_BATCH_ENTRIES,
  MESSAGE_TOO_LARGE,
  messageBytes,
  type OutgoingMessage,
  planBatches,
} from '../../../src/handlers/shared/batch-sender';

/**
 * An SQS client whose requests never leave the process: a middleware answers each
 * SendMessageBatch from `answer` (or throws what it returns), so the sender's packing and its
 * mapping of results back to messages are tested without an endpoint. The moto-backed suite,
 * batch-sender.int.test.ts, covers the real wire and the SDK's retries.
 */
function stubbedSqs(
  answer: (input: SendMessageBatchCommandInput, call: number) => Partial<SendMessageBatchCommandOutput> | Error | Promise<unknown>,
) {
  const client = new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const calls: SendMessageBatchCommandInput[] = [];
  client.middlewareStack.add(
    () => async (args) => {
      const input = args.input as SendMessageBatchCommandInput;
      calls.push(input);
      const result = await answer(input, calls.length - 1);
      if (result instanceof Error) throw result;
      return { output: { $metadata: {}, ...(result as object) }, response: {} };
    },
    { step: 'initialize', name: 'answerFromStub' },
  );
  return { client, calls };
}

const allSucceed = (input: SendMessageBatchCommandInput) => ({
  Successful: (input.Entries ?? []).map((entry) => ({ Id: entry.Id, MessageId: `m-${entry.MessageBody}`, MD5OfMessageBody: '' })),
  Failed: [],
});

const small = (count: number, prefix = 'msg'): OutgoingMessage[] =>
  Array.from({ length: count }, (_, index) => ({ body: `${prefix}-${index}` }));
const QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/next';

describe('messageBytes', () => {
  it('counts the body’s UTF-8 bytes and each attribute’s name, type and value', () => {
    expect(messageBytes({ body: 'é' })).toBe(2);
    expect(
      messageBytes({
        body: 'ab',
        attributes: {
          k: { DataType: 'String', StringValue: 'vv' },
          b: { DataType: 'Binary', BinaryValue: new Uint8Array(5) },
          n: {} as never,
        },
      }),
    ).toBe(2 + (1 + 6 + 2) + (1 + 6 + 5) + 1);
  });
});

describe('planBatches', () => {
  it('puts at most ten entries in a call, in order', () => {
    expect(planBatches(small(25)).calls).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      [10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
      [20, 21, 22, 23, 24],
    ]);
    expect(MAX_BATCH_ENTRIES).toBe(10);
  });

  it('splits by size: ten 100 KB bodies take five calls of two', () => {
    const messages = Array.from({ length: 10 }, (_, index) => ({ body: String(index).repeat(100_000) }));
    const { calls, oversize } = planBatches(messages);
    expect(calls).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
      [6, 7],
      [8, 9],
    ]);
    expect(oversize).toEqual([]);
    expect(MAX_BATCH_BYTES).toBe(262_144);
  });

  it('fills a call up to exactly the limit, and sets aside only a message larger than the limit alone', () => {
    const exact = { body: 'x'.repeat(MAX_BATCH_BYTES - 10) };
    const tooLarge = { body: 'y'.repeat(MAX_BATCH_BYTES + 1) };
    const { calls, oversize } = planBatches([
      { body: '0123456789' },
      exact,
      tooLarge,
      { body: 'z' },
      { body: 'x'.repeat(MAX_BATCH_BYTES) },
    ]);
    expect(calls).toEqual([[0, 1], [3], [4]]);
    expect(oversize).toEqual([2]);
  });

  it('plans nothing for no messages', () => {
    expect(planBatches([])).toEqual({ calls: [], oversize: [] });
  });
});

describe('createBatchSender', () => {
  it('sends each call’s entries with positional ids and maps results back to the messages', async () => {
    const { client, calls } = stubbedSqs(allSucceed);
    const results = await createBatchSender(client, QUEUE)(small(12));
    expect(calls.map((call) => call.Entries?.map((entry) => entry.Id))).toEqual([
      ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      ['0', '1'],
    ]);
    expect(calls.every((call) => call.QueueUrl === QUEUE)).toBe(true);
    expect(results.map((result) => result.sent && result.messageId)).toEqual(small(12).map(({ body }) => `m-${body}`));
  });

  it('passes message attributes through, and leaves them out when there are none', async () => {
    const { client, calls } = stubbedSqs(allSucceed);
    await createBatchSender(
      client,
      QUEUE,
    )([
      { body: 'a', attributes: { kind: { DataType: 'String', StringValue: 'x' } } },
      { body: 'b', attributes: {} },
    ]);
    expect(calls[0]?.Entries).toEqual([
      { Id: '0', MessageBody: 'a', MessageAttributes: { kind: { DataType: 'String', StringValue: 'x' } } },
      { Id: '1', MessageBody: 'b' },
    ]);
  });

  it('fails exactly the entries SQS lists in Failed[], and any entry the response leaves out', async () => {
    const { client } = stubbedSqs((input) => {
      const [first, second, ...rest] = input.Entries ?? [];
      return {
        Successful: rest.map((entry) => ({ Id: entry.Id, MessageId: 'ok', MD5OfMessageBody: '' })),
        Failed: [{ Id: first?.Id, Code: 'InvalidMessageContents', Message: 'bad char', SenderFault: true }, { Id: second?.Id } as never],
      };
    });
    const results = await createBatchSender(client, QUEUE)(small(3));
    expect(results).toEqual([
      { sent: false, failure: { code: 'InvalidMessageContents', message: 'bad char', senderFault: true } },
      { sent: false, failure: { code: 'Unknown', message: '', senderFault: false } },
      { sent: true, messageId: 'ok' },
    ]);

    const { client: silent } = stubbedSqs(() => ({ Successful: [{ Id: '1', MessageId: 'one', MD5OfMessageBody: '' }] }));
    const partial = await createBatchSender(silent, QUEUE)(small(2));
    expect(partial[0]).toMatchObject({ sent: false, failure: { code: 'MissingResult' } });
    expect(partial[1]).toEqual({ sent: true, messageId: 'one' });
  });

  it('fails every entry of a call that throws, and only those', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client' });
    const { client } = stubbedSqs((input, call) => (call === 1 ? throttled : allSucceed(input)));
    const results = await createBatchSender(client, QUEUE, { maxConcurrentCalls: 1 })(small(25));
    expect(results.map((result) => result.sent)).toEqual([...Array(10).fill(true), ...Array(10).fill(false), ...Array(5).fill(true)]);
    expect(results[10]).toEqual({ sent: false, failure: { code: 'ThrottlingException', message: 'Rate exceeded', senderFault: true } });

    const { client: odd } = stubbedSqs(() => Promise.reject('not an error'));
    expect(await createBatchSender(odd, QUEUE)(small(1))).toEqual([
      { sent: false, failure: { code: 'Unknown', message: 'not an error', senderFault: false } },
    ]);
    const { client: server } = stubbedSqs(() => Object.assign(new Error('boom'), { name: 'InternalError', $fault: 'server' }));
    expect((await createBatchSender(server, QUEUE)(small(1)))[0]).toMatchObject({ failure: { senderFault: false } });
  });

  it('never sends a message over the limit, failing only that one', async () => {
    const { client, calls } = stubbedSqs(allSucceed);
    const results = await createBatchSender(client, QUEUE, { maxBatchBytes: 100 })([
      { body: 'a' },
      { body: 'b'.repeat(101) },
      { body: 'c' },
    ]);
    expect(calls.map((call) => call.Entries?.map((entry) => entry.MessageBody))).toEqual([['a', 'c']]);
    expect(results.map((result) => result.sent)).toEqual([true, false, true]);
    expect(results[1]).toEqual({
      sent: false,
      failure: { code: MESSAGE_TOO_LARGE, message: 'message is 101 bytes, limit 100', senderFault: true },
    });
  });

  it('runs at most maxConcurrentCalls calls at once, and makes no call for no messages', async () => {
    let inFlight = 0;
    let most = 0;
    const { client, calls } = stubbedSqs(async (input) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
      return allSucceed(input);
    });
    const results = await createBatchSender(client, QUEUE, { maxConcurrentCalls: 2 })(small(55));
    expect(calls).toHaveLength(6);
    expect(most).toBe(2);
    expect(results.every((result) => result.sent)).toBe(true);

    expect(await createBatchSender(client, QUEUE)([])).toEqual([]);
    expect(calls).toHaveLength(6);
  });
});
