import { isJsonObject, stringMember } from '../../../src/handlers/shared/json';

describe('JSON helpers', () => {
  it('recognises only plain objects as JSON objects', () => {
    expect(isJsonObject({})).toBe(true);
    expect(isJsonObject([])).toBe(false);
    expect(isJsonObject(null)).toBe(false);
    expect(isJsonObject('x')).toBe(false);
  });

  it('reads a non-empty string member', () => {
    expect(stringMember({ id: 'x' }, 'id')).toBe('x');
    expect(stringMember({ id: '' }, 'id')).toBeUndefined();
    expect(stringMember({ id: 5 }, 'id')).toBeUndefined();
    expect(stringMember(['id'], 'id')).toBeUndefined();
  });
});
