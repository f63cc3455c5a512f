import { readDestinations, routes } from '../../../src/handlers/shared/destinations';

const env = (value: unknown) => ({ DELIVERY_DESTINATIONS: typeof value === 'string' ? value : JSON.stringify(value) });

describe('readDestinations', () => {
  it('reads nothing from an unset, blank or empty variable', () => {
    expect(readDestinations({}).size).toBe(0);
    expect(readDestinations(env('  ')).size).toBe(0);
    expect(readDestinations(env({})).size).toBe(0);
  });

  it('reads each destination with its route, absent lists meaning everything', () => {
    const destinations = readDestinations(
      env({
        default: { url: 'https://example.com/hooks', secretParameter: '/webhooks/default' },
        billing_2: { url: 'http://10.0.0.1:8080/in', secretParameter: '/webhooks/billing', sources: ['stripe'], eventTypes: ['invoice.*'] },
        open: { url: 'https://example.com', secretParameter: '/p', sources: null, eventTypes: null },
      }),
    );
    expect([...destinations.keys()]).toEqual(['default', 'billing_2', 'open']);
    expect(destinations.get('default')).toEqual({
      name: 'default',
      url: 'https://example.com/hooks',
      secretParameter: '/webhooks/default',
      sources: null,
      eventTypes: null,
    });
    expect(destinations.get('billing_2')).toMatchObject({ sources: ['stripe'], eventTypes: ['invoice.*'] });
    expect(destinations.get('open')).toMatchObject({ sources: null, eventTypes: null });
  });

  it.each([
    ['not JSON', '{', 'must be a JSON object of destination name to {"url": …, "secretParameter": …}'],
    ['an array', [], 'must be a JSON object of destination name to {"url": …, "secretParameter": …}'],
    [
      'a bad name',
      { 'a b': { url: 'https://x', secretParameter: '/p' } },
      'has destination "a b" whose name is not 1-64 letters, digits, "-" or "_"',
    ],
    ['a name too long', { ['n'.repeat(65)]: { url: 'https://x', secretParameter: '/p' } }, 'whose name is not 1-64'],
    ['settings that are not an object', { d: 'https://x' }, 'has destination "d" that is not an object'],
    ['no url', { d: { secretParameter: '/p' } }, 'has destination "d" with url null; expected an http(s) URL'],
    ['a url of another scheme', { d: { url: 'ftp://x', secretParameter: '/p' } }, 'with url "ftp://x"; expected an http(s) URL'],
    ['a url with a space', { d: { url: 'https://x y', secretParameter: '/p' } }, 'expected an http(s) URL'],
    ['a url that does not parse', { d: { url: 'http://[::1', secretParameter: '/p' } }, 'expected an http(s) URL'],
    ['no secretParameter', { d: { url: 'https://x' } }, 'with secretParameter null; expected an SSM parameter name starting with "/"'],
    ['a relative secretParameter', { d: { url: 'https://x', secretParameter: 'p' } }, 'with secretParameter "p"'],
    [
      'sources that are not a list',
      { d: { url: 'https://x', secretParameter: '/p', sources: 'stripe' } },
      'with sources "stripe"; expected a list',
    ],
    ['an empty event type', { d: { url: 'https://x', secretParameter: '/p', eventTypes: [''] } }, 'with eventTypes [""]; expected a list'],
  ])('rejects %s, naming the variable', (_what, value, problem) => {
    expect(() => readDestinations(env(value))).toThrow(/^Environment variable DELIVERY_DESTINATIONS /);
    expect(() => readDestinations(env(value))).toThrow(problem);
  });
});

describe('routes', () => {
  const all = { sources: null, eventTypes: null };

  it('takes everything when neither list is set', () => {
    expect(routes(all, 'stripe', 'invoice.paid')).toBe(true);
  });

  it('filters by source', () => {
    expect(routes({ ...all, sources: ['stripe', 'shop'] }, 'shop', 'x')).toBe(true);
    expect(routes({ ...all, sources: ['stripe'] }, 'github', 'x')).toBe(false);
  });

  it('filters by event type, exactly or by a prefix ending in *', () => {
    const destination = { sources: null, eventTypes: ['invoice.*', 'customer.created'] };
    expect(routes(destination, 's', 'invoice.paid')).toBe(true);
    expect(routes(destination, 's', 'customer.created')).toBe(true);
    expect(routes(destination, 's', 'customer.deleted')).toBe(false);
    expect(routes(destination, 's', 'invoices')).toBe(false);
    expect(routes({ sources: null, eventTypes: ['*'] }, 's', 'anything')).toBe(true);
  });

  it('needs both the source and the type to match', () => {
    expect(routes({ sources: ['stripe'], eventTypes: ['invoice.*'] }, 'shop', 'invoice.paid')).toBe(false);
  });
});
