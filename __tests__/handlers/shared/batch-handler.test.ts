import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSRecord } from 'aws-lambda';
import { createBatchHandler, failureReason } from '../../../src/handlers/shared/batch-handler';
import { InvalidMessageError } from '../../../src/handlers/shared/invalid-message-error';
import { countOne, countRejection } from '../../../src/handlers/shared/powertools';
import { lambdaContext } from '../../support/lambda-context';
import { buildSqsRecord } from '../../support/sqs-records';
import { captureOutput, type CapturedOutput } from '../../support/output';

describe('createBatchHandler', () => {
  let output: CapturedOutput;
  let logger: Logger;
  let metrics: Metrics;

  beforeEach(() => {
    output = captureOutput();
    logger = new Logger({ serviceName: 'batch-test' });
    metrics = new Metrics({ namespace: 'Test', serviceName: 'batch-test' });
  });
  afterEach(() => output.restore());

  const records = ['ok-1', 'fail', 'ok-2'].map((body) => buildSqsRecord({ body, messageId: `id-${body}` }));

  it('reports only the failed records, processing the rest', async () => {
    const seen: string[] = [];
    const handler = createBatchHandler({
      logger,
      metrics,
      handleRecord: async (record: SQSRecord) => {
        seen.push(record.body);
        if (record.body === 'fail') throw new Error('boom');
      },
    });
    const response = await handler({ Records: records }, lambdaContext('batch-test'));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'id-fail' }] });
    expect(seen).toEqual(['ok-1', 'fail', 'ok-2']);
  });

  it('answers with every record, rather than throwing, when the whole batch fails', async () => {
    const handler = createBatchHandler({ logger, metrics, handleRecord: () => Promise.reject(new Error('down')) });
    const response = await handler({ Records: records }, lambdaContext('batch-test'));
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(['id-ok-1', 'id-fail', 'id-ok-2']);
  });

  it('stamps each record’s log lines with its own keys and clears them afterwards', async () => {
    const handler = createBatchHandler({
      logger,
      metrics,
      handleRecord: async (record) => {
        if (record.body === 'ok-1') logger.appendKeys({ deliveryId: 'first' });
        logger.info('handled');
        if (record.body === 'fail') throw new InvalidMessageError('thing', 'broken');
      },
    });
    await handler({ Records: records }, lambdaContext('batch-test'));
    const lines = output.logs();
    const handled = lines.filter((line) => line.message === 'handled');
    expect(handled.map((line) => line.deliveryId)).toEqual(['first', undefined, undefined]);
    const failure = lines.find((line) => line.level === 'ERROR');
    expect(failure).toMatchObject({
      message: 'Record failed; SQS will redeliver it',
      messageId: 'id-fail',
      reason: 'invalid-message',
      function_name: 'batch-test',
    });
  });

  it('flushes buffered metrics once per invocation, and only when there are some', async () => {
    const handler = createBatchHandler({
      logger,
      metrics,
      handleRecord: async (record) => {
        if (record.body !== 'fail') countOne(metrics, 'Accepted');
      },
    });
    await handler({ Records: records }, lambdaContext('batch-test'));
    expect(output.metrics()).toHaveLength(1);
    expect(output.metricValues('Accepted').map((entry) => entry.value)).toEqual([1, 1]);

    output.clear();
    const quiet = createBatchHandler({ logger, metrics, handleRecord: async () => undefined });
    await quiet({ Records: records }, lambdaContext('batch-test'));
    expect(output.metrics()).toHaveLength(0);
  });

  it('emits each rejection at once with its reason as a dimension', () => {
    countRejection(metrics, 'bad-signature');
    countRejection(metrics, 'unknown-source');
    expect(output.metricValues('Rejected')).toEqual([
      { value: 1, dimensions: { service: 'batch-test', reason: 'bad-signature' } },
      { value: 1, dimensions: { service: 'batch-test', reason: 'unknown-source' } },
    ]);
    expect(output.metrics()[0]).toMatchObject({ _aws: { CloudWatchMetrics: [{ Namespace: 'Test' }] } });
    expect(metrics.hasStoredMetrics()).toBe(false);
  });
});

describe('failureReason', () => {
  it('prefers an error’s own reason, then its name', () => {
    expect(failureReason(new InvalidMessageError('x', 'y'))).toBe('invalid-message');
    expect(failureReason(new TypeError('x'))).toBe('TypeError');
    expect(failureReason('a string')).toBe('unknown');
  });
});
