import { parseRetryAfter } from '../../../src/handlers/dispatcher/retry-after';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00.000Z');

  it('reads delta-seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });

  it.each([
    ['IMF-fixdate', 'Thu, 01 Jan 2026 00:01:30 GMT'],
    ['RFC 850', 'Thursday, 01-Jan-26 00:01:30 GMT'],
    ['asctime', 'Thu Jan  1 00:01:30 2026'],
  ])('reads an HTTP-date (%s) as seconds from now', (_form, header) => {
    expect(parseRetryAfter(header, now)).toBe(90);
  });

  it('rounds a date up to whole seconds and reads one already past as 0', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:01 GMT', now + 500)).toBe(1);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
  });

  it.each([[null], [undefined], [''], ['soon'], ['1.5'], ['-3'], ['Mon, 99 Foo 2026']])('ignores %p', (header) => {
    expect(parseRetryAfter(header, now)).toBeUndefined();
  });
});
