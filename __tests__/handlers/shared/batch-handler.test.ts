import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSRecord } from 'aws-lambda';
import {
  createBatchHandler,
  createForwardingBatchHandler,
  failureReason,
  type ForwardPlan,
} from '../../../src/handlers/shared/batch-handler';
import type { BatchSender, OutgoingMessage, SendResult } from '../../../src/handlers/shared/batch-sender';
import { InvalidMessageError } from '../../../src/handlers/shared/invalid-message-error';
import { countOne, countRejection, publishInvocationMetrics } from '../../../src/handlers/shared/powertools';
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

  it('counts rejections by reason in one document per reason, written when the invocation ends', async () => {
    const handler = createBatchHandler({
      logger,
      metrics,
      handleRecord: async (record) => {
        countRejection(metrics, record.body === 'fail' ? 'unknown-source' : 'bad-signature');
        countOne(metrics, 'Accepted');
      },
    });
    await handler({ Records: [...records, records[0]] }, lambdaContext('batch-test'));
    expect(output.metricValues('Rejected')).toEqual([
      { value: 3, dimensions: { service: 'batch-test', reason: 'bad-signature' } },
      { value: 1, dimensions: { service: 'batch-test', reason: 'unknown-source' } },
    ]);
    // The buffered counts keep their own document, with the service dimension alone.
    expect(output.metrics()).toHaveLength(3);
    expect(output.metricValues('Accepted')).toHaveLength(4);
    expect(output.metricValues('Accepted')[0].dimensions).toEqual({ service: 'batch-test' });
    expect(output.metrics()[1]).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'Test', Dimensions: [['service', 'reason']] }] },
    });

    output.clear();
    publishInvocationMetrics(metrics);
    expect(output.metrics()).toHaveLength(0); // published once, then forgotten
  });
});

