import {
  type MessageAttributeValue,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/** SQS takes at most ten entries in one SendMessageBatch call. */
export const MAX_BATCH_ENTRIES = 10;

/**
 * The most message bytes (bodies plus attributes) one SendMessageBatch call may carry, and so the
 * largest single message this sender will send, unless told the queue's own limit
 * (`maxBatchBytes`, from MAX_MESSAGE_BYTES): 256 KiB, SQS's classic limit. SQS's 1 MiB message
 * limit is also its SendMessageBatch limit.
 */
export const MAX_BATCH_BYTES = 262_144;

/** Calls in flight at once for one {@link BatchSender} invocation. */
export const DEFAULT_MAX_CONCURRENT_CALLS = 4;

/** One message to send. */
export interface OutgoingMessage {
  readonly body: string;
  readonly attributes?: Readonly<Record<string, MessageAttributeValue>>;
  /** The destination whose delivery lane it goes to, for a sender over several lanes (`createLaneSender`). */
  readonly lane?: string;
}

/** Why one message was not sent: SQS's per-entry error, the call's error, or our own size check. */
export interface SendFailure {
  /** SQS's error code (`Failed[].Code`), the thrown error's name, or {@link MESSAGE_TOO_LARGE}. */
  readonly code: string;
  readonly message: string;
  /** True when SQS blames the request (retrying the same message cannot succeed). */
  readonly senderFault: boolean;
}

export type SendResult =
  { readonly sent: true; readonly messageId: string | undefined } | { readonly sent: false; readonly failure: SendFailure };

/**
 * Sends messages to one queue and resolves to one result per message, in the order given. It
 * never rejects: a call that throws (after the SDK's own retries, throttling included) fails each
 * of its entries, so the caller decides, message by message, what failed.
 */
export type BatchSender = (messages: readonly OutgoingMessage[]) => Promise<SendResult[]>;

export interface BatchSenderOptions {
  /** @default MAX_BATCH_BYTES */
  readonly maxBatchBytes?: number;
  /** @default DEFAULT_MAX_CONCURRENT_CALLS */
  readonly maxConcurrentCalls?: number;
}

/** The code of a message larger than {@link MAX_BATCH_BYTES} alone: it is never sent. */
export const MESSAGE_TOO_LARGE = 'MessageTooLarge';

/**
 * A message's size as SQS counts it against the batch limit: the body's UTF-8 bytes plus, for each
 * attribute, its name, its data type and its value.
 */
export function messageBytes(message: OutgoingMessage): number {
  let bytes = Buffer.byteLength(message.body, 'utf8');
  for (const [name, attribute] of Object.entries(message.attributes ?? {})) {
    bytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(attribute.DataType ?? '', 'utf8');
    if (attribute.StringValue !== undefined) bytes += Buffer.byteLength(attribute.StringValue, 'utf8');
    if (attribute.BinaryValue !== undefined) bytes += attribute.BinaryValue.byteLength;
  }
  return bytes;
}

export interface BatchPlan {
  /** Indexes into the messages, one array per SendMessageBatch call, in order. */
  readonly calls: readonly (readonly number[])[];
  /** Indexes of messages too large to send even alone. */
  readonly oversize: readonly number[];
}

/**
 * Packs messages, in order, into calls of at most {@link MAX_BATCH_ENTRIES} entries and
 * `maxBatchBytes` bytes: a call is closed when the next message would overflow it. Order is kept
 * so that one record's messages stay together where they fit.
 */
export function planBatches(messages: readonly OutgoingMessage[], maxBatchBytes = MAX_BATCH_BYTES): BatchPlan {
  const calls: number[][] = [];
  const oversize: number[] = [];
  let current: number[] = [];
  let currentBytes = 0;
  messages.forEach((message, index) => {
    const bytes = messageBytes(message);
    if (bytes > maxBatchBytes) {
      oversize.push(index);
      return;
    }
    if (current.length === MAX_BATCH_ENTRIES || currentBytes + bytes > maxBatchBytes) {
      calls.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(index);
    currentBytes += bytes;
  });
  if (current.length > 0) calls.push(current);
  return { calls, oversize };
}

/**
 * A {@link BatchSender} for `queueUrl`. Calls run concurrently, at most `maxConcurrentCalls` at a
 * time; each entry's `Id` is its position in its call, which maps `Successful[]` and `Failed[]`
 * back to the message. An entry the response names in neither list counts as failed.
 */
export function createBatchSender(sqs: SQSClient, queueUrl: string, options: BatchSenderOptions = {}): BatchSender {
  const maxBatchBytes = options.maxBatchBytes ?? MAX_BATCH_BYTES;
  const maxConcurrentCalls = Math.max(1, options.maxConcurrentCalls ?? DEFAULT_MAX_CONCURRENT_CALLS);

  const sendCall = async (messages: readonly OutgoingMessage[], indexes: readonly number[], results: SendResult[]) => {
    const entries: SendMessageBatchRequestEntry[] = indexes.map((index, position) => {
      const message = messages[index] as OutgoingMessage;
      return {
        Id: String(position),
        MessageBody: message.body,
        ...(message.attributes && Object.keys(message.attributes).length > 0 ? { MessageAttributes: { ...message.attributes } } : {}),
      };
    });
    try {
      const response = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      const byId = new Map<string, SendResult>();
      for (const entry of response.Successful ?? []) byId.set(entry.Id ?? '', { sent: true, messageId: entry.MessageId });
      for (const entry of response.Failed ?? []) {
        byId.set(entry.Id ?? '', {
          sent: false,
          failure: { code: entry.Code ?? 'Unknown', message: entry.Message ?? '', senderFault: entry.SenderFault === true },
        });
      }
      indexes.forEach((index, position) => {
        results[index] = byId.get(String(position)) ?? {
          sent: false,
          failure: {
            code: 'MissingResult',
            message: 'SendMessageBatch reported neither success nor failure for this entry',
            senderFault: false,
          },
        };
      });
    } catch (error) {
      const failure = callFailure(error);
      for (const index of indexes) results[index] = { sent: false, failure };
    }
  };

  return async (messages) => {
    const results: SendResult[] = new Array<SendResult>(messages.length);
    const { calls, oversize } = planBatches(messages, maxBatchBytes);
    for (const index of oversize) {
      const bytes = messageBytes(messages[index] as OutgoingMessage);
      results[index] = {
        sent: false,
        failure: { code: MESSAGE_TOO_LARGE, message: `message is ${bytes} bytes, limit ${maxBatchBytes}`, senderFault: true },
      };
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < calls.length) {
        const call = calls[next++] as readonly number[];
        await sendCall(messages, call, results);
      }
    };
    await Promise.all(Array.from({ length: Math.min(maxConcurrentCalls, calls.length) }, worker));
    return results;
  };
}

function callFailure(error: unknown): SendFailure {
  if (error instanceof Error) {
    const fault = (error as Error & { $fault?: unknown }).$fault;
    return { code: error.name, message: error.message, senderFault: fault === 'client' };
  }
  return { code: 'Unknown', message: String(error), senderFault: false };
}
