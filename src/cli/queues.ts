/**
 * The SQS calls behind `replay` and `dlq`: batched sends, receives that peek, deletes and
 * visibility changes. {@link QueueApi} is the seam unit tests fill.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { type AwsConfig, sdkClientConfig } from './lanes';

/** A message attribute as SQS takes it back on a send. */
export interface Attribute {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: Uint8Array;
}

export interface OutgoingMessage {
  /** Unique within one batch. */
  readonly id: string;
  readonly body: string;
  readonly attributes?: Readonly<Record<string, Attribute>>;
}

export interface ReceivedMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, Attribute>>;
  /** SentTimestamp, epoch milliseconds. */
  readonly sentAt: number;
  readonly receiveCount: number;
}

/** What a batch call did: the ids that succeeded, and why the others failed. */
export interface BatchResult {
  readonly ok: readonly string[];
  readonly failed: ReadonlyArray<{ readonly id: string; readonly reason: string }>;
}

export interface QueueApi {
  /** Up to 10 messages in one SendMessageBatch. */
  sendBatch(queueUrl: string, messages: readonly OutgoingMessage[]): Promise<BatchResult>;
  /** Up to 10 messages, hidden for `visibilitySeconds`, waiting at most `waitSeconds`. */
  receive(queueUrl: string, visibilitySeconds: number, waitSeconds: number): Promise<ReceivedMessage[]>;
  /** Up to 10 entries (id → receipt handle) in one DeleteMessageBatch. */
  deleteBatch(queueUrl: string, entries: ReadonlyArray<{ id: string; receiptHandle: string }>): Promise<BatchResult>;
  /** Up to 10 entries in one ChangeMessageVisibilityBatch. */
  changeVisibilityBatch(
    queueUrl: string,
    entries: ReadonlyArray<{ id: string; receiptHandle: string }>,
    seconds: number,
  ): Promise<BatchResult>;
  /** ApproximateNumberOfMessages: the visible ones. */
  visibleCount(queueUrl: string): Promise<number>;
  close(): void;
}

const results = (
  ids: readonly string[],
  response: { Successful?: { Id?: string }[]; Failed?: { Id?: string; Code?: string; Message?: string }[] },
): BatchResult => ({
  ok: (response.Successful ?? []).map((entry) => entry.Id ?? '').filter((id) => ids.includes(id)),
  failed: (response.Failed ?? []).map((entry) => ({
    id: entry.Id ?? '',
    reason: [entry.Code, entry.Message].filter(Boolean).join(': ') || 'failed',
  })),
});

const copyAttributes = (attributes: Record<string, MessageAttributeValue> | undefined): Record<string, Attribute> =>
  Object.fromEntries(
    Object.entries(attributes ?? {}).map(([name, value]) => [
      name,
      {
        DataType: value.DataType ?? 'String',
        ...(value.StringValue !== undefined ? { StringValue: value.StringValue } : {}),
        ...(value.BinaryValue !== undefined ? { BinaryValue: value.BinaryValue } : {}),
      },
    ]),
  );

export function awsQueueApi(config: AwsConfig): QueueApi {
  const sqs = new SQSClient(sdkClientConfig(config));
  return {
    sendBatch: async (queueUrl, messages) =>
      results(
        messages.map((m) => m.id),
        await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: messages.map((m) => ({
              Id: m.id,
              MessageBody: m.body,
              ...(m.attributes && Object.keys(m.attributes).length ? { MessageAttributes: { ...m.attributes } } : {}),
            })),
          }),
        ),
      ),
    receive: async (queueUrl, visibilitySeconds, waitSeconds) => {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: visibilitySeconds,
          WaitTimeSeconds: waitSeconds,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
        }),
      );
      return Messages.map((m) => ({
        messageId: m.MessageId ?? '',
        receiptHandle: m.ReceiptHandle ?? '',
        body: m.Body ?? '',
        attributes: copyAttributes(m.MessageAttributes),
        sentAt: Number(m.Attributes?.SentTimestamp ?? 0),
        receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 0),
      }));
    },
    deleteBatch: async (queueUrl, entries) =>
      results(
        entries.map((e) => e.id),
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: entries.map((e) => ({ Id: e.id, ReceiptHandle: e.receiptHandle })),
          }),
        ),
      ),
    changeVisibilityBatch: async (queueUrl, entries, seconds) =>
      results(
        entries.map((e) => e.id),
        await sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: entries.map((e) => ({ Id: e.id, ReceiptHandle: e.receiptHandle, VisibilityTimeout: seconds })),
          }),
        ),
      ),
    visibleCount: async (queueUrl) => {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
      );
      return Number(Attributes.ApproximateNumberOfMessages ?? 0);
    },
    close: () => sqs.destroy(),
  };
}

/** Splits `items` into chunks of `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Paces sends at `rate` messages per second: `wait(n)` before sending `n` messages resolves when
 * the messages sent so far plus these `n` have not outrun the rate since the first send.
 */
export function pacer(
  rate: number | undefined,
  now: () => number,
  sleep: (ms: number) => Promise<void>,
): { wait(n: number): Promise<void> } {
  let started: number | undefined;
  let sent = 0;
  return {
    wait: async (n) => {
      if (rate === undefined) return;
      if (started === undefined) started = now();
      const due = started + (sent / rate) * 1000;
      const delay = due - now();
      if (delay > 0) await sleep(delay);
      sent += n;
    },
  };
}
