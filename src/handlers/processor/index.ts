import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { HANDLER_METRICS } from '../../contract';
import { ARCHIVE_RECORD_VERSION, type ArchivedWebhook, webhookIdOf } from '../../history/archive-records';
import { createArchiveWriter } from '../shared/archive-writer';
import { createForwardingBatchHandler, type ForwardPlan } from '../shared/batch-handler';
import { createLaneSender } from '../shared/lane-sender';
import { SUMMARY_MESSAGES } from '../shared/batch-summary';
import { routes } from '../shared/destinations';
import { countOne, createPowertools } from '../shared/powertools';
import { type ProcessEnvelope, parseProcessEnvelope } from '../shared/process-envelope';
import { readProcessorConfig } from './config';
import { createClaimStore } from './forward-once';
import { deriveEventType, idempotencyKeyOf, normalizeEvent } from './normalize-event';

/**
 * processor: process queue → each destination's delivery lane. De-duplicates provider retries by delivery id (one
 * conditional PutItem per first-seen delivery; see `ClaimStore` for what holds on a crash) and
 * routes each delivery to every destination whose route matches its source and event type, one
 * message per destination, on that destination's lane (docs/ARCHITECTURE.md, "The flow").
 *
 * A record with several destinations succeeds only when all its messages were sent. When some were
 * not, the claim is released listing the destinations reached, and the retry sends only the others.
 *
 * Duplicates, unrouted events, failures and released claims log a line each; the deliveries
 * forwarded are listed in one line per invocation (each also at DEBUG).
 *
 * The archive (ARCHIVE_WEBHOOK_STREAM): each first-seen webhook gets one `ArchivedWebhook` line once
 * it is handled, forwarded to every destination its routes matched or unrouted (`destinations:
 * []`); a duplicate dropped gets none, nor does a record whose forward failed (its retry, taking the
 * claim over, archives it). The lines go to Firehose in one flush at the end of the invocation,
 * after the deliveries are queued; the flush never fails a record (see `ArchiveWriter.flush`).
 */

const config = readProcessorConfig(process.env);
const { logger, metrics, tracer } = createPowertools();
const claims = createClaimStore(tracer.captureAWSv3Client(new DynamoDBClient({})), {
  tableName: config.idempotencyTableName,
  ttlSeconds: config.idempotencyTtlSeconds,
});
const sendToLanes = createLaneSender(tracer.captureAWSv3Client(new SQSClient({})), config.laneQueueUrl, {
  maxBatchBytes: config.maxMessageBytes,
});
const destinations = [...config.destinations.values()];
const archive = createArchiveWriter({
  streamName: config.archiveStream,
  logger,
  metrics,
  wrapClient: (client) => tracer.captureAWSv3Client(client),
});

/** The webhook's archive line: the envelope as it arrived, and where it was routed. */
const webhookLine = (envelope: ProcessEnvelope, eventType: string, processedAt: Date, routedTo: readonly string[]): ArchivedWebhook => ({
  v: ARCHIVE_RECORD_VERSION,
  kind: 'webhook',
  webhook_id: webhookIdOf(envelope.source, envelope.deliveryId),
  source: envelope.source,
  delivery_id: envelope.deliveryId,
  event_type: eventType,
  received_at: envelope.receivedAt,
  processed_at: processedAt.toISOString(),
  request_id: envelope.requestId,
  headers: envelope.headers ?? {},
  body: envelope.body,
  destinations: routedTo,
});

async function planRecord(record: SQSRecord, log: Logger): Promise<ForwardPlan | undefined> {
  // An unparseable envelope throws, failing the record: only a bug or a hand-injected message
  // produces one, and the DLQ keeps it for whoever investigates.
  const envelope = parseProcessEnvelope(record.body);
  log.appendPersistentKeys({ deliveryId: envelope.deliveryId, requestId: envelope.requestId, source: envelope.source });
  const eventType = deriveEventType(envelope);
  const key = idempotencyKeyOf(envelope);

  const claim = await claims.claim(key, record.messageId);
  if (!claim.claimed) {
    countOne(metrics, HANDLER_METRICS.duplicate);
    log.info('Duplicate delivery dropped', { eventType, claimedBy: claim.claimedBy });
    return undefined;
  }

  const targets = destinations.filter((destination) => routes(destination, envelope.source, eventType)).map(({ name }) => name);
  if (targets.length === 0) {
    // Handled, so the claim stays: a retry of an event nobody takes is as unwanted as the event.
    countOne(metrics, HANDLER_METRICS.unrouted);
    log.info('Event not routed: no destination takes it', { reason: 'unrouted', eventType });
    archive.add(webhookLine(envelope, eventType, new Date(), []));
    return undefined;
  }

  const pending = targets.filter((name) => !claim.alreadySent.has(name));
  const processedAt = new Date();
  return {
    messages: pending.map((destination) => ({
      lane: destination,
      body: JSON.stringify(normalizeEvent(envelope, { destination, type: eventType, processedAt })),
    })),
    summary: { group: envelope.source, ids: { deliveryId: envelope.deliveryId } },
    onForwarded: ({ retry }) => {
      countOne(metrics, HANDLER_METRICS.forwarded);
      archive.add(webhookLine(envelope, eventType, processedAt, targets));
      // A delivery that reached some destinations before is finishing a failed forward: its own line.
      const resumed = claim.alreadySent.size > 0;
      log[retry || resumed ? 'info' : 'debug']('Event forwarded', {
        eventType,
        destinations: pending,
        ...(resumed ? { alreadySent: [...claim.alreadySent] } : {}),
        retry,
      });
    },
    onForwardFailed: async ({ sent }) => {
      const reached = [...claim.alreadySent, ...sent.map((index) => pending[index] as string)];
      const outcome = await claims.release(key, record.messageId, reached);
      log.info('Claim released after a failed forward', { outcome, reached });
    },
  };
}

export const handler = createForwardingBatchHandler({
  logger,
  metrics,
  send: sendToLanes,
  planRecord,
  summaryMessage: SUMMARY_MESSAGES.processor,
  onInvocationEnd: async (context) => {
    await archive.flush({ remainingTimeMs: context.getRemainingTimeInMillis() });
  },
});
