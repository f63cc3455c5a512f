import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import {
  createSecretReader,
  MissingSecretError,
  SECRET_CACHE_SECONDS,
  SECRET_REFRESH_INTERVAL_SECONDS,
} from '../../../src/handlers/shared/secrets';

/**
 * An SSM client whose requests never leave the process: a middleware answers each GetParameter
 * from `answer`, so the reader's error mapping and caching are tested without an endpoint.
 */
function stubbedSsm(answer: (name: string) => string | Error) {
  const client = new SSMClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const requests: { name: string; decrypt: boolean | undefined }[] = [];
  client.middlewareStack.add(
    () => async (args) => {
      const input = args.input as GetParameterCommand['input'];
      requests.push({ name: input.Name ?? '', decrypt: input.WithDecryption });
      const result = answer(input.Name ?? '');
      if (result instanceof Error) throw result;
      return { output: { $metadata: {}, Parameter: { Name: input.Name, Value: result } }, response: {} };
    },
    { step: 'initialize', name: 'answerFromStub' },
  );
  return { client, requests };
}

describe('createSecretReader', () => {
  it('reads decrypted and caches the value', async () => {
    const { client, requests } = stubbedSsm(() => 'the-secret');
    const readSecret = createSecretReader(client);
    expect(await readSecret('/p/a')).toBe('the-secret');
    expect(await readSecret('/p/a')).toBe('the-secret');
    expect(requests).toEqual([{ name: '/p/a', decrypt: true }]);
  });

  it('caches for five minutes by default', () => {
    expect(SECRET_CACHE_SECONDS).toBe(300);
  });

  it('reads again once the cache entry is older than the max age', async () => {
    const { client, requests } = stubbedSsm(() => 'the-secret');
    const readSecret = createSecretReader(client, 0);
    await readSecret('/p/a');
    await readSecret('/p/a');
    expect(requests).toHaveLength(2);
  });

  it('bypasses the cache on refresh, at most once per refresh interval per parameter', async () => {
    let value = 'old';
    let clock = 1_000_000;
    const { client, requests } = stubbedSsm(() => value);
    const readSecret = createSecretReader(client, SECRET_CACHE_SECONDS, () => clock);
    expect(await readSecret('/p/a')).toBe('old');
    value = 'rotated';
    expect(await readSecret('/p/a')).toBe('old');
    expect(await readSecret('/p/a', { refresh: true })).toBe('rotated');
    value = 'rotated-again';
    clock += (SECRET_REFRESH_INTERVAL_SECONDS - 1) * 1000;
    expect(await readSecret('/p/a', { refresh: true })).toBe('rotated');
    expect(await readSecret('/p/b', { refresh: true })).toBe('rotated-again');
    clock += 1000;
    expect(await readSecret('/p/a', { refresh: true })).toBe('rotated-again');
    expect(requests.map((r) => r.name)).toEqual(['/p/a', '/p/a', '/p/b', '/p/a']);
  });

  it('maps a missing parameter to MissingSecretError', async () => {
    const { client } = stubbedSsm(() => new ParameterNotFound({ message: 'not found', $metadata: {} }));
    await expect(createSecretReader(client)('/p/missing')).rejects.toEqual(new MissingSecretError('/p/missing'));
  });

  it('treats an empty value as missing', async () => {
    const { client } = stubbedSsm(() => '');
    await expect(createSecretReader(client)('/p/empty')).rejects.toBeInstanceOf(MissingSecretError);
  });

  it('propagates any other failure, so the record is retried', async () => {
    const { client } = stubbedSsm(() => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(createSecretReader(client)('/p/a')).rejects.toThrow('Rate exceeded');
    await expect(createSecretReader(client)('/p/a')).rejects.not.toBeInstanceOf(MissingSecretError);
  });
});
