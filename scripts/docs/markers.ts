/**
 * Generated blocks inside hand-written docs. Each sits between
 * `<!-- BEGIN GENERATED: <id> … -->` and `<!-- END GENERATED -->`: the generator owns what is
 * between the markers (the BEGIN line included, which names the source to edit instead), the
 * maintainers own everything around them.
 */

export const END_MARKER = '<!-- END GENERATED -->';
const BEGIN = /^<!-- BEGIN GENERATED: (\S+)(?: .*)? -->$/;

export interface Block {
  readonly id: string;
  /** Where a maintainer changes what the block says: written into the BEGIN marker. */
  readonly source: string;
  readonly body: string;
}

export const beginMarker = (block: Pick<Block, 'id' | 'source'>): string =>
  `<!-- BEGIN GENERATED: ${block.id} by npm run docs from ${block.source}; edit that, not this -->`;

/**
 * The document with each block's content replaced. A document must hold exactly the blocks it is
 * given, each once: a block left over from a removed generator, or one a document lost, is an
 * error rather than silently stale text.
 */
export function replaceBlocks(file: string, document: string, blocks: readonly Block[]): string {
  const lines = document.split('\n');
  const out: string[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < lines.length; i++) {
    const id = BEGIN.exec(lines[i])?.[1];
    if (id === undefined) {
      out.push(lines[i]);
      continue;
    }
    const block = blocks.find((b) => b.id === id);
    if (!block) throw new Error(`${file}: no generator writes the block "${id}"; remove its markers`);
    if (seen.has(id)) throw new Error(`${file}: the block "${id}" appears twice`);
    seen.add(id);
    const end = lines.indexOf(END_MARKER, i + 1);
    const nextBegin = lines.findIndex((line, j) => j > i && BEGIN.test(line));
    if (end < 0 || (nextBegin >= 0 && nextBegin < end)) throw new Error(`${file}: the block "${id}" has no ${END_MARKER}`);
    out.push(beginMarker(block), '', block.body, '', END_MARKER);
    i = end;
  }
  const missing = blocks.filter((b) => !seen.has(b.id)).map((b) => b.id);
  if (missing.length) {
    throw new Error(
      `${file}: add the markers of ${missing.map((id) => `"${id}"`).join(', ')}: <!-- BEGIN GENERATED: <id> --> then ${END_MARKER}`,
    );
  }
  return out.join('\n');
}
