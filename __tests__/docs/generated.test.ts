/**
 * The committed docs are what `npm run docs` writes: a prop, variable, alarm or rule changed in the
 * code without regenerating the docs fails here, naming the file and where it differs.
 */
import { diffHint, generateDocs, staleDocs } from '../../scripts/docs/generate';
import { cell, code, table } from '../../scripts/docs/markdown';
import { END_MARKER, replaceBlocks } from '../../scripts/docs/markers';

describe('generated docs', () => {
  test('every generated block in docs/ matches what `npm run docs` writes', () => {
    const stale = staleDocs(generateDocs());
    const report = stale.map(({ file, hint }) => `${file} differs from what \`npm run docs\` writes:\n${hint}`).join('\n\n');
    if (stale.length) throw new Error(`${report}\n\nRun \`npm run docs\` and commit the result.`);
  });
});

describe('markers', () => {
  const block = { id: 'a/b', source: 'src/x.ts', body: 'new' };
  const doc = (inner: string) => `# T\n\nbefore\n<!-- BEGIN GENERATED: a/b -->\n${inner}\n${END_MARKER}\nafter\n`;

  test('replace what is between them, marker naming the source, and leave the rest', () => {
    const once = replaceBlocks('d.md', doc('old\ntext'), [block]);
    expect(once).toBe(
      `# T\n\nbefore\n<!-- BEGIN GENERATED: a/b by npm run docs from src/x.ts; edit that, not this -->\n\nnew\n\n${END_MARKER}\nafter\n`,
    );
    expect(replaceBlocks('d.md', once, [block])).toBe(once);
  });

  test('a block without its markers, an unknown block, a twice-used or unterminated one fail naming the file', () => {
    expect(() => replaceBlocks('d.md', '# T\n', [block])).toThrow(/d\.md: add the markers of "a\/b"/);
    expect(() => replaceBlocks('d.md', doc('x'), [])).toThrow(/d\.md: no generator writes the block "a\/b"/);
    expect(() => replaceBlocks('d.md', doc('x') + doc('y'), [block])).toThrow(/appears twice/);
    expect(() => replaceBlocks('d.md', '<!-- BEGIN GENERATED: a/b -->\nx\n', [block])).toThrow(/has no <!-- END GENERATED -->/);
  });
});

describe('markdown', () => {
  test('cells escape pipes and fold lines; code spans survive backticks', () => {
    expect(cell('a | b\n  c')).toBe('a \\| b c');
    expect(code('x')).toBe('`x`');
    expect(code('a`b')).toBe('`` a`b ``');
    expect(table(['h1', 'h2'], [['`a|b`', 'c']])).toBe('| h1 | h2 |\n|---|---|\n| `a\\|b` | c |');
  });

  test('the diff hint shows the first lines that differ', () => {
    expect(diffHint('a\nb\nc\n', 'a\nB\nc\n')).toBe('@@ line 2\n- b\n+ B');
  });
});
