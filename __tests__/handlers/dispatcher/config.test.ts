import { DEFAULT_DELIVERY_TIMEOUT_MS, readDispatcherConfig } from '../../../src/handlers/dispatcher/config';

describe('readDispatcherConfig', () => {
  it('disables delivery when DELIVERY_URL is empty or unset, without needing the secret', () => {
    expect(readDispatcherConfig({ DELIVERY_URL: '' })).toEqual({ enabled: false });
    expect(readDispatcherConfig({})).toEqual({ enabled: false });
  });

  it('reads the target, the secret parameter and the default timeout', () => {
    expect(
      readDispatcherConfig({ DELIVERY_URL: 'https://example.com/hooks', DELIVERY_SECRET_PARAMETER: '/webhooks/dev/delivery' }),
    ).toEqual({
      enabled: true,
      deliveryUrl: 'https://example.com/hooks',
      deliverySecretParameter: '/webhooks/dev/delivery',
      deliveryTimeoutMs: 5_000,
    });
    expect(DEFAULT_DELIVERY_TIMEOUT_MS).toBe(5_000);
  });

  it.each([
    ['DELIVERY_URL', { DELIVERY_URL: 'example.com/hooks', DELIVERY_SECRET_PARAMETER: '/p' }],
    ['DELIVERY_SECRET_PARAMETER', { DELIVERY_URL: 'https://example.com' }],
    ['DELIVERY_TIMEOUT_MS', { DELIVERY_URL: 'https://example.com', DELIVERY_SECRET_PARAMETER: '/p', DELIVERY_TIMEOUT_MS: '5s' }],
  ])('fails naming %s when it is wrong', (variable, env) => {
    expect(() => readDispatcherConfig(env)).toThrow(`Environment variable ${variable} `);
  });
});
