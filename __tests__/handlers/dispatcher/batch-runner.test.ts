import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSRecord } from 'aws-lambda';
import { createConcurrentBatchHandler, MAX_CONCURRENT_RECORDS, runKeyed } from '../../../src/handlers/dispatcher/batch-runner';
import { InvalidMessageError } from '../../../src/handlers/shared/invalid-message-error';
import { lambdaContext } from '../../support/lambda-context';
import { captureOutput, type CapturedOutput } from '../../support/output';
import { buildSqsRecord } from '../../support/sqs-records';

/** A task that records when it starts and ends, and finishes when the test says so (or at once). */
function tracer() {
  const events: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const run = async (item: { name: string; key?: string }) => {
    events.push(`start ${item.name}`);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 5));
    inFlight -= 1;
    events.push(`end ${item.name}`);
    return item.name.toUpperCase();
  };
  return { events, run, maxInFlight: () => maxInFlight };
}

describe('runKeyed', () => {
  it('starts items without a shared key together and returns results in item order', async () => {
    const { events, run, maxInFlight } = tracer();
    const items = ['a', 'b', 'c'].map((name) => ({ name }));
    await expect(runKeyed(items, () => undefined, run, 10)).resolves.toEqual(['A', 'B', 'C']);
    expect(events.slice(0, 3)).toEqual(['start a', 'start b', 'start c']);
    expect(maxInFlight()).toBe(3);
  });

  it('runs items sharing a key one after another, in their order, while others overlap them', async () => {
    const { events, run } = tracer();
    const items = [
      { name: 'x1', key: 'x' },
      { name: 'y1', key: 'y' },
      { name: 'x2', key: 'x' },
      { name: 'x3', key: 'x' },
    ];
    await expect(runKeyed(items, (item) => item.key, run, 10)).resolves.toEqual(['X1', 'Y1', 'X2', 'X3']);
    expect(events.indexOf('start x2')).toBeGreaterThan(events.indexOf('end x1'));
    expect(events.indexOf('start x3')).toBeGreaterThan(events.indexOf('end x2'));
    expect(events.indexOf('start y1')).toBeLessThan(events.indexOf('end x1'));
  });

  it('keeps at most `concurrency` items in flight', async () => {
    const { run, maxInFlight } = tracer();
    const items = Array.from({ length: 25 }, (_, i) => ({ name: `i${i}` }));
    const results = await runKeyed(items, () => undefined, run, 4);
    expect(results).toHaveLength(25);
    expect(maxInFlight()).toBe(4);
  });

  it('copes with nothing to run and with a concurrency below one', async () => {
    await expect(
      runKeyed(
        [],
        () => undefined,
        async () => 1,
        10,
      ),
    ).resolves.toEqual([]);
    await expect(
      runKeyed(
        [1, 2],
        () => undefined,
        async (n) => n * 2,
        0,
      ),
    ).resolves.toEqual([2, 4]);
  });
});

const SUMMARY = 'Events delivered';

