import { Fn, ref, Token } from 'cdktf';
import { skipTemplateSequence } from './hcl-strings';

/** How cdktf writes an unresolved token into a string. */
const TOKEN_MARKER = /^\$\{TfToken\[TOKEN\.\d+\]\}/;

/**
 * Makes a string that mixes text with references safe to pass to cdktf's `Fn.*` functions.
 *
 * Inside a function call cdktf renders a plain string as a literal: a raw `${var.x}` in it is
 * escaped to `$${var.x}` and reaches AWS as text. And a string mixing text with tokens, nested in
 * a second function (`concat`, a conditional), comes out right only after cdktf warns about
 * "escape sequences". So each raw `${expr}` becomes a `ref(expr)` token, tokens already in the
 * string stay as they are, and a string made of several parts becomes `join("", [parts])`: every
 * part is then a plain literal or a whole token, which cdktf renders cleanly at any depth.
 * An escaped `$${` is the literal `${` it stands for.
 */
export function templateAsExpression(template: string): string {
  const parts: string[] = [];
  let literal = '';
  const flush = () => {
    if (literal) parts.push(literal);
    literal = '';
  };
  let i = 0;
  while (i < template.length) {
    const rest = template.slice(i);
    const marker = TOKEN_MARKER.exec(rest);
    if (marker) {
      flush();
      parts.push(marker[0]);
      i += marker[0].length;
    } else if (rest.startsWith('$${')) {
      literal += '${';
      i += 3;
    } else if (rest.startsWith('${')) {
      flush();
      const end = skipTemplateSequence(template, i);
      parts.push(Token.asString(ref(template.slice(i + 2, end - 1).trim())));
      i = end;
    } else {
      literal += template[i];
      i += 1;
    }
  }
  flush();
  if (parts.length <= 1) return parts[0] ?? '';
  return Fn.join('', parts);
}
