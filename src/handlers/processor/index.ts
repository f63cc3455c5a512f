import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { HANDLER_METRICS } from '../../contract';
import { createBatchHandler, type SqsBatchHandler } from '../shared/batch-handler';
import { countOne, createPowertools } from '../shared/powertools';
import { parseProcessEnvelope } from '../shared/process-envelope';
import { createQueueSender } from '../shared/queue-sender';
import { readProcessorConfig } from './config';
import { createForwardOnce, createIdempotencyConfig } from './forward-once';

/**
 * processor: process queue → deliver queue. De-duplicates provider retries by delivery id and
 * forwards each delivery once as a normalized event (docs/ARCHITECTURE.md, "The flow").
 */

const config = readProcessorConfig(process.env);
const { logger, metrics, tracer } = createPowertools();
const idempotencyConfig = createIdempotencyConfig(config.idempotencyTtlSeconds);
const forwardOnce = createForwardOnce({
  persistenceStore: new DynamoDBPersistenceLayer({
    tableName: config.idempotencyTableName,
    awsSdkV3Client: tracer.captureAWSv3Client(new DynamoDBClient({})),
  }),
  config: idempotencyConfig,
  forward: createQueueSender(tracer.captureAWSv3Client(new SQSClient({})), config.nextQueueUrl),
  now: () => new Date(),
});

async function handleRecord(record: SQSRecord): Promise<void> {
  // An unparseable envelope throws, failing the record: only a bug or a hand-injected message
  // produces one, and the DLQ keeps it for whoever investigates.
  const envelope = parseProcessEnvelope(record.body);
  logger.appendKeys({ deliveryId: envelope.deliveryId, requestId: envelope.requestId, source: envelope.source });

  const result = await forwardOnce(envelope);
  if (result.outcome === 'duplicate') {
    countOne(metrics, HANDLER_METRICS.duplicate);
    logger.info('Duplicate delivery dropped');
    return;
  }
  countOne(metrics, HANDLER_METRICS.forwarded);
  logger.info('Event forwarded', { eventType: result.eventType });
}

const processBatch = createBatchHandler({ logger, metrics, handleRecord });

export const handler: SqsBatchHandler = (event, context) => {
  idempotencyConfig.registerLambdaContext(context);
  return processBatch(event, context);
};
