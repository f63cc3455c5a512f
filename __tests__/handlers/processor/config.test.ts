import { DEFAULT_IDEMPOTENCY_TTL_SECONDS, readProcessorConfig } from '../../../src/handlers/processor/config';

const env = {
  NEXT_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/webhook-deliver-dev',
  IDEMPOTENCY_TABLE_NAME: 'webhook-idempotency-dev',
};

describe('readProcessorConfig', () => {
  it('defaults the idempotency TTL to 24 hours', () => {
    expect(readProcessorConfig(env)).toEqual({
      laneQueueUrl: env.NEXT_QUEUE_URL,
      idempotencyTableName: 'webhook-idempotency-dev',
      idempotencyTtlSeconds: 86_400,
      destinations: new Map(),
      maxMessageBytes: 262_144,
      archiveStream: '',
    });
    expect(DEFAULT_IDEMPOTENCY_TTL_SECONDS).toBe(86_400);
  });

  it('reads the archive stream, blank meaning no archive', () => {
    expect(readProcessorConfig({ ...env, ARCHIVE_WEBHOOK_STREAM: ' webhook-history-webhooks-dev ' }).archiveStream).toBe(
      'webhook-history-webhooks-dev',
    );
    expect(readProcessorConfig({ ...env, ARCHIVE_WEBHOOK_STREAM: '' }).archiveStream).toBe('');
  });

  it("reads the deliver queue's message limit, which sizes its batches", () => {
    expect(readProcessorConfig({ ...env, MAX_MESSAGE_BYTES: '1048576' }).maxMessageBytes).toBe(1_048_576);
    expect(() => readProcessorConfig({ ...env, MAX_MESSAGE_BYTES: '1 MiB' })).toThrow('Environment variable MAX_MESSAGE_BYTES ');
  });

  it("sends each destination's deliveries to its lane when the lanes' URL is set, else to NEXT_QUEUE_URL's one queue", () => {
    const lanes = 'https://sqs.us-east-1.amazonaws.com/123456789012/webhook-lane-{destination}-dev';
    expect(readProcessorConfig({ ...env, DELIVERY_LANE_QUEUE_URL: lanes }).laneQueueUrl).toBe(lanes);
    expect(readProcessorConfig({ IDEMPOTENCY_TABLE_NAME: 't', DELIVERY_LANE_QUEUE_URL: lanes }).laneQueueUrl).toBe(lanes);
    expect(() => readProcessorConfig({ ...env, DELIVERY_LANE_QUEUE_URL: 'sqs://nowhere' })).toThrow(
      'Environment variable DELIVERY_LANE_QUEUE_URL ',
    );
  });

  it('reads an explicit TTL', () => {
    expect(readProcessorConfig({ ...env, IDEMPOTENCY_TTL_SECONDS: '172800' }).idempotencyTtlSeconds).toBe(172_800);
  });

  it('reads the delivery destinations', () => {
    const DELIVERY_DESTINATIONS = JSON.stringify({
      crm: { url: 'https://crm.example.com/hooks', secretParameter: '/d/crm', sources: ['shop'], eventTypes: ['orders/*'] },
    });
    expect([...readProcessorConfig({ ...env, DELIVERY_DESTINATIONS }).destinations.values()]).toEqual([
      { name: 'crm', url: 'https://crm.example.com/hooks', secretParameter: '/d/crm', sources: ['shop'], eventTypes: ['orders/*'] },
    ]);
  });

  it.each([
    ['DELIVERY_DESTINATIONS', { DELIVERY_DESTINATIONS: '[]' }],
    ['NEXT_QUEUE_URL', { NEXT_QUEUE_URL: '' }],
    ['IDEMPOTENCY_TABLE_NAME', { IDEMPOTENCY_TABLE_NAME: undefined }],
    ['IDEMPOTENCY_TTL_SECONDS', { IDEMPOTENCY_TTL_SECONDS: '-1' }],
  ])('fails naming %s when it is wrong', (variable, override) => {
    expect(() => readProcessorConfig({ ...env, ...override })).toThrow(`Environment variable ${variable} `);
  });
});
