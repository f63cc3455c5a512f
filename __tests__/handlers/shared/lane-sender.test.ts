import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createLaneSender, laneUrlOf } from '../../../src/handlers/shared/lane-sender';

const TEMPLATE = 'https://sqs.example/123/webhook-lane-{destination}-dev';

/** Answers every SendMessageBatch with success, recording the queue and entries (the processor's int test runs it on moto). */
function recordingClient() {
  const calls: { queue: string; bodies: string[] }[] = [];
  const client = {
    send: async (command: SendMessageBatchCommand) => {
      const { QueueUrl, Entries } = command.input;
      calls.push({ queue: QueueUrl!, bodies: Entries!.map((entry) => entry.MessageBody!) });
      return { Successful: Entries!.map((entry) => ({ Id: entry.Id, MessageId: `${QueueUrl}#${entry.MessageBody}` })), Failed: [] };
    },
  } as unknown as SQSClient;
  return { client, calls };
}

describe('createLaneSender', () => {
  it('fills the destination into the template', () => {
    expect(laneUrlOf(TEMPLATE, 'crm')).toBe('https://sqs.example/123/webhook-lane-crm-dev');
    expect(laneUrlOf('https://sqs.example/123/deliver', 'crm')).toBe('https://sqs.example/123/deliver');
  });

  it('sends each message to its lane, one batch per lane, and answers in the order given', async () => {
    const { client, calls } = recordingClient();
    const send = createLaneSender(client, TEMPLATE);
    const results = await send([
      { body: 'a1', lane: 'a' },
      { body: 'b1', lane: 'b' },
      { body: 'a2', lane: 'a' },
    ]);
    expect(calls.sort((x, y) => x.queue.localeCompare(y.queue))).toEqual([
      { queue: 'https://sqs.example/123/webhook-lane-a-dev', bodies: ['a1', 'a2'] },
      { queue: 'https://sqs.example/123/webhook-lane-b-dev', bodies: ['b1'] },
    ]);
    expect(results).toEqual([
      { sent: true, messageId: 'https://sqs.example/123/webhook-lane-a-dev#a1' },
      { sent: true, messageId: 'https://sqs.example/123/webhook-lane-b-dev#b1' },
      { sent: true, messageId: 'https://sqs.example/123/webhook-lane-a-dev#a2' },
    ]);
  });

  it("without lanes (a plain queue URL) sends every destination's messages in the same calls, as before lanes", async () => {
    const { client, calls } = recordingClient();
    await createLaneSender(
      client,
      'https://sqs.example/123/deliver',
    )([
      { body: 'a1', lane: 'a' },
      { body: 'b1', lane: 'b' },
    ]);
    expect(calls).toEqual([{ queue: 'https://sqs.example/123/deliver', bodies: ['a1', 'b1'] }]);
  });

  it('fails a message that names no lane, alone', async () => {
    const { client, calls } = recordingClient();
    const results = await createLaneSender(client, TEMPLATE)([{ body: 'x' }, { body: 'y', lane: 'a' }]);
    expect(results[0]).toEqual({
      sent: false,
      failure: { code: 'MissingLane', message: 'the message names no delivery lane', senderFault: true },
    });
    expect(results[1]).toMatchObject({ sent: true });
    expect(calls).toHaveLength(1);
  });
});
