import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const scripts = Object.keys(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts as Record<string, string>);
const help = fs.readFileSync(path.join(ROOT, 'help'), 'utf8');

/** How each script is invoked: `npm test` is the one npm runs without `run`. */
const invocation = (script: string) => (script === 'test' ? 'npm test' : `npm run ${script}`);

describe('help', () => {
  test('the help script prints the help file', () => {
    expect(scripts).toContain('help');
  });

  test.each(scripts)('lists the npm script %s on one line, with what it does', (script) => {
    const lines = help.split('\n').filter((line) => line.trimStart().startsWith(`${invocation(script)} `));
    expect(lines).toHaveLength(1);
    const description = lines[0].trim().slice(invocation(script).length).trim();
    expect(description.length).toBeGreaterThan(10);
  });
});
