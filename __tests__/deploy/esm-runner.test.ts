import { recordsToDelete, toSqsRecord } from '../../scripts/lib/esm-runner';

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
