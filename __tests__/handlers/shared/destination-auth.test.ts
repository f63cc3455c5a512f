import { readDestinations } from '../../../src/handlers/shared/destinations';

const env = (value: unknown) => ({ DELIVERY_DESTINATIONS: JSON.stringify(value) });
const base = { url: 'https://crm.example/in', secretParameter: '/p/crm', sources: null, eventTypes: null };

describe('DELIVERY_DESTINATIONS: timeoutSeconds and auth', () => {
  it('reads a JSON written before these fields, or with them null, exactly as before', () => {
    for (const settings of [base, { ...base, timeoutSeconds: null, auth: null }]) {
      expect(readDestinations(env({ crm: settings })).get('crm')).toStrictEqual({ name: 'crm', ...base });
    }
  });

  it('reads each kind of auth with its parameter name, and a timeout', () => {
    const destinations = readDestinations(
      env({
        keyed: { ...base, timeoutSeconds: 30, auth: { type: 'header', name: 'X-Api-Key', parameter: '/p/keyed/auth' } },
        basic: { ...base, auth: { type: 'basic', parameter: '/p/basic/auth' } },
        crm: {
          ...base,
          timeoutSeconds: 1,
          auth: { type: 'oauth2', tokenUrl: 'https://id.example/t', clientId: 'c', parameter: '/p/crm/auth' },
        },
        scoped: {
          ...base,
          auth: { type: 'oauth2', tokenUrl: 'http://127.0.0.1:9/t', clientId: 'c', scope: 'a b', parameter: '/p/s/auth' },
        },
      }),
    );
    expect(destinations.get('keyed')).toMatchObject({
      timeoutSeconds: 30,
      auth: { type: 'header', name: 'X-Api-Key', parameter: '/p/keyed/auth' },
    });
    expect(destinations.get('basic')?.auth).toStrictEqual({ type: 'basic', parameter: '/p/basic/auth' });
    expect(destinations.get('crm')).toMatchObject({
      timeoutSeconds: 1,
      auth: { type: 'oauth2', tokenUrl: 'https://id.example/t', clientId: 'c', scope: null, parameter: '/p/crm/auth' },
    });
    expect(destinations.get('scoped')?.auth).toMatchObject({ scope: 'a b' });
  });

  it.each<[string, unknown, string]>([
    ['a timeout of 0', { timeoutSeconds: 0 }, 'with timeoutSeconds 0; expected a whole number from 1 to 30 or null'],
    ['a timeout of 31', { timeoutSeconds: 31 }, 'with timeoutSeconds 31'],
    ['a string timeout', { timeoutSeconds: '5' }, 'with timeoutSeconds "5"'],
    ['an auth list', { auth: [] }, 'with auth []; expected an object or null'],
    ['an unknown type', { auth: { type: 'digest', parameter: '/a' } }, 'with auth.type "digest"; expected one of header, basic, oauth2'],
    ['no parameter', { auth: { type: 'basic' } }, 'with auth.parameter null; expected an SSM parameter name'],
    ['a reserved header', { auth: { type: 'header', name: 'Webhook-Signature', parameter: '/a' } }, 'with auth.name "Webhook-Signature"'],
    ['an x-webhook- header', { auth: { type: 'header', name: 'x-webhook-key', parameter: '/a' } }, 'with auth.name "x-webhook-key"'],
    ['a header with a space', { auth: { type: 'header', name: 'X Key', parameter: '/a' } }, 'with auth.name "X Key"'],
    ['no token URL', { auth: { type: 'oauth2', clientId: 'c', parameter: '/a' } }, 'with auth.tokenUrl null; expected an http(s) URL'],
    ['a bad token URL', { auth: { type: 'oauth2', tokenUrl: 'https://exa mple', clientId: 'c', parameter: '/a' } }, 'with auth.tokenUrl'],
    ['an unparsable token URL', { auth: { type: 'oauth2', tokenUrl: 'https://[x', clientId: 'c', parameter: '/a' } }, 'with auth.tokenUrl'],
    ['no client id', { auth: { type: 'oauth2', tokenUrl: 'https://i.example', parameter: '/a' } }, 'with auth.clientId null'],
    [
      'a bad scope',
      { auth: { type: 'oauth2', tokenUrl: 'https://i.example', clientId: 'c', scope: '"', parameter: '/a' } },
      'with auth.scope "\\""',
    ],
  ])('fails at cold start on %s, naming the destination', (_case, extra, problem) => {
    expect(() => readDestinations(env({ crm: { ...base, ...(extra as object) } }))).toThrow(
      `Environment variable DELIVERY_DESTINATIONS has destination "crm" ${problem}`,
    );
  });
});
