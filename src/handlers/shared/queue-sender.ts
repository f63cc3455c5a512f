import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** Sends a JSON message to one queue and resolves to its SQS message id. */
export type QueueSender = (message: object) => Promise<string | undefined>;

export function createQueueSender(sqs: SQSClient, queueUrl: string): QueueSender {
  return async (message) => {
    const result = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message) }));
    return result.MessageId;
  };
}
