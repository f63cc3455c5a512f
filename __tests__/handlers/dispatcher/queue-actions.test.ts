import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createQueueActions, MissingQueueUrlError } from '../../../src/handlers/dispatcher/queue-actions';

/** An SQS client that records the commands it is sent (the integration test runs them against moto). */
function recordingClient() {
  const sent: unknown[] = [];
  const client = { send: async (command: unknown) => (sent.push(command), {}) } as unknown as SQSClient;
  return { client, sent };
}

const urls = { sourceQueueUrl: 'https://sqs.example/deliver', deadLetterQueueUrl: 'https://sqs.example/deliver-dlq' };

describe('createQueueActions', () => {
  it('dead-letters the body unchanged with reason and destination attributes', async () => {
    const { client, sent } = recordingClient();
    await createQueueActions(client, urls).deadLetter('{"raw": 1 }', 'destination-gone', 'orders');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeInstanceOf(SendMessageCommand);
    expect((sent[0] as SendMessageCommand).input).toEqual({
      QueueUrl: urls.deadLetterQueueUrl,
      MessageBody: '{"raw": 1 }',
      MessageAttributes: {
        reason: { DataType: 'String', StringValue: 'destination-gone' },
        destination: { DataType: 'String', StringValue: 'orders' },
      },
    });
  });

  it('sets a received message’s visibility on the source queue', async () => {
    const { client, sent } = recordingClient();
    await createQueueActions(client, urls).delayRetry('handle-1', 300);
    expect(sent[0]).toBeInstanceOf(ChangeMessageVisibilityCommand);
    expect((sent[0] as ChangeMessageVisibilityCommand).input).toEqual({
      QueueUrl: urls.sourceQueueUrl,
      ReceiptHandle: 'handle-1',
      VisibilityTimeout: 300,
    });
  });

  it('fails, naming the variable, when a URL it needs is not configured', async () => {
    const { client, sent } = recordingClient();
    const actions = createQueueActions(client, { sourceQueueUrl: null, deadLetterQueueUrl: null });
    await expect(actions.deadLetter('{}', 'unknown-destination', 'x')).rejects.toThrow(new MissingQueueUrlError('DEAD_LETTER_QUEUE_URL'));
    await expect(actions.delayRetry('h', 1)).rejects.toThrow('SOURCE_QUEUE_URL is not set');
    expect(sent).toHaveLength(0);
  });
});
