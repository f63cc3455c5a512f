import type { Logger } from '@aws-lambda-powertools/logger';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { SQSRecord } from 'aws-lambda';
import { HANDLER_METRICS } from '../../contract';
import { createForwardingBatchHandler, type ForwardPlan } from '../shared/batch-handler';
import { createBatchSender } from '../shared/batch-sender';
import { SUMMARY_MESSAGES } from '../shared/batch-summary';
import { readIngestMessage } from '../shared/ingest-message';
import { countOne, countRejection, createPowertools } from '../shared/powertools';
import { createSecretReader } from '../shared/secrets';
import { readValidatorConfig } from './config';
import { validateWebhook } from './validate-webhook';

/**
 * validator: ingest queue → process queue. Verifies each webhook's signature and forwards an
 * envelope carrying the body as it arrived; rejections are logged, counted and deleted
 * (docs/ARCHITECTURE.md, "The flow"). A batch's envelopes go out together, in SendMessageBatch
 * calls, after every record was verified. Each rejection and failure logs a line of its own; the
 * accepted webhooks are listed in one line per invocation (each also at DEBUG).
 */

const config = readValidatorConfig(process.env);
const { logger, metrics, tracer } = createPowertools();
const sendToProcessQueue = createBatchSender(tracer.captureAWSv3Client(new SQSClient({})), config.nextQueueUrl, {
  maxBatchBytes: config.maxMessageBytes,
});
const readSecret = createSecretReader(tracer.captureAWSv3Client(new SSMClient({})));

async function planRecord(record: SQSRecord, log: Logger): Promise<ForwardPlan | undefined> {
  const message = readIngestMessage(record);
  log.appendPersistentKeys({ source: message.source, requestId: message.requestId });

  const verdict = await validateWebhook(message, { config, readSecret, now: Date.now });
  if (!verdict.accepted) {
    // A rejected record completes successfully: retrying cannot make a forged or broken webhook
    // genuine, and the log line and metric are its record.
    log.warn('Webhook rejected', { reason: verdict.reason, detail: verdict.detail, messageId: record.messageId });
    countRejection(metrics, verdict.reason);
    return undefined;
  }

  const { envelope } = verdict;
  log.appendPersistentKeys({ deliveryId: envelope.deliveryId });
  return {
    messages: [{ body: JSON.stringify(envelope) }],
    summary: { group: envelope.source, ids: { deliveryId: envelope.deliveryId, requestId: envelope.requestId } },
    onForwarded: ({ retry }) => {
      countOne(metrics, HANDLER_METRICS.accepted);
      log[retry ? 'info' : 'debug']('Webhook accepted', { scheme: envelope.scheme, eventType: envelope.eventType, retry });
    },
  };
}

export const handler = createForwardingBatchHandler({
  logger,
  metrics,
  send: sendToProcessQueue,
  planRecord,
  summaryMessage: SUMMARY_MESSAGES.validator,
});
