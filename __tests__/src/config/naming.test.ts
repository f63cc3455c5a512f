import { MAX_SUFFIX_LENGTH, maxSuffixLength, namedKinds, ResourceNames } from '../../../src/config/naming';
import { Token } from 'cdktf';

describe('naming', () => {
  test('joins prefix, parts and suffix; the defaults are webhook and dev', () => {
    expect(new ResourceNames().of('ingest', 'dlq')).toBe('webhook-ingest-dlq-dev');
    expect(new ResourceNames({ prefix: 'hooks', suffix: 'prod' }).of('api')).toBe('hooks-api-prod');
  });

  test('a token suffix is kept for plan time', () => {
    const suffix = Token.asString({ resolve: () => 'x' });
    expect(new ResourceNames({ suffix }).of('api')).toBe(`webhook-api-${suffix}`);
  });

  test.each(namedKinds())('the longest %s name fits its AWS limit with the longest suffix', (_kind, { longestStem, limit }) => {
    const longest = new ResourceNames({ suffix: 'a'.repeat(MAX_SUFFIX_LENGTH) }).of(longestStem);
    expect(longest.length).toBeLessThanOrEqual(limit);
  });

  test('a longer prefix leaves less room for the suffix, and the bound stays meaningful', () => {
    expect(MAX_SUFFIX_LENGTH).toBe(24);
    expect(maxSuffixLength('a'.repeat(24))).toBeLessThan(MAX_SUFFIX_LENGTH);
    expect(maxSuffixLength('a'.repeat(24))).toBeGreaterThanOrEqual(8);
  });

  test.each<[string, Record<string, string>, RegExp]>([
    ['an upper-case prefix', { prefix: 'Webhook' }, /namePrefix must be 1-24 lowercase .* got "Webhook"/],
    ['a prefix with a trailing hyphen', { prefix: 'hooks-' }, /namePrefix .* got "hooks-"/],
    ['an empty suffix', { suffix: '' }, /environmentSuffix must be 1-24 .* got ""/],
    [
      'a suffix too long for the IAM role names',
      { prefix: 'a'.repeat(24), suffix: 'b'.repeat(24) },
      /environmentSuffix must be 1-22 .* got "b{24}"/,
    ],
    ['a suffix with an underscore', { suffix: 'my_env' }, /environmentSuffix .* got "my_env"/],
  ])('rejects %s, naming the prop and the value', (_case, props, message) => {
    expect(() => new ResourceNames(props)).toThrow(message);
  });
});
