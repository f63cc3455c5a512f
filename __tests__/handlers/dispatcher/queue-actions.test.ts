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

describe('createQueueActions with delivery lanes', () => {
  const lanes = {
    ...urls,
    laneQueueUrl: 'https://sqs.example/123/webhook-lane-{destination}-dev',
    laneDeadLetterQueueUrl: 'https://sqs.example/123/webhook-lanedlq-{destination}-dev',
  };
  const laneArn = (name: string) => `arn:aws:sqs:eu-west-1:123:${name}`;

  it("backs a lane's record off on its own lane, and a drained record on the shared queue", async () => {
    const { client, sent } = recordingClient();
    const actions = createQueueActions(client, lanes);
    await actions.delayRetry('h-lane', 30, laneArn('webhook-lane-crm-dev'));
    await actions.delayRetry('h-shared', 30, laneArn('deliver'));
    await actions.delayRetry('h-unknown', 30);
    expect(sent.map((command) => (command as ChangeMessageVisibilityCommand).input.QueueUrl)).toEqual([
      'https://sqs.example/123/webhook-lane-crm-dev',
      'https://sqs.example/123/deliver',
      urls.sourceQueueUrl,
    ]);
  });

  it("dead-letters a lane's record to its lane's DLQ, and one drained from the shared queue to the shared DLQ", async () => {
    const { client, sent } = recordingClient();
    const actions = createQueueActions(client, lanes);
    await actions.deadLetter('{}', 'destination-gone', 'crm', laneArn('webhook-lane-crm-dev'));
    await actions.deadLetter('{}', 'destination-gone', 'crm', laneArn('deliver'));
    // A record on another destination's lane (hand-moved) is not that lane's: the shared DLQ keeps it.
    await actions.deadLetter('{}', 'unknown-destination', 'gone', laneArn('webhook-lane-crm-dev'));
    expect(sent.map((command) => (command as SendMessageCommand).input.QueueUrl)).toEqual([
      'https://sqs.example/123/webhook-lanedlq-crm-dev',
      urls.deadLetterQueueUrl,
      urls.deadLetterQueueUrl,
    ]);
  });
});
