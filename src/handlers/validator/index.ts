import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { SQSRecord } from 'aws-lambda';
import { HANDLER_METRICS } from '../../contract';
import { createBatchHandler } from '../shared/batch-handler';
import { readIngestMessage } from '../shared/ingest-message';
import { countOne, countRejection, createPowertools } from '../shared/powertools';
import { createQueueSender } from '../shared/queue-sender';
import { createSecretReader } from '../shared/secrets';
import { readValidatorConfig } from './config';
import { validateWebhook } from './validate-webhook';

/**
 * validator: ingest queue → process queue. Verifies each webhook's signature and forwards a
 * canonical envelope; rejections are logged, counted and deleted (docs/ARCHITECTURE.md, "The flow").
 */

const config = readValidatorConfig(process.env);
const { logger, metrics, tracer } = createPowertools();
const sendToProcessQueue = createQueueSender(tracer.captureAWSv3Client(new SQSClient({})), config.nextQueueUrl);
const readSecret = createSecretReader(tracer.captureAWSv3Client(new SSMClient({})));

async function handleRecord(record: SQSRecord): Promise<void> {
  const message = readIngestMessage(record);
  logger.appendKeys({ source: message.source, requestId: message.requestId });

  const verdict = await validateWebhook(message, { config, readSecret, now: Date.now });
  if (!verdict.accepted) {
    // A rejected record completes successfully: retrying cannot make a forged or broken webhook
    // genuine, and the log line and metric are its record.
    logger.warn('Webhook rejected', { reason: verdict.reason, detail: verdict.detail, messageId: record.messageId });
    countRejection(metrics, verdict.reason);
    return;
  }

  const { envelope } = verdict;
  logger.appendKeys({ deliveryId: envelope.deliveryId });
  await sendToProcessQueue(envelope);
  countOne(metrics, HANDLER_METRICS.accepted);
  logger.info('Webhook accepted', { scheme: envelope.scheme, eventType: envelope.eventType });
}

export const handler = createBatchHandler({ logger, metrics, handleRecord });
