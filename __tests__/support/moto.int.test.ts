import { CreateQueueCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startMoto } from './moto';

jest.setTimeout(40_000);

describe('startMoto', () => {
  it('serves AWS APIs on a loopback port, resets, and stops', async () => {
    const moto = await startMoto();
    try {
      expect(moto.endpoint).toBe(`http://127.0.0.1:${moto.port}`);
      expect(moto.awsEnv).toMatchObject({ AWS_ENDPOINT_URL: moto.endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_REGION: 'us-east-1' });
      expect(process.env.AWS_ACCESS_KEY_ID).toBe('testing');
      const sqs = new SQSClient({ endpoint: moto.endpoint, region: 'us-east-1' });
      await sqs.send(new CreateQueueCommand({ QueueName: 'q' }));
      expect((await sqs.send(new ListQueuesCommand({}))).QueueUrls).toHaveLength(1);
      await moto.reset();
      expect((await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []).toHaveLength(0);
      sqs.destroy();
    } finally {
      await moto.stop();
    }
    await expect(fetch(moto.endpoint, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
    await moto.stop();
  });

  it('fails with a clear message when moto cannot be started', async () => {
    await expect(startMoto({ python: 'no-such-python-for-moto' })).rejects.toThrow(
      'moto could not be started (no-such-python-for-moto -m moto.server)',
    );
  });

  it('fails with moto’s own output when the server exits', async () => {
    await expect(startMoto({ python: 'false' })).rejects.toThrow(/moto server exited with code 1 before answering/);
  });
});
