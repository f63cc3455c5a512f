import { MAX_SUFFIX_LENGTH, namedKinds, resourceName } from '../../../src/config/naming';

describe('naming', () => {
  test('joins parts with the environment suffix expression', () => {
    expect(resourceName('ingest', 'dlq')).toBe('webhook-ingest-dlq-${var.environment_suffix}');
  });

  test.each(namedKinds())('the longest %s name fits its AWS limit with the longest suffix', (_kind, { longestStem, limit }) => {
    const longest = `${longestStem}-${'a'.repeat(MAX_SUFFIX_LENGTH)}`;
    expect(longest.length).toBeLessThanOrEqual(limit);
  });

  test('the suffix bound is tight enough to be meaningful', () => {
    expect(MAX_SUFFIX_LENGTH).toBeGreaterThanOrEqual(8);
    expect(MAX_SUFFIX_LENGTH).toBeLessThanOrEqual(40);
  });
});
