import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { createArchiveWriter } from '../shared/archive-writer';
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
 *
 * Each attempt's outcome is archived (ARCHIVE_ATTEMPT_STREAM, one `ArchivedAttempt` line), in one
 * flush at the end of the invocation, once every record settled; the flush never fails a record
 * (see `ArchiveWriter.flush`).
 */

const config = readDispatcherConfig(process.env);
const { logger, metrics, tracer } = createPowertools();
const archive = createArchiveWriter({
  streamName: config.archiveStream ?? '',
  logger,
  metrics,
  wrapClient: (client) => tracer.captureAWSv3Client(client),
});
const dispatcher = createRecordDispatcher({
  config,
  logger,
  metrics,
  readSecret: createSecretReader(tracer.captureAWSv3Client(new SSMClient({}))),
  queue: createQueueActions(tracer.captureAWSv3Client(new SQSClient({})), config),
  archive,
});

export const handler = createConcurrentBatchHandler({
  logger,
  metrics,
  keyOf: (record) => dispatcher.keyOf(record),
  handleRecord: (record) => dispatcher.dispatch(record),
  summaryMessage: SUMMARY_MESSAGES.dispatcher,
  onInvocationEnd: async (context) => {
    await archive.flush({ remainingTimeMs: context.getRemainingTimeInMillis() });
  },
});
