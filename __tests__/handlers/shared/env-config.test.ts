import {
  ConfigurationError,
  optionalString,
  optionalUrl,
  positiveInteger,
  requiredString,
  requiredUrl,
} from '../../../src/handlers/shared/env-config';

describe('environment readers', () => {
  it('reads a required string, trimmed', () => {
    expect(requiredString({ NAME: ' value ' }, 'NAME')).toBe('value');
  });

  it.each([{}, { NAME: '' }, { NAME: '   ' }])('names the variable when a required string is missing (%j)', (env) => {
    expect(() => requiredString(env, 'NAME')).toThrow(new ConfigurationError('NAME', 'must be set'));
    expect(() => requiredString(env, 'NAME')).toThrow('Environment variable NAME must be set');
  });

  it('reads an optional string as empty when unset', () => {
    expect(optionalString({}, 'NAME')).toBe('');
    expect(optionalString({ NAME: 'x' }, 'NAME')).toBe('x');
  });

  it('reads a positive integer or falls back to the default', () => {
    expect(positiveInteger({ N: '42' }, 'N', 7)).toBe(42);
    expect(positiveInteger({}, 'N', 7)).toBe(7);
    expect(positiveInteger({ N: '' }, 'N', 7)).toBe(7);
  });

  it.each(['0', '-5', '1.5', 'ten', '1e3', '99999999999999999999'])('rejects %j as a positive integer', (value) => {
    expect(() => positiveInteger({ N: value }, 'N', 7)).toThrow(`Environment variable N must be a positive integer, got "${value}"`);
  });

  it('reads http and https URLs', () => {
    expect(requiredUrl({ U: 'https://sqs.us-east-1.amazonaws.com/1/q' }, 'U')).toBe('https://sqs.us-east-1.amazonaws.com/1/q');
    expect(optionalUrl({ U: 'http://127.0.0.1:8080/hook' }, 'U')).toBe('http://127.0.0.1:8080/hook');
    expect(optionalUrl({}, 'U')).toBe('');
  });

  it('rejects values that are not http(s) URLs, naming the variable', () => {
    expect(() => requiredUrl({ U: 'not a url' }, 'U')).toThrow('Environment variable U must be an absolute URL, got "not a url"');
    expect(() => optionalUrl({ U: 'ftp://example.com/x' }, 'U')).toThrow('Environment variable U must be an http(s) URL');
    expect(() => requiredUrl({}, 'U')).toThrow('Environment variable U must be set');
  });

  it('exposes the variable on the error', () => {
    const error = (() => {
      try {
        requiredString({}, 'SOME_VAR');
      } catch (caught) {
        return caught as ConfigurationError;
      }
      throw new Error('expected a throw');
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.variable).toBe('SOME_VAR');
    expect(error.name).toBe('ConfigurationError');
  });
});
