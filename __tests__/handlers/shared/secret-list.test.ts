import { secretsIn } from '../../../src/handlers/shared/secret-list';

describe('secretsIn', () => {
  it('reads one secret per line, current first, ignoring blank lines and edge spaces', () => {
    expect(secretsIn('current\nprevious')).toEqual(['current', 'previous']);
    expect(secretsIn('  whsec_abc= \r\n\r\n older\n')).toEqual(['whsec_abc=', 'older']);
  });

  it('reads a single secret as a list of one, and nothing as none', () => {
    expect(secretsIn('only')).toEqual(['only']);
    expect(secretsIn('\n \n')).toEqual([]);
  });
});
