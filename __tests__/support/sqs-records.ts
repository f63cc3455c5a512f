import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { createHash, randomUUID } from 'node:crypto';

/**
 * Turning SQS messages into Lambda SQS events the way an event source mapping does, so handlers
 * can be run against real queues (moto or a deployed stack) with the ESM's semantics:
 * receive → invoke → delete what did not fail → the rest reappears after its visibility timeout.
 */

/** Shapes one received message as the ESM would put it in an `SQSEvent`. */
export function toSqsRecord(message: Message, queueArn: string): SQSRecord {
  const system = message.Attributes ?? {};
  return {
    messageId: required(message.MessageId, 'MessageId'),
    receiptHandle: required(message.ReceiptHandle, 'ReceiptHandle'),
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: system.ApproximateReceiveCount ?? '1',
      SentTimestamp: required(system.SentTimestamp, 'SentTimestamp attribute (receive with MessageSystemAttributeNames All)'),
      SenderId: system.SenderId ?? 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: system.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...(system.AWSTraceHeader ? { AWSTraceHeader: system.AWSTraceHeader } : {}),
      ...(system.DeadLetterQueueSourceArn ? { DeadLetterQueueSourceArn: system.DeadLetterQueueSourceArn } : {}),
    },
    messageAttributes: toLambdaAttributes(message.MessageAttributes ?? {}),
    md5OfBody: message.MD5OfBody ?? md5(message.Body ?? ''),
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: queueArn.split(':')[3] ?? 'us-east-1',
  };
}

export function toSqsEvent(records: readonly SQSRecord[]): SQSEvent {
  return { Records: [...records] };
}

export interface ReceiveOptions {
  /** Stop once this many records have arrived. */
  readonly count: number;
  /** Give up (and throw) after this long. */
  readonly timeoutMs?: number;
  /** How long received messages stay invisible to other consumers. */
  readonly visibilityTimeoutSeconds?: number;
}

/**
 * Receives exactly `count` records (fewer if the queue holds fewer when time runs out, in which
 * case it throws, saying how many arrived).
 */
export async function receiveRecords(sqs: SQSClient, queueUrl: string, options: ReceiveOptions): Promise<SQSRecord[]> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  const queueArn = await queueArnOf(sqs, queueUrl);
  const records: SQSRecord[] = [];
  while (records.length < options.count) {
    if (Date.now() > deadline) {
      throw new Error(`received ${records.length} of ${options.count} messages from ${queueUrl} within ${timeoutMs} ms`);
    }
    records.push(...(await receiveOnce(sqs, queueUrl, queueArn, options.count - records.length, options.visibilityTimeoutSeconds)));
  }
  return records;
}

/**
 * Receives until one poll of `waitSeconds` comes back empty: everything the queue holds now.
 * Use it to assert that nothing (or exactly something) was forwarded.
 */
export async function receiveAll(
  sqs: SQSClient,
  queueUrl: string,
  options: { waitSeconds?: number; visibilityTimeoutSeconds?: number; maxRecords?: number } = {},
): Promise<SQSRecord[]> {
  const queueArn = await queueArnOf(sqs, queueUrl);
  const maxRecords = options.maxRecords ?? 100;
  const records: SQSRecord[] = [];
  while (records.length < maxRecords) {
    const batch = await receiveOnce(sqs, queueUrl, queueArn, 10, options.visibilityTimeoutSeconds, options.waitSeconds ?? 1);
    if (batch.length === 0) break;
    records.push(...batch);
  }
  return records;
}

export interface SettleOptions {
  /**
   * Make failed records visible again at once instead of after their visibility timeout, to
   * run several receive cycles (e.g. up to maxReceiveCount) quickly.
   */
  readonly releaseFailures?: boolean;
}

/**
 * Does what the ESM does after an invocation that returned `response`: deletes every record not
 * listed in `batchItemFailures`.
 */
export async function settleBatch(
  sqs: SQSClient,
  queueUrl: string,
  records: readonly SQSRecord[],
  response: SQSBatchResponse,
  options: SettleOptions = {},
): Promise<void> {
  const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
  const succeeded = records.filter((record) => !failed.has(record.messageId));
  const failures = records.filter((record) => failed.has(record.messageId));
  for (const chunk of chunks(succeeded, 10)) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })),
      }),
    );
  }
  if (!options.releaseFailures) return;
  for (const chunk of chunks(failures, 10)) {
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle, VisibilityTimeout: 0 })),
      }),
    );
  }
}

export interface HandBuiltRecord {
  readonly body: string;
  /** String message attributes by name. */
  readonly messageAttributes?: Readonly<Record<string, string>>;
  /** Epoch millis; omitted → now. Pass `null` to leave the attribute out. */
  readonly sentTimestamp?: number | null;
  readonly messageId?: string;
  /** SQS's receive count (the attempt number); 1 by default. */
  readonly receiveCount?: number;
}

/** A record that never saw a queue, for unit tests. */
export function buildSqsRecord(input: HandBuiltRecord): SQSRecord {
  const sentTimestamp = input.sentTimestamp === undefined ? Date.now() : input.sentTimestamp;
  return {
    messageId: input.messageId ?? randomUUID(),
    receiptHandle: randomUUID(),
    body: input.body,
    attributes: {
      ApproximateReceiveCount: String(input.receiveCount ?? 1),
      SentTimestamp: sentTimestamp === null ? (undefined as unknown as string) : String(sentTimestamp),
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(input.messageAttributes ?? {}).map(([name, value]) => [
        name,
        { stringValue: value, stringListValues: [], binaryListValues: [], dataType: 'String' },
      ]),
    ),
    md5OfBody: md5(input.body),
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:hand-built',
    awsRegion: 'us-east-1',
  };
}

async function receiveOnce(
  sqs: SQSClient,
  queueUrl: string,
  queueArn: string,
  maxMessages: number,
  visibilityTimeoutSeconds: number | undefined,
  waitSeconds = 1,
): Promise<SQSRecord[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: Math.min(10, Math.max(1, maxMessages)),
      WaitTimeSeconds: waitSeconds,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['All'],
      ...(visibilityTimeoutSeconds === undefined ? {} : { VisibilityTimeout: visibilityTimeoutSeconds }),
    }),
  );
  return Messages.map((message) => toSqsRecord(message, queueArn));
}

const arnCache = new Map<string, string>();

async function queueArnOf(sqs: SQSClient, queueUrl: string): Promise<string> {
  const cached = arnCache.get(queueUrl);
  if (cached) return cached;
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const arn = required(Attributes?.QueueArn, 'QueueArn');
  arnCache.set(queueUrl, arn);
  return arn;
}

/** ESM events carry binary values base64-encoded and list values as empty arrays when unused. */
function toLambdaAttributes(attributes: Record<string, MessageAttributeValue>): SQSMessageAttributes {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, attribute]) => [
      name,
      {
        ...(attribute.StringValue === undefined ? {} : { stringValue: attribute.StringValue }),
        ...(attribute.BinaryValue === undefined ? {} : { binaryValue: Buffer.from(attribute.BinaryValue).toString('base64') }),
        stringListValues: attribute.StringListValues ?? [],
        binaryListValues: (attribute.BinaryListValues ?? []).map((value) => Buffer.from(value).toString('base64')),
        dataType: attribute.DataType ?? 'String',
      },
    ]),
  );
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let index = 0; index < items.length; index += size) result.push(items.slice(index, index + size));
  return result;
}

function md5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`received message lacks ${what}`);
  return value;
}
