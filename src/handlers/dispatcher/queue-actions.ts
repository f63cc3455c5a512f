import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { laneUrlOf } from '../shared/lane-sender';

/** Why a message was put on the DLQ by the dispatcher itself, in its `reason` attribute. */
export type DeadLetterReason = 'unknown-destination' | 'destination-gone';

/** The two queue calls the dispatcher makes besides the event source mapping's own. */
export interface QueueActions {
  /**
   * Puts the record's body, unchanged, on the DLQ of the queue it came from (its lane's, or the
   * shared deliver queue's) with `reason` and `destination` attributes, so a redrive replays
   * exactly the original message and an operator sees at once why it is there.
   */
  deadLetter(body: string, reason: DeadLetterReason, destination: string, eventSourceArn?: string): Promise<void>;
  /** Makes a received record invisible for `seconds` more, on the queue it came from: its retry's backoff. */
  delayRetry(receiptHandle: string, seconds: number, eventSourceArn?: string): Promise<void>;
}

export interface QueueUrls {
  /** The shared deliver queue, which drains deliveries queued before lanes. */
  readonly sourceQueueUrl: string | null;
  readonly deadLetterQueueUrl: string | null;
  /** Each destination's lane and its DLQ, with `{destination}` for its name. */
  readonly laneQueueUrl?: string | null;
  readonly laneDeadLetterQueueUrl?: string | null;
}

/** The dispatcher's configuration lacks a queue URL it needs now (possible only with no destination). */
export class MissingQueueUrlError extends Error {
  readonly reason = 'missing-queue-url';

  constructor(variable: string) {
    super(`${variable} is not set`);
    this.name = 'MissingQueueUrlError';
  }
}

/** The queue name in an SQS ARN (`arn:aws:sqs:<region>:<account>:<name>`). */
const queueNameOf = (arn: string | undefined) => (arn ? arn.split(':')[5] : undefined);

export function createQueueActions(sqs: SQSClient, urls: QueueUrls): QueueActions {
  const { sourceQueueUrl, deadLetterQueueUrl, laneQueueUrl = null, laneDeadLetterQueueUrl = null } = urls;
  /** Whether the record came from `destination`'s own lane rather than the shared deliver queue. */
  const fromLane = (destination: string, arn: string | undefined) =>
    laneQueueUrl !== null && queueNameOf(arn) !== undefined && laneUrlOf(laneQueueUrl, destination).endsWith(`/${queueNameOf(arn)}`);
  return {
    deadLetter: async (body, reason, destination, eventSourceArn) => {
      const lane = fromLane(destination, eventSourceArn);
      const url = lane && laneDeadLetterQueueUrl !== null ? laneUrlOf(laneDeadLetterQueueUrl, destination) : deadLetterQueueUrl;
      if (url === null) throw new MissingQueueUrlError(lane ? 'DELIVERY_LANE_DLQ_URL' : 'DEAD_LETTER_QUEUE_URL');
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: body,
          MessageAttributes: {
            reason: { DataType: 'String', StringValue: reason },
            destination: { DataType: 'String', StringValue: destination },
          },
        }),
      );
    },
    delayRetry: async (receiptHandle, seconds, eventSourceArn) => {
      // A lane's URL has the shared queue's form: the same endpoint and account, the lane's name.
      const name = queueNameOf(eventSourceArn);
      const base = laneQueueUrl ?? sourceQueueUrl;
      const url = name !== undefined && base !== null ? `${base.slice(0, base.lastIndexOf('/') + 1)}${name}` : sourceQueueUrl;
      if (url === null) throw new MissingQueueUrlError('SOURCE_QUEUE_URL');
      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }));
    },
  };
}
