/**
 * The Markdown the generated blocks are made of. The docs keep compact, hand-style tables (Prettier
 * leaves `*.md` alone, see .prettierignore), so these helpers write text that needs no formatter:
 * one line per row, cells with their pipes escaped, no trailing spaces.
 */

/** A table cell: GitHub ends a cell at any `|`, even inside a code span, unless it is escaped. */
export function cell(text: string): string {
  return text
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\|/g, '\\|')
    .trim();
}

/** Inline code that survives backticks in its content (CommonMark: a longer fence around it). */
export function code(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = longest > 0 || text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(header), `|${header.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

/** What a cell shows when the source has nothing to say. */
export const NONE = '—';
