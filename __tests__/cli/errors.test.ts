import { CliError, awsError, causes, runtimeError, usageError } from '../../src/cli/errors';

const sdkError = (name: string, message = 'the SDK says no', extra: object = {}) => Object.assign(new Error(message), { name, ...extra });

describe('awsError words each failure as what to do', () => {
  test.each([
    [sdkError('CredentialsProviderError', 'Could not load credentials from any providers'), /no AWS credentials found; set AWS_PROFILE/],
    [new Error('Could not load credentials from any providers'), /no AWS credentials found/],
    [sdkError('ExpiredTokenException'), /the AWS credentials have expired; refresh them/],
    [sdkError('Error', 'x', { code: 'ExpiredToken' }), /the AWS credentials have expired/],
    [sdkError('UnrecognizedClientException'), /AWS rejected the credentials \(UnrecognizedClientException\)/],
    [
      sdkError('AccessDeniedException', 'not authorized to perform lambda:UpdateEventSourceMapping'),
      /access denied; the caller needs .*\(not authorized/,
    ],
    [sdkError('Error', 'Region is missing'), /no AWS region; pass --region or set AWS_REGION/],
    [sdkError('ResourceNotFoundException'), /it does not exist in this account and region; check --region/],
    [sdkError('AWS.SimpleQueueService.NonExistentQueue'), /it does not exist/],
    [sdkError('QueueDoesNotExist'), /it does not exist/],
    [sdkError('ThrottlingException', 'Rate exceeded'), /failed: ThrottlingException: Rate exceeded$/],
    ['a string', /failed: error: a string$/],
    [undefined, /failed: error: undefined$/],
  ])('%#', (error, message) => {
    const wrapped = awsError(error, 'reading billing');
    expect(wrapped.message).toMatch(/^reading billing failed: /);
    expect(wrapped.message).toMatch(message);
    expect(wrapped).toMatchObject({ exitCode: 1, cause: error });
  });

  test('an unreachable endpoint names it', () => {
    const refused = sdkError('Error', 'connect ECONNREFUSED 127.0.0.1:9', { code: 'ECONNREFUSED' });
    expect(awsError(refused, 'x', 'http://127.0.0.1:9').message).toBe(
      'x failed: cannot reach http://127.0.0.1:9: is the local AWS API running?',
    );
    expect(awsError(sdkError('Error', 'getaddrinfo ENOTFOUND sqs.nowhere'), 'x').message).toBe(
      'x failed: cannot reach AWS: check the network, or --endpoint-url?',
    );
  });

  test('a CliError passes through', () => {
    const original = usageError('already worded');
    expect(awsError(original, 'x')).toBe(original);
  });
});

test('usage and runtime errors carry their exit codes', () => {
  expect(usageError('u')).toMatchObject({ exitCode: 2, name: 'CliError' });
  expect(runtimeError('r')).toBeInstanceOf(CliError);
  expect(runtimeError('r').exitCode).toBe(1);
});

test('causes: the chain, one line each, at most five', () => {
  const root = new Error('socket hang up');
  expect(causes(runtimeError('top', sdkError('TimeoutError', 'timed out', { cause: root })))).toEqual([
    'TimeoutError: timed out',
    'Error: socket hang up',
  ]);
  expect(causes(runtimeError('top', 'a string'))).toEqual(['a string']);
  expect(causes('not an error')).toEqual([]);
  let deep: Error = new Error('0');
  for (let i = 1; i < 10; i += 1) deep = new Error(String(i), { cause: deep });
  expect(causes(deep)).toHaveLength(5);
});
