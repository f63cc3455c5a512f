/**
 * Every relative link and `#anchor` in README.md and docs/ resolves: a file moved or a heading
 * renamed fails here, naming the file, the line and the link, instead of a reader finding a 404.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { anchorsOf, linksOf, slug } from './markdown-links';

const ROOT = path.resolve(__dirname, '..', '..');

function markdownUnder(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) return markdownUnder(relative);
    return entry.name.endsWith('.md') ? [relative] : [];
  });
}

const FILES = ['README.md', ...markdownUnder('docs')];
const anchorCache = new Map<string, Set<string>>();
const anchors = (file: string) => {
  if (!anchorCache.has(file)) anchorCache.set(file, anchorsOf(fs.readFileSync(path.join(ROOT, file), 'utf8')));
  return anchorCache.get(file)!;
};

/** Why a link does not resolve, or undefined when it does. */
function brokenReason(from: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // https:, mailto:: not ours to check offline
  const [rawPath, anchor] = target.split('#', 2);
  const file = rawPath ? path.normalize(path.join(path.dirname(from), decodeURIComponent(rawPath))) : from;
  if (file.startsWith('..')) return 'points outside the repository';
  if (!fs.existsSync(path.join(ROOT, file))) return `${file} does not exist`;
  if (anchor === undefined) return undefined;
  if (!file.endsWith('.md')) return `${file} is not Markdown, so it has no #${anchor}`;
  return anchors(file).has(anchor) ? undefined : `${file} has no heading or id "${anchor}"`;
}

describe('links in README.md and docs/', () => {
  test('finds the documents, and links in them', () => {
    expect(FILES).toEqual(expect.arrayContaining(['README.md', path.join('docs', 'README.md'), path.join('docs', 'RUNBOOK.md')]));
    expect(linksOf(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')).length).toBeGreaterThan(10);
  });

  test.each(FILES)('every relative link and anchor in %s resolves', (file) => {
    const links = linksOf(fs.readFileSync(path.join(ROOT, file), 'utf8'));
    const broken = links
      .map((link) => ({ ...link, reason: brokenReason(file, link.target) }))
      .filter((link) => link.reason !== undefined)
      .map((link) => `${file}:${link.line} (${link.target}): ${link.reason}`);
    expect(broken).toEqual([]);
  });
});

describe('the link reader', () => {
  test('reads links across line breaks, skips code and comments, and reference definitions count', () => {
    const md = [
      'See [the\nrunbook](RUNBOOK.md#x) and ![pic](a.png).',
      '`[not](a-link.md)` <!-- [nor](this.md) -->',
      '```md',
      '[nor](that.md)',
      '```',
      '[ref]: ./REF.md',
    ].join('\n');
    expect(linksOf(md)).toEqual([
      { target: 'RUNBOOK.md#x', line: 1 },
      { target: 'a.png', line: 2 },
      { target: './REF.md', line: 7 },
    ]);
  });

  test('anchors follow GitHub: punctuation dropped, code kept, repeats numbered, explicit ids', () => {
    expect(slug('Delivery contract (what a receiver codes against)')).toBe('delivery-contract-what-a-receiver-codes-against');
    expect(slug('`AlarmThresholds` (`alarmThresholds`)')).toBe('alarmthresholds-alarmthresholds');
    expect(slug('7. Layout')).toBe('7-layout');
    expect(slug('`Resource: "*"` exceptions')).toBe('resource--exceptions');
    expect([...anchorsOf('# A\n## A\n```\n# not\n```\n<a id="kind"></a>\n')]).toEqual(['a', 'a-1', 'kind']);
  });
});
