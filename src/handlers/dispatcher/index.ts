import { SSMClient } from '@aws-sdk/client-ssm';
import type { SQSRecord } from 'aws-lambda';
import { HANDLER_METRICS } from '../../contract';
import { createBatchHandler } from '../shared/batch-handler';
import { parseDeliveryEvent } from '../shared/delivery-event';
import { countOne, createPowertools } from '../shared/powertools';
import { createSecretReader } from '../shared/secrets';
import { readDispatcherConfig } from './config';
import { buildDeliveryRequest, postDelivery } from './deliver';

/**
 * dispatcher: deliver queue → delivery target. POSTs each event, signed; any non-2xx or timeout
 * fails the record so SQS retries it and, in the end, dead-letters it (docs/ARCHITECTURE.md, "The flow").
 */

const config = readDispatcherConfig(process.env);
const { logger, metrics, tracer } = createPowertools();
const readSecret = createSecretReader(tracer.captureAWSv3Client(new SSMClient({})));

async function handleRecord(record: SQSRecord): Promise<void> {
  const event = parseDeliveryEvent(record.body);
  logger.appendKeys({ deliveryId: event.id, requestId: event.requestId, source: event.source });

  if (!config.enabled) {
    logger.info('Delivery disabled (DELIVERY_URL is empty); event logged and dropped', { eventType: event.type });
    return;
  }

  // A missing secret throws too: the record fails until an operator creates the parameter.
  const request = buildDeliveryRequest(event, await readSecret(config.deliverySecretParameter));
  try {
    const status = await postDelivery(config.deliveryUrl, request, config.deliveryTimeoutMs);
    countOne(metrics, HANDLER_METRICS.delivered);
    logger.info('Event delivered', { eventType: event.type, status });
  } catch (error) {
    countOne(metrics, HANDLER_METRICS.deliveryFailed);
    throw error;
  }
}

export const handler = createBatchHandler({ logger, metrics, handleRecord });
