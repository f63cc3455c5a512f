import type { SQSClient } from '@aws-sdk/client-sqs';
import { LANE_NAME_PLACEHOLDER } from '../../contract';
import { type BatchSender, type BatchSenderOptions, createBatchSender, type SendResult } from './batch-sender';

/** A destination's lane URL from the template (`…/webhook-lane-{destination}-dev`). */
export const laneUrlOf = (template: string, destination: string): string => template.split(LANE_NAME_PLACEHOLDER).join(destination);

/**
 * A {@link BatchSender} over every destination's delivery lane: each message goes to the lane its
 * `lane` names, in SendMessageBatch calls per queue (a call holds one queue's entries; without
 * lanes, a template with no placeholder, every destination shares one queue and its calls), and
 * the results come back in the order given. A message without a lane fails alone; it is a bug.
 */
export function createLaneSender(sqs: SQSClient, laneUrlTemplate: string, options: BatchSenderOptions = {}): BatchSender {
  const senders = new Map<string, BatchSender>();
  const senderFor = (url: string) => {
    let sender = senders.get(url);
    if (!sender) senders.set(url, (sender = createBatchSender(sqs, url, options)));
    return sender;
  };
  return async (messages) => {
    const results: SendResult[] = new Array<SendResult>(messages.length);
    const byQueue = new Map<string, number[]>();
    messages.forEach((message, index) => {
      if (message.lane === undefined || message.lane === '') {
        results[index] = {
          sent: false,
          failure: { code: 'MissingLane', message: 'the message names no delivery lane', senderFault: true },
        };
        return;
      }
      const url = laneUrlOf(laneUrlTemplate, message.lane);
      byQueue.set(url, [...(byQueue.get(url) ?? []), index]);
    });
    await Promise.all(
      [...byQueue].map(async ([url, indexes]) => {
        const sent = await senderFor(url)(indexes.map((index) => messages[index]!));
        indexes.forEach((index, position) => (results[index] = sent[position]!));
      }),
    );
    return results;
  };
}
