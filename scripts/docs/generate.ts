/**
 * Renders every generated block into its document. `generateDocs` only computes; writing, and
 * judging staleness, are separate so a test can check the committed docs without touching them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BLOCKS, type BlockSpec, lazySources } from './blocks';
import { replaceBlocks } from './markers';

export const ROOT = path.resolve(__dirname, '..', '..');

export interface GeneratedDoc {
  readonly file: string;
  readonly current: string;
  readonly generated: string;
}

export function generateDocs(root: string = ROOT, blocks: readonly BlockSpec[] = BLOCKS): GeneratedDoc[] {
  const sources = lazySources();
  const files = [...new Set(blocks.map((b) => b.file))];
  return files.map((file) => {
    const current = fs.readFileSync(path.join(root, file), 'utf8');
    const rendered = blocks.filter((b) => b.file === file).map((b) => ({ id: b.id, source: b.source, body: b.render(root, sources) }));
    return { file, current, generated: replaceBlocks(file, current, rendered) };
  });
}

/** The documents whose committed text differs from what the generator writes, each with a diff hint. */
export function staleDocs(docs: readonly GeneratedDoc[]): { file: string; hint: string }[] {
  return docs.filter((d) => d.current !== d.generated).map((d) => ({ file: d.file, hint: diffHint(d.current, d.generated) }));
}

/** Writes the documents that changed; returns their paths. */
export function writeDocs(docs: readonly GeneratedDoc[], root: string = ROOT): string[] {
  const changed = docs.filter((d) => d.current !== d.generated);
  for (const d of changed) fs.writeFileSync(path.join(root, d.file), d.generated);
  return changed.map((d) => d.file);
}

/** The first lines where committed and generated text part, a few of each: enough to see what moved. */
export function diffHint(current: string, generated: string, context = 4): string {
  const a = current.split('\n');
  const b = generated.split('\n');
  let first = 0;
  while (first < a.length && first < b.length && a[first] === b[first]) first++;
  let lastA = a.length - 1;
  let lastB = b.length - 1;
  while (lastA >= first && lastB >= first && a[lastA] === b[lastB]) {
    lastA--;
    lastB--;
  }
  const clip = (lines: string[], from: number, to: number, sign: string) => {
    const shown = lines.slice(from, Math.min(to + 1, from + context)).map((line) => `${sign} ${line}`);
    const more = to + 1 - from - shown.length;
    return more > 0 ? [...shown, `${sign} … ${more} more line(s)`] : shown;
  };
  return [`@@ line ${first + 1}`, ...clip(a, first, lastA, '-'), ...clip(b, first, lastB, '+')].join('\n');
}
