import type { SQSClient } from '@aws-sdk/client-sqs';
import { LANE_NAME_PLACEHOLDER } from '../../contract';
import { type BatchSender, type BatchSenderOptions, createBatchSender, type SendResult } from './batch-sender';

/** A destination's lane URL from the template (`…/webhook-lane-{destination}-dev`). */
export const laneUrlOf = (template: string, destination: string): string => template.split(LANE_NAME_PLACEHOLDER).join(destination);

/**
 * A {@link BatchSender} over every destination's delivery lane: each message goes to the lane its
 * `lane` names, in SendMessageBatch calls per lane (a call holds one queue's entries), and the
 * results come back in the order given. A message without a lane fails alone; it is a bug.
 */
export function createLaneSender(sqs: SQSClient, laneUrlTemplate: string, options: BatchSenderOptions = {}): BatchSender {
  const senders = new Map<string, BatchSender>();
  const senderFor = (lane: string) => {
    let sender = senders.get(lane);
    if (!sender) senders.set(lane, (sender = createBatchSender(sqs, laneUrlOf(laneUrlTemplate, lane), options)));
    return sender;
  };
  return async (messages) => {
    const results: SendResult[] = new Array<SendResult>(messages.length);
    const byLane = new Map<string, number[]>();
    messages.forEach((message, index) => {
      if (message.lane === undefined || message.lane === '') {
        results[index] = {
          sent: false,
          failure: { code: 'MissingLane', message: 'the message names no delivery lane', senderFault: true },
        };
        return;
      }
      byLane.set(message.lane, [...(byLane.get(message.lane) ?? []), index]);
    });
    await Promise.all(
      [...byLane].map(async ([lane, indexes]) => {
        const sent = await senderFor(lane)(indexes.map((index) => messages[index]!));
        indexes.forEach((index, position) => (results[index] = sent[position]!));
      }),
    );
    return results;
  };
}