describe('createForwardingBatchHandler', () => {
  let output: CapturedOutput;
  let logger: Logger;
  let metrics: Metrics;

  beforeEach(() => {
    output = captureOutput();
    logger = new Logger({ serviceName: 'forward-test' });
    metrics = new Metrics({ namespace: 'Test', serviceName: 'forward-test' });
  });
  afterEach(() => output.restore());

  /** A sender that fails the messages whose body is in `failing`, and records every call. */
  function fakeSender(failing: ReadonlySet<string> = new Set()) {
    const calls: string[][] = [];
    const send: BatchSender = async (messages: readonly OutgoingMessage[]) => {
      calls.push(messages.map((message) => message.body));
      return messages.map((message): SendResult =>
        failing.has(message.body)
          ? { sent: false, failure: { code: 'InternalError', message: 'injected', senderFault: false } }
          : { sent: true, messageId: `sqs-${message.body}` },
      );
    };
    return { send, calls };
  }

  /** Records whose body lists the messages each produces (comma-separated; `throw` fails phase 1, `-` plans nothing). */
  const batch = (...bodies: string[]) => ({ Records: bodies.map((body, index) => buildSqsRecord({ body, messageId: `r${index}` })) });

  function handlerFor(send: BatchSender, extra: Partial<ForwardPlan> = {}) {
    const forwarded: string[] = [];
    const undone: { messageId: string; sent: readonly number[]; codes: string[] }[] = [];
    const handler = createForwardingBatchHandler({
      logger,
      metrics,
      send,
      planRecord: async (record, log) => {
        log.appendPersistentKeys({ record: record.messageId });
        if (record.body === 'throw') throw new InvalidMessageError('thing', 'broken');
        if (record.body === '-') return undefined;
        log.info('planned');
        return {
          messages: record.body === '' ? [] : record.body.split(',').map((body) => ({ body })),
          summary: { group: 'things', ids: { thingId: record.messageId } },
          onForwarded: ({ retry }) => {
            forwarded.push(record.messageId);
            countOne(metrics, 'Forwarded');
            log.info('forwarded', { retry });
          },
          onForwardFailed: async ({ sent, failures }) => {
            undone.push({ messageId: record.messageId, sent, codes: failures.map((failure) => failure.code) });
          },
          ...extra,
        };
      },
      summaryMessage: 'Things forwarded',
    });
    return { handler, forwarded, undone };
  }

  it('sends every record’s messages in one go and fails only the record whose entry failed', async () => {
    const { send, calls } = fakeSender(new Set(['b2']));
    const { handler, forwarded, undone } = handlerFor(send);
    const response = await handler(batch('a1', 'b1,b2', 'c1,c2'), lambdaContext('forward-test'));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'r1' }] });
    expect(calls).toEqual([['a1', 'b1', 'b2', 'c1', 'c2']]);
    expect(forwarded).toEqual(['r0', 'r2']);
    expect(undone).toEqual([{ messageId: 'r1', sent: [0], codes: ['InternalError'] }]);
    const failure = output.logs().find((line) => line.level === 'ERROR');
    expect(failure).toMatchObject({
      message: 'Record failed; SQS will redeliver it',
      messageId: 'r1',
      record: 'r1',
      reason: 'forward-failed',
      sent: 1,
      failures: [{ code: 'InternalError', message: 'injected', senderFault: false }],
    });
  });

  it('lists the records forwarded in one summary line, and tells a retried record it is one', async () => {
    const { send } = fakeSender(new Set(['b1']));
    const { handler } = handlerFor(send);
    const retried = { ...buildSqsRecord({ body: 'c1', messageId: 'r2' }) };
    const event = batch('a1', 'b1');
    event.Records.push({ ...retried, attributes: { ...retried.attributes, ApproximateReceiveCount: '3' } });
    await handler(event, lambdaContext('forward-test'));
    const lines = output.logs();
    expect(lines.filter((line) => line.message === 'Things forwarded')).toEqual([
      expect.objectContaining({ level: 'INFO', count: 2, thingIds: { things: ['r0', 'r2'] }, function_name: 'forward-test' }),
    ]);
    expect(lines.filter((line) => line.message === 'forwarded').map((line) => [line.record, line.retry])).toEqual([
      ['r0', false],
      ['r2', true],
    ]);

    output.clear();
    await handler(batch('b1', '-'), lambdaContext('forward-test'));
    expect(output.logs().filter((line) => line.message === 'Things forwarded')).toEqual([]);
  });

  it('fails records that throw in phase 1 without sending anything for them', async () => {
    const { send, calls } = fakeSender();
    const { handler, forwarded } = handlerFor(send);
    const response = await handler(batch('a1', 'throw', '-', '', 'e1'), lambdaContext('forward-test'));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'r1' }] });
    expect(calls).toEqual([['a1', 'e1']]);
    expect(forwarded).toEqual(['r3', 'r0', 'r4']);
    expect(output.logs().find((line) => line.level === 'ERROR')).toMatchObject({
      messageId: 'r1',
      reason: 'invalid-message',
      record: 'r1',
    });
  });

  it('makes no call when no record has anything to send', async () => {
    const { send, calls } = fakeSender();
    const { handler } = handlerFor(send);
    expect(await handler(batch('-', 'throw'), lambdaContext('forward-test'))).toEqual({ batchItemFailures: [{ itemIdentifier: 'r1' }] });
    expect(calls).toEqual([]);
  });

  it('answers with every record, rather than throwing, when every send fails', async () => {
    const { send } = fakeSender(new Set(['a1', 'b1', 'c1']));
    const { handler, forwarded } = handlerFor(send);
    const response = await handler(batch('a1', 'b1', 'c1'), lambdaContext('forward-test'));
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(['r0', 'r1', 'r2']);
    expect(forwarded).toEqual([]);
  });

  it('fails every record with messages when the sender itself rejects', async () => {
    const { handler } = handlerFor(() => Promise.reject(new TypeError('bug')));
    const response = await handler(batch('a1', '-', 'c1'), lambdaContext('forward-test'));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'r0' }, { itemIdentifier: 'r2' }] });
    expect(output.logs().find((line) => line.level === 'ERROR')).toMatchObject({ failures: [{ code: 'TypeError', message: 'bug' }] });
    const { handler: odd } = handlerFor(() => Promise.reject('text'));
    expect((await odd(batch('a1'), lambdaContext('forward-test'))).batchItemFailures).toHaveLength(1);
  });

  it('still fails the record, and logs a warning, when undoing a failed forward throws', async () => {
    const { send } = fakeSender(new Set(['a1']));
    const { handler } = handlerFor(send, { onForwardFailed: () => Promise.reject(new Error('DynamoDB down')) });
    expect(await handler(batch('a1'), lambdaContext('forward-test'))).toEqual({ batchItemFailures: [{ itemIdentifier: 'r0' }] });
    expect(output.logs().find((line) => line.level === 'WARN')).toMatchObject({
      message: 'Could not undo a failed forward',
      record: 'r0',
      messageId: 'r0',
    });
  });

  it('does not fail a record that was sent when recording it throws', async () => {
    const { send } = fakeSender();
    const { handler } = handlerFor(send, {
      onForwarded: () => {
        throw new Error('metrics full');
      },
    });
    expect(await handler(batch('a1'), lambdaContext('forward-test'))).toEqual({ batchItemFailures: [] });
    expect(output.logs().find((line) => line.level === 'WARN')).toMatchObject({
      message: 'Record forwarded, but recording it failed',
      record: 'r0',
    });
  });

  it('handles a message SQS put in the batch twice once, and lists it once', async () => {
    const { send, calls } = fakeSender(new Set(['a1']));
    const { handler } = handlerFor(send);
    const record = buildSqsRecord({ body: 'a1', messageId: 'same' });
    expect(await handler({ Records: [record, record] }, lambdaContext('forward-test'))).toEqual({
      batchItemFailures: [{ itemIdentifier: 'same' }],
    });
    expect(calls).toEqual([['a1']]);
  });

  it('stamps each record’s lines, in both phases, with its own keys only, and leaves the shared logger clean', async () => {
    const { send } = fakeSender();
    const { handler } = handlerFor(send);
    await handler(batch('a1', 'b1'), lambdaContext('forward-test'));
    const lines = output.logs();
    expect(lines.filter((line) => line.message === 'planned').map((line) => line.record)).toEqual(['r0', 'r1']);
    expect(lines.filter((line) => line.message === 'forwarded').map((line) => [line.record, line.function_name])).toEqual([
      ['r0', 'forward-test'],
      ['r1', 'forward-test'],
    ]);
    logger.info('after');
    expect(output.logs().find((line) => line.message === 'after')).not.toHaveProperty('record');
  });

  it('flushes buffered metrics once per invocation, and only when there are some', async () => {
    const { send } = fakeSender();
    const { handler } = handlerFor(send);
    await handler(batch('a1', 'b1', 'c1'), lambdaContext('forward-test'));
    expect(output.metrics()).toHaveLength(1);
    expect(output.metricValues('Forwarded').map((entry) => entry.value)).toEqual([1, 1, 1]);
    output.clear();
    await handler(batch('-'), lambdaContext('forward-test'));
    expect(output.metrics()).toHaveLength(0);
  });

  it('runs the end-of-invocation work once, after the sends and before the metrics are published', async () => {
    const { send, calls } = fakeSender(new Set(['b1']));
    const seen: { calls: number; metrics: number; remaining: number }[] = [];
    const handler = createForwardingBatchHandler({
      logger,
      metrics,
      send,
      planRecord: async (record) => ({ messages: [{ body: record.body }], onForwarded: () => countOne(metrics, 'Forwarded') }),
      summaryMessage: 'Things forwarded',
      onInvocationEnd: async (context) => {
        seen.push({ calls: calls.length, metrics: output.metrics().length, remaining: context.getRemainingTimeInMillis() });
        countOne(metrics, 'ArchiveWriteFailed');
      },
    });
    const response = await handler(batch('a1', 'b1'), lambdaContext('forward-test'));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'r1' }] });
    expect(seen).toEqual([{ calls: 1, metrics: 0, remaining: expect.any(Number) }]);
    expect(seen[0]!.remaining).toBeGreaterThan(0);
    // What the hook counted goes out with the invocation's metrics.
    expect(output.metricValues('ArchiveWriteFailed').map((entry) => entry.value)).toEqual([1]);
  });

  it('keeps the records’ outcomes, with a warning, when the end-of-invocation work throws', async () => {
    const { send } = fakeSender();
    const handler = createForwardingBatchHandler({
      logger,
      metrics,
      send,
      planRecord: async (record) => ({ messages: [{ body: record.body }] }),
      summaryMessage: 'Things forwarded',
      onInvocationEnd: () => Promise.reject(new Error('archive broken')),
    });
    expect(await handler(batch('a1'), lambdaContext('forward-test'))).toEqual({ batchItemFailures: [] });
    expect(output.logs().filter((line) => line.level === 'WARN')).toEqual([
      expect.objectContaining({
        message: 'The end-of-invocation work failed; the records are not affected',
        error: expect.objectContaining({ message: 'archive broken' }),
      }),
    ]);
  });
});

describe('failureReason', () => {
  it('prefers an error’s own reason, then its name', () => {
    expect(failureReason(new InvalidMessageError('x', 'y'))).toBe('invalid-message');
    expect(failureReason(new TypeError('x'))).toBe('TypeError');
    expect(failureReason('a string')).toBe('unknown');
  });
});
