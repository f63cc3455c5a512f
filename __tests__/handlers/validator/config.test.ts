import {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_STRIPE_TOLERANCE_SECONDS,
  MAX_TOLERANCE_SECONDS,
  parseWebhookSources,
  readValidatorConfig,
  secretParameterOf,
  toleranceSecondsOf,
} from '../../../src/handlers/validator/config';

const env = {
  NEXT_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/webhook-process-dev',
  WEBHOOK_SOURCES: '{"github":{"scheme":"github"},"billing":{"scheme":"stripe"}}',
  SOURCE_SECRETS_PATH: '/webhook-pipeline/dev/sources/',
};

describe('readValidatorConfig', () => {
  it('reads the contract variables, with defaults', () => {
    expect(readValidatorConfig(env)).toEqual({
      nextQueueUrl: env.NEXT_QUEUE_URL,
      sources: new Map([
        ['github', { scheme: 'github', toleranceSeconds: null, secretParameter: null }],
        ['billing', { scheme: 'stripe', toleranceSeconds: null, secretParameter: null }],
      ]),
      sourceSecretsPath: '/webhook-pipeline/dev/sources/',
      stripeToleranceSeconds: DEFAULT_STRIPE_TOLERANCE_SECONDS,
      maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
      maxMessageBytes: 262_144,
    });
    expect(DEFAULT_STRIPE_TOLERANCE_SECONDS).toBe(300);
    expect(DEFAULT_MAX_BODY_BYTES).toBe(262_144);
  });

  it('reads explicit limits', () => {
    const config = readValidatorConfig({ ...env, STRIPE_TOLERANCE_SECONDS: '60', MAX_BODY_BYTES: '1024', MAX_MESSAGE_BYTES: '1048576' });
    expect(config.stripeToleranceSeconds).toBe(60);
    expect(config.maxBodyBytes).toBe(1024);
    expect(config.maxMessageBytes).toBe(1_048_576);
  });

  it.each([
    ['NEXT_QUEUE_URL', { NEXT_QUEUE_URL: undefined }],
    ['WEBHOOK_SOURCES', { WEBHOOK_SOURCES: '' }],
    ['SOURCE_SECRETS_PATH', { SOURCE_SECRETS_PATH: '/webhook-pipeline/dev/sources' }],
    ['STRIPE_TOLERANCE_SECONDS', { STRIPE_TOLERANCE_SECONDS: 'five minutes' }],
    ['MAX_BODY_BYTES', { MAX_BODY_BYTES: '0' }],
    ['MAX_MESSAGE_BYTES', { MAX_MESSAGE_BYTES: '256k' }],
  ])('fails naming %s when it is wrong', (variable, override) => {
    expect(() => readValidatorConfig({ ...env, ...override })).toThrow(`Environment variable ${variable} `);
  });
});

describe('parseWebhookSources', () => {
  it('accepts every scheme and an empty map', () => {
    const json = JSON.stringify({
      a: { scheme: 'github' },
      b: { scheme: 'stripe' },
      c: { scheme: 'shopify' },
      d: { scheme: 'hmac-sha256' },
      e: { scheme: 'standard-webhooks' },
      f: { scheme: 'slack' },
      g: { scheme: 'paddle' },
      h: { scheme: 'linear' },
    });
    expect([...parseWebhookSources(json).values()].map((settings) => settings.scheme)).toEqual([
      'github',
      'stripe',
      'shopify',
      'hmac-sha256',
      'standard-webhooks',
      'slack',
      'paddle',
      'linear',
    ]);
    expect(parseWebhookSources('{}').size).toBe(0);
  });

  it('reads per-source tolerance and secret parameter, each optional or null', () => {
    const sources = parseWebhookSources(
      JSON.stringify({
        slow: { scheme: 'stripe', toleranceSeconds: 900, secretParameter: '/shared/stripe-secret' },
        day: { scheme: 'slack', toleranceSeconds: MAX_TOLERANCE_SECONDS },
        one: { scheme: 'paddle', toleranceSeconds: 1, secretParameter: null },
        plain: { scheme: 'github', toleranceSeconds: null },
      }),
    );
    expect(Object.fromEntries(sources)).toEqual({
      slow: { scheme: 'stripe', toleranceSeconds: 900, secretParameter: '/shared/stripe-secret' },
      day: { scheme: 'slack', toleranceSeconds: 86_400, secretParameter: null },
      one: { scheme: 'paddle', toleranceSeconds: 1, secretParameter: null },
      plain: { scheme: 'github', toleranceSeconds: null, secretParameter: null },
    });
    const config = { sourceSecretsPath: '/p/', stripeToleranceSeconds: 300 };
    expect(secretParameterOf(config, 'slow', sources.get('slow')!)).toBe('/shared/stripe-secret');
    expect(secretParameterOf(config, 'plain', sources.get('plain')!)).toBe('/p/plain');
    expect(toleranceSecondsOf(config, sources.get('slow')!)).toBe(900);
    expect(toleranceSecondsOf(config, sources.get('plain')!)).toBe(300);
  });

  it.each([
    ['zero', 0],
    ['a negative number', -5],
    ['more than a day', 86_401],
    ['a fraction', 1.5],
    ['a string', '300'],
  ])('rejects a toleranceSeconds of %s, naming the source and the value', (_name, value) => {
    expect(() => parseWebhookSources(JSON.stringify({ billing: { scheme: 'stripe', toleranceSeconds: value } }))).toThrow(
      `Environment variable WEBHOOK_SOURCES has source "billing" with toleranceSeconds ${JSON.stringify(value)}; expected a whole number of seconds from 1 to 86400, or null`,
    );
  });

  it.each([
    ['a relative name', 'sources/gh'],
    ['"/" alone', '/'],
    ['a name with a space', '/a b'],
    ['a number', 7],
    ['an empty string', ''],
  ])('rejects a secretParameter of %s, naming the source and the value', (_name, value) => {
    expect(() => parseWebhookSources(JSON.stringify({ gh: { scheme: 'github', secretParameter: value } }))).toThrow(
      `Environment variable WEBHOOK_SOURCES has source "gh" with secretParameter ${JSON.stringify(value)}; expected an SSM parameter name starting with "/", or null`,
    );
  });

  it.each([
    ['not JSON', '{github', 'must be a JSON object'],
    ['an array', '[]', 'must be a JSON object'],
    [
      'an unknown scheme',
      '{"a":{"scheme":"paypal"}}',
      'has source "a" with scheme "paypal"; expected one of github, stripe, shopify, hmac-sha256, standard-webhooks, slack, paddle, linear',
    ],
    ['a settings string', '{"a":"github"}', 'has source "a" with scheme null'],
    ['a missing scheme', '{"a":{}}', 'has source "a" with scheme null'],
  ])('rejects %s, naming WEBHOOK_SOURCES', (_name, json, problem) => {
    expect(() => parseWebhookSources(json)).toThrow(`Environment variable WEBHOOK_SOURCES ${problem}`);
  });
});
