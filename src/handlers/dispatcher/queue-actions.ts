import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** Why a message was put on the DLQ by the dispatcher itself, in its `reason` attribute. */
export type DeadLetterReason = 'unknown-destination' | 'destination-gone';

/** The two queue calls the dispatcher makes besides the event source mapping's own. */
export interface QueueActions {
  /**
   * Puts the record's body, unchanged, on the DLQ with `reason` and `destination` attributes, so a
   * redrive replays exactly the original message and an operator sees at once why it is there.
   */
  deadLetter(body: string, reason: DeadLetterReason, destination: string): Promise<void>;
  /** Makes a received record invisible for `seconds` more: its retry's backoff. */
  delayRetry(receiptHandle: string, seconds: number): Promise<void>;
}

export interface QueueUrls {
  readonly sourceQueueUrl: string | null;
  readonly deadLetterQueueUrl: string | null;
}

/** The dispatcher's configuration lacks a queue URL it needs now (possible only with no destination). */
export class MissingQueueUrlError extends Error {
  readonly reason = 'missing-queue-url';

  constructor(variable: string) {
    super(`${variable} is not set`);
    this.name = 'MissingQueueUrlError';
  }
}

export function createQueueActions(sqs: SQSClient, { sourceQueueUrl, deadLetterQueueUrl }: QueueUrls): QueueActions {
  return {
    deadLetter: async (body, reason, destination) => {
      if (deadLetterQueueUrl === null) throw new MissingQueueUrlError('DEAD_LETTER_QUEUE_URL');
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: deadLetterQueueUrl,
          MessageBody: body,
          MessageAttributes: {
            reason: { DataType: 'String', StringValue: reason },
            destination: { DataType: 'String', StringValue: destination },
          },
        }),
      );
    },
    delayRetry: async (receiptHandle, seconds) => {
      if (sourceQueueUrl === null) throw new MissingQueueUrlError('SOURCE_QUEUE_URL');
      await sqs.send(
        new ChangeMessageVisibilityCommand({ QueueUrl: sourceQueueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }),
      );
    },
  };
}