describe('createConcurrentBatchHandler', () => {
  let output: CapturedOutput;
  let logger: Logger;
  let metrics: Metrics;

  beforeEach(() => {
    output = captureOutput();
    logger = new Logger({ serviceName: 'dispatcher-test' });
    metrics = new Metrics({ namespace: 'Test', serviceName: 'dispatcher-test' });
  });
  afterEach(() => output.restore());

  const records = ['ok-1', 'fail', 'throw', 'ok-2'].map((body) => buildSqsRecord({ body, messageId: `id-${body}` }));
  const outcome = async (record: SQSRecord) => {
    metrics.addMetric('Handled', MetricUnit.Count, 1);
    if (record.body === 'throw') throw new InvalidMessageError('delivery event', 'body is not JSON');
    return record.body === 'fail' ? ('failed' as const) : ('succeeded' as const);
  };

  it('runs the end-of-invocation work once every record settled, before the metrics are published; a throw only warns', async () => {
    const settled: number[] = [];
    let handled = 0;
    const handler = createConcurrentBatchHandler({
      logger,
      metrics,
      keyOf: () => undefined,
      handleRecord: async (record) => {
        handled += 1;
        return outcome(record);
      },
      summaryMessage: SUMMARY,
      onInvocationEnd: async () => {
        settled.push(handled, output.metrics().length);
        throw new Error('archive broken');
      },
    });
    const response = await handler({ Records: records }, lambdaContext('dispatcher'));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'id-fail' }, { itemIdentifier: 'id-throw' }] });
    // Four records handled, no metric published yet.
    expect(settled).toEqual([4, 0]);
    expect(output.metrics()).toHaveLength(1);
    expect(output.logs().filter((line) => line.level === 'WARN')).toEqual([
      expect.objectContaining({ message: 'The end-of-invocation work failed; the records are not affected' }),
    ]);
  });

  it('lists exactly the failed and thrown records, logging the thrown ones', async () => {
    const handler = createConcurrentBatchHandler({
      logger,
      metrics,
      keyOf: () => undefined,
      handleRecord: outcome,
      summaryMessage: SUMMARY,
    });
    const response = await handler({ Records: records }, lambdaContext('dispatcher'));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'id-fail' }, { itemIdentifier: 'id-throw' }] });
    const errors = output.logs().filter((line) => line.level === 'ERROR');
    expect(errors).toEqual([
      expect.objectContaining({
        message: 'Record failed; SQS will redeliver it',
        messageId: 'id-throw',
        reason: 'invalid-message',
        function_name: 'dispatcher',
      }),
    ]);
  });

  it('lists the delivered records in one INFO line, grouped, in batch order; a failure keeps its own line', async () => {
    const delivered = (destination: string, deliveryId: string) => ({ delivered: { group: destination, ids: { deliveryId } } });
    const handler = createConcurrentBatchHandler({
      logger,
      metrics,
      keyOf: () => undefined,
      handleRecord: async (record) => {
        if (record.body === 'fail') throw new InvalidMessageError('delivery event', 'body is not JSON');
        const [destination, id] = record.body.split('/');
        return delivered(destination, id);
      },
      summaryMessage: SUMMARY,
    });
    const batch = ['a/1', 'b/2', 'fail', 'a/3'].map((body, i) => buildSqsRecord({ body, messageId: `m-${i}` }));
    const response = await handler({ Records: batch }, lambdaContext('dispatcher'));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-2' }] });
    const lines = output.logs();
    expect(lines.filter((line) => line.level === 'INFO')).toEqual([
      expect.objectContaining({ message: SUMMARY, count: 3, deliveryIds: { a: ['1', '3'], b: ['2'] }, function_name: 'dispatcher' }),
    ]);
    expect(lines.filter((line) => line.level === 'ERROR')).toEqual([
      expect.objectContaining({ message: 'Record failed; SQS will redeliver it', messageId: 'm-2', reason: 'invalid-message' }),
    ]);

    output.clear();
    await handler({ Records: [batch[2]] }, lambdaContext('dispatcher'));
    expect(output.logs().filter((line) => line.message === SUMMARY)).toEqual([]);
  });

  it('answers with every record, rather than throwing, when the whole batch fails', async () => {
    const handler = createConcurrentBatchHandler({
      logger,
      metrics,
      keyOf: () => undefined,
      handleRecord: () => Promise.reject(new Error('down')),
      summaryMessage: SUMMARY,
    });
    const response = await handler({ Records: records }, lambdaContext('dispatcher'));
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(['id-ok-1', 'id-fail', 'id-throw', 'id-ok-2']);
  });

  it('flushes buffered metrics once per invocation, and not at all when there are none', async () => {
    const handler = createConcurrentBatchHandler({
      logger,
      metrics,
      keyOf: () => undefined,
      handleRecord: outcome,
      summaryMessage: SUMMARY,
    });
    await handler({ Records: records }, lambdaContext('dispatcher'));
    expect(output.metrics()).toHaveLength(1);
    expect(output.metricValues('Handled')).toEqual(Array(4).fill({ value: 1, dimensions: { service: 'dispatcher-test' } }));
    output.clear();
    const quiet = createConcurrentBatchHandler({
      logger,
      metrics,
      keyOf: () => undefined,
      handleRecord: async () => 'succeeded',
      summaryMessage: SUMMARY,
    });
    await quiet({ Records: records }, lambdaContext('dispatcher'));
    expect(output.metrics()).toHaveLength(0);
  });

  it('runs up to ten records at once by default', async () => {
    expect(MAX_CONCURRENT_RECORDS).toBe(10);
    let inFlight = 0;
    let maxInFlight = 0;
    const handler = createConcurrentBatchHandler({
      logger,
      metrics,
      keyOf: () => undefined,
      handleRecord: async () => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 10));
        inFlight -= 1;
        return 'succeeded';
      },
      summaryMessage: SUMMARY,
    });
    const many = Array.from({ length: 12 }, (_, i) => buildSqsRecord({ body: String(i) }));
    await handler({ Records: many }, lambdaContext('dispatcher'));
    expect(maxInFlight).toBe(10);
  });
});
