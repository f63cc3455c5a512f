import { signPrefixedHex, verifyPrefixedHex } from '../../../../src/handlers/shared/signatures/prefixed-hex';
import { GENERIC_VECTOR, GITHUB_DOCS_VECTOR } from './vectors';

describe('sha256=<hex> signatures (GitHub, generic, outgoing deliveries)', () => {
  it.each([
    ['GitHub documentation example', GITHUB_DOCS_VECTOR],
    ['generic openssl vector', GENERIC_VECTOR],
  ])('accepts the %s', (_name, vector) => {
    expect(verifyPrefixedHex(vector.header, vector.body, vector.secret)).toEqual({ valid: true });
  });

  it('signs exactly as the documented example', () => {
    expect(signPrefixedHex(GITHUB_DOCS_VECTOR.body, GITHUB_DOCS_VECTOR.secret)).toBe(GITHUB_DOCS_VECTOR.header);
  });

  it('accepts upper-case hex, which decodes to the same digest', () => {
    const header = `sha256=${GITHUB_DOCS_VECTOR.header.slice('sha256='.length).toUpperCase()}`;
    expect(verifyPrefixedHex(header, GITHUB_DOCS_VECTOR.body, GITHUB_DOCS_VECTOR.secret).valid).toBe(true);
  });

  it('rejects a tampered body', () => {
    expect(verifyPrefixedHex(GITHUB_DOCS_VECTOR.header, 'Hello, World?', GITHUB_DOCS_VECTOR.secret)).toEqual({
      valid: false,
      reason: 'bad-signature',
    });
  });

  it('rejects a signature made with another secret', () => {
    expect(verifyPrefixedHex(GITHUB_DOCS_VECTOR.header, GITHUB_DOCS_VECTOR.body, 'not the secret')).toEqual({
      valid: false,
      reason: 'bad-signature',
    });
  });

  it.each([
    ['no prefix', '757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17'],
    ['the SHA-1 prefix', 'sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17'],
    ['a truncated digest', 'sha256=757107ea0eb2509fc211221cce984b8a'],
    ['an overlong digest', `${GITHUB_DOCS_VECTOR.header}00`],
    ['non-hex characters', 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043ezz'],
    ['an empty value', ''],
  ])('reports %s as malformed', (_name, header) => {
    expect(verifyPrefixedHex(header, GITHUB_DOCS_VECTOR.body, GITHUB_DOCS_VECTOR.secret)).toEqual({
      valid: false,
      reason: 'malformed-signature',
    });
  });
});
