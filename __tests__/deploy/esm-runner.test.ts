import { EnvironmentPool, mappingChange, recordsToDelete, toSqsRecord } from '../../scripts/lib/esm-runner';

describe('recordsToDelete: what Lambda deletes after an invocation', () => {
  const ids = ['a', 'b', 'c'];

  test('with ReportBatchItemFailures, all but the listed failures', () => {
    expect(recordsToDelete(ids, { batchItemFailures: [{ itemIdentifier: 'b' }] }, true)).toEqual(['a', 'c']);
    expect(recordsToDelete(ids, { batchItemFailures: [] }, true)).toEqual(ids);
  });

  test('an empty or absent response means the whole batch succeeded', () => {
    for (const response of [null, undefined, {}, { batchItemFailures: null }]) expect(recordsToDelete(ids, response, true)).toEqual(ids);
  });

  test('a failure naming a record not in the batch, or a malformed list, fails the whole batch', () => {
    expect(recordsToDelete(ids, { batchItemFailures: [{ itemIdentifier: 'z' }] }, true)).toEqual([]);
    expect(recordsToDelete(ids, { batchItemFailures: [{ itemIdentifier: '' }] }, true)).toEqual([]);
    expect(recordsToDelete(ids, { batchItemFailures: [{}] }, true)).toEqual([]);
    expect(recordsToDelete(ids, { batchItemFailures: 'b' }, true)).toEqual([]);
  });

  test('without ReportBatchItemFailures, a successful invocation deletes the batch whatever it returns', () => {
    expect(recordsToDelete(ids, { batchItemFailures: [{ itemIdentifier: 'b' }] }, false)).toEqual(ids);
  });
});

describe('toSqsRecord: the SQS event record an event source mapping builds', () => {
  test('system and message attributes in the Lambda event shape', () => {
    const record = toSqsRecord(
      {
        MessageId: 'm-1',
        ReceiptHandle: 'rh',
        Body: '{"a":1}',
        MD5OfBody: 'md5',
        Attributes: {
          ApproximateReceiveCount: '2',
          SentTimestamp: '1700000000000',
          SenderId: 'AID',
          ApproximateFirstReceiveTimestamp: '1700000000001',
        },
        MessageAttributes: {
          source: { DataType: 'String', StringValue: 'github' },
          blob: { DataType: 'Binary', BinaryValue: Buffer.from('hi') },
        },
      },
      'arn:aws:sqs:us-east-1:123456789012:q',
      'us-east-1',
    );
    expect(record).toEqual({
      messageId: 'm-1',
      receiptHandle: 'rh',
      body: '{"a":1}',
      attributes: {
        ApproximateReceiveCount: '2',
        SentTimestamp: '1700000000000',
        SenderId: 'AID',
        ApproximateFirstReceiveTimestamp: '1700000000001',
      },
      messageAttributes: {
        source: { stringValue: 'github', stringListValues: [], binaryListValues: [], dataType: 'String' },
        blob: { binaryValue: Buffer.from('hi').toString('base64'), stringListValues: [], binaryListValues: [], dataType: 'Binary' },
      },
      md5OfBody: 'md5',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:q',
      awsRegion: 'us-east-1',
    });
  });
});

describe('EnvironmentPool: the execution environments a function shares between its mappings', () => {
  const never = new AbortController().signal;
  const far = () => Date.now() + 60_000;

  test('reuses an idle environment, and starts new ones only up to the limit', async () => {
    let made = 0;
    const pool = new EnvironmentPool(2, () => ++made);
    const first = await pool.acquire(far(), never);
    pool.release(first!);
    expect(await pool.acquire(far(), never)).toBe(first);
    expect(await pool.acquire(far(), never)).toBe(2);
    expect(pool.all()).toEqual([1, 2]);
  });

  test('at the limit, a waiter gets the next environment released, in arrival order', async () => {
    const pool = new EnvironmentPool(1, () => 'env');
    const held = await pool.acquire(far(), never);
    const order: string[] = [];
    const first = pool.acquire(far(), never).then((env) => order.push(`first ${env}`));
    const second = pool.acquire(far(), never).then((env) => order.push(`second ${env}`));
    pool.release(held!);
    await first;
    expect(order).toEqual(['first env']);
    pool.release('env');
    await second;
    expect(order).toEqual(['first env', 'second env']);
  });

  test('a waiter whose deadline passes, or whose signal aborts, gets none: throttled', async () => {
    const pool = new EnvironmentPool(1, () => 'env');
    await pool.acquire(far(), never);
    expect(await pool.acquire(Date.now() + 20, never)).toBeUndefined();
    const abort = new AbortController();
    const waiting = pool.acquire(far(), abort.signal);
    abort.abort();
    expect(await waiting).toBeUndefined();
    // Neither holds a place: the next release goes to no one and leaves the environment idle.
    pool.release('env');
    expect(await pool.acquire(Date.now(), never)).toBe('env');
  });

  test('a reserved concurrency of 0 throttles everything', async () => {
    const pool = new EnvironmentPool(0, () => 'env');
    expect(await pool.acquire(Date.now() + 10, never)).toBeUndefined();
    expect(pool.all()).toEqual([]);
  });
});

describe("mappingChange: a user's pause or resume, told from the runner's own writes", () => {
  const ours = { state: 'Disabled', lastModified: 1_700_000_000_000 } as const;

  test('what the runner wrote, unchanged: nothing', () => {
    expect(mappingChange(ours, { ...ours })).toBe('none');
  });

  test('disabled by someone else later: paused; enabled: resumed, even within the same second', () => {
    expect(mappingChange(ours, { state: 'Disabled', lastModified: ours.lastModified + 1000 })).toBe('paused');
    expect(mappingChange(ours, { state: 'Enabled', lastModified: ours.lastModified + 1000 })).toBe('resumed');
    expect(mappingChange(ours, { state: 'Enabled', lastModified: ours.lastModified })).toBe('resumed');
  });

  test('a paused mapping disabled again stays paused; one that is no longer listed is gone', () => {
    const paused = { state: 'Disabled', lastModified: ours.lastModified + 5000 } as const;
    expect(mappingChange(paused, { state: 'Disabled', lastModified: paused.lastModified + 1000 })).toBe('paused');
    expect(mappingChange(paused, undefined)).toBe('gone');
  });
});
