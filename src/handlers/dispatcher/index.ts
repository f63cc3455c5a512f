import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SUMMARY_MESSAGES } from '../shared/batch-summary';
import { createPowertools } from '../shared/powertools';
import { createSecretReader } from '../shared/secrets';
import { createConcurrentBatchHandler } from './batch-runner';
import { readDispatcherConfig } from './config';
import { createRecordDispatcher } from './dispatch-record';
import { createQueueActions } from './queue-actions';

/**
 * dispatcher: deliver queue → destinations. POSTs each event, signed, to the destination it names.
 * 2xx succeeds; 410 Gone and unknown destinations go to the DLQ at once; anything else fails the
 * record with its next visibility set from the retry schedule, and after the last step SQS
 * dead-letters it (docs/ARCHITECTURE.md, "The flow").
 */

const config = readDispatcherConfig(process.env);
const { logger, metrics, tracer } = createPowertools();
const dispatcher = createRecordDispatcher({
  config,
  logger,
  metrics,
  readSecret: createSecretReader(tracer.captureAWSv3Client(new SSMClient({}))),
  queue: createQueueActions(tracer.captureAWSv3Client(new SQSClient({})), config),
});

export const handler = createConcurrentBatchHandler({
  logger,
  metrics,
  keyOf: (record) => dispatcher.keyOf(record),
  handleRecord: (record) => dispatcher.dispatch(record),
  summaryMessage: SUMMARY_MESSAGES.dispatcher,
});
