import { decodeBase64Digest, decodeHexDigest, digestsEqual, hmacSha256, matchesAny } from '../../../../src/handlers/shared/signatures/hmac';
import { GITHUB_DOCS_VECTOR } from './vectors';

describe('HMAC primitives', () => {
  const digest = hmacSha256(GITHUB_DOCS_VECTOR.secret, GITHUB_DOCS_VECTOR.body);

  it('computes HMAC-SHA256 over UTF-8 text', () => {
    expect(`sha256=${digest.toString('hex')}`).toBe(GITHUB_DOCS_VECTOR.header);
  });

  it('takes the key as text or as bytes', () => {
    expect(hmacSha256(Buffer.from(GITHUB_DOCS_VECTOR.secret, 'utf8'), GITHUB_DOCS_VECTOR.body)).toEqual(digest);
  });

  it('finds a matching digest in any position among candidates', () => {
    const other = Buffer.alloc(32);
    expect(matchesAny(digest, [other, Buffer.from(digest), other])).toBe(true);
    expect(matchesAny(digest, [other, digest.subarray(0, 16)])).toBe(false);
    expect(matchesAny(digest, [])).toBe(false);
  });

  it('compares digests of different lengths as unequal instead of throwing', () => {
    expect(digestsEqual(digest, digest.subarray(0, 16))).toBe(false);
    expect(digestsEqual(digest, Buffer.from(digest))).toBe(true);
  });

  it('decodes only a full-length digest', () => {
    expect(decodeHexDigest(digest.toString('hex'))).toEqual(digest);
    expect(decodeHexDigest(digest.toString('hex').slice(2))).toBeUndefined();
    expect(decodeBase64Digest(digest.toString('base64'))).toEqual(digest);
    expect(decodeBase64Digest(digest.subarray(1).toString('base64'))).toBeUndefined();
  });
});
