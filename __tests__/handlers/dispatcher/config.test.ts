import { DEFAULT_DELIVERY_RETRY_SCHEDULE } from '../../../src/contract';
import { DEFAULT_DELIVERY_TIMEOUT_MS, readDispatcherConfig } from '../../../src/handlers/dispatcher/config';

const DESTINATIONS = JSON.stringify({ default: { url: 'https://example.com/hooks', secretParameter: '/webhooks/dev/default' } });
const QUEUES = {
  SOURCE_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/deliver',
  DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/deliver-dlq',
};

describe('readDispatcherConfig', () => {
  it('reads destinations, queues, the default schedule and the default timeout', () => {
    const config = readDispatcherConfig({ DELIVERY_DESTINATIONS: DESTINATIONS, ...QUEUES });
    expect(config).toEqual({
      destinations: new Map([
        [
          'default',
          { name: 'default', url: 'https://example.com/hooks', secretParameter: '/webhooks/dev/default', sources: null, eventTypes: null },
        ],
      ]),
      retrySchedule: DEFAULT_DELIVERY_RETRY_SCHEDULE,
      sourceQueueUrl: QUEUES.SOURCE_QUEUE_URL,
      deadLetterQueueUrl: QUEUES.DEAD_LETTER_QUEUE_URL,
      laneQueueUrl: null,
      laneDeadLetterQueueUrl: null,
      deliveryTimeoutMs: 5_000,
      archiveStream: '',
    });
    expect(DEFAULT_DELIVERY_TIMEOUT_MS).toBe(5_000);
  });

  it('reads the archive stream, blank meaning no archive', () => {
    expect(readDispatcherConfig({ ...QUEUES, ARCHIVE_ATTEMPT_STREAM: 'webhook-history-attempts-dev' }).archiveStream).toBe(
      'webhook-history-attempts-dev',
    );
    expect(readDispatcherConfig({ ...QUEUES, ARCHIVE_ATTEMPT_STREAM: '  ' }).archiveStream).toBe('');
  });

  it("reads the lanes' URL templates and a destination's own retry schedule", () => {
    const config = readDispatcherConfig({
      DELIVERY_DESTINATIONS: JSON.stringify({
        crm: { url: 'https://crm.example.com/in', secretParameter: '/d/crm', retrySchedule: [1, 2, 3, 4] },
      }),
      ...QUEUES,
      DELIVERY_LANE_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/webhook-lane-{destination}-dev',
      DELIVERY_LANE_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/webhook-lanedlq-{destination}-dev',
    });
    expect(config.laneQueueUrl).toBe('https://sqs.us-east-1.amazonaws.com/123456789012/webhook-lane-{destination}-dev');
    expect(config.laneDeadLetterQueueUrl).toBe('https://sqs.us-east-1.amazonaws.com/123456789012/webhook-lanedlq-{destination}-dev');
    expect(config.destinations.get('crm')?.retrySchedule).toEqual([1, 2, 3, 4]);
    expect(() =>
      readDispatcherConfig({
        DELIVERY_DESTINATIONS: JSON.stringify({
          crm: { url: 'https://crm.example.com/in', secretParameter: '/d/crm', retrySchedule: [0] },
        }),
        ...QUEUES,
      }),
    ).toThrow('has destination "crm" with retrySchedule [0]; expected null or a non-empty list of whole seconds');
    // The same rule as DELIVERY_RETRY_SCHEDULE: a step beyond SQS's visibility cap cannot be a backoff.
    expect(() =>
      readDispatcherConfig({
        DELIVERY_DESTINATIONS: JSON.stringify({
          crm: { url: 'https://crm.example.com/in', secretParameter: '/d/crm', retrySchedule: [1, 43201] },
        }),
        ...QUEUES,
      }),
    ).toThrow('(at most 20 steps, each 1-43200)');
  });

  it('reads a schedule and a timeout of its own', () => {
    const config = readDispatcherConfig({
      DELIVERY_DESTINATIONS: DESTINATIONS,
      ...QUEUES,
      DELIVERY_RETRY_SCHEDULE: '[2, 60]',
      DELIVERY_TIMEOUT_MS: '750',
    });
    expect(config.retrySchedule).toEqual([2, 60]);
    expect(config.deliveryTimeoutMs).toBe(750);
  });

  it('needs no queue URL while no destination is configured, and keeps those given', () => {
    expect(readDispatcherConfig({})).toMatchObject({ destinations: new Map(), sourceQueueUrl: null, deadLetterQueueUrl: null });
    expect(readDispatcherConfig({ DELIVERY_DESTINATIONS: '{}', DEAD_LETTER_QUEUE_URL: QUEUES.DEAD_LETTER_QUEUE_URL })).toMatchObject({
      sourceQueueUrl: null,
      deadLetterQueueUrl: QUEUES.DEAD_LETTER_QUEUE_URL,
    });
  });

  it('no longer reads the 0.1.0 variables', () => {
    const config = readDispatcherConfig({ DELIVERY_URL: 'https://old.example.com', DELIVERY_SECRET_PARAMETER: '/old' });
    expect(config.destinations.size).toBe(0);
  });

  it.each([
    ['SOURCE_QUEUE_URL', { DELIVERY_DESTINATIONS: DESTINATIONS, DEAD_LETTER_QUEUE_URL: QUEUES.DEAD_LETTER_QUEUE_URL }],
    ['DEAD_LETTER_QUEUE_URL', { DELIVERY_DESTINATIONS: DESTINATIONS, SOURCE_QUEUE_URL: QUEUES.SOURCE_QUEUE_URL }],
    ['DEAD_LETTER_QUEUE_URL', { DELIVERY_DESTINATIONS: DESTINATIONS, ...QUEUES, DEAD_LETTER_QUEUE_URL: 'deliver-dlq' }],
    ['DELIVERY_TIMEOUT_MS', { DELIVERY_DESTINATIONS: DESTINATIONS, ...QUEUES, DELIVERY_TIMEOUT_MS: '5s' }],
    ['DELIVERY_RETRY_SCHEDULE', { DELIVERY_DESTINATIONS: DESTINATIONS, ...QUEUES, DELIVERY_RETRY_SCHEDULE: '5,10' }],
    ['DELIVERY_DESTINATIONS', { DELIVERY_DESTINATIONS: '[]', ...QUEUES }],
  ])('fails naming %s when it is wrong', (variable, env) => {
    expect(() => readDispatcherConfig(env)).toThrow(`Environment variable ${variable} `);
  });
});
