import { TerraformElement, TerraformStack, TerraformVariable } from 'cdktf';

/**
 * HCL output (`cdktf synth --hcl`) for strings that mix literal text and interpolations.
 *
 * cdktf 0.21 renders every string attribute as `"<value>"`, escaping double quotes only when the
 * value holds no `${` (it assumes such a value is one bare expression), and never escaping
 * backslashes or newlines (hashicorp/terraform-cdk#3911, unfixed: CDKTF is sunset). So a JSON
 * policy or redrive policy that carries a reference, such as
 * `{"deadLetterTargetArn":"${aws_sqs_queue.dlq.arn}"}`, comes out as invalid HCL. The JSON output
 * is not affected: there, JSON's own string escaping covers the literal text.
 *
 * A Terraform string value is a template in both syntaxes: literal text, `$${` / `%%{` escapes and
 * `${…}` / `%{…}` sequences holding native-syntax expressions. Only the literal text needs HCL's
 * quoted-string escapes; the expressions must stay byte for byte. {@link escapeHclTemplate} does
 * exactly that, and {@link renderWithHclSafeStrings} applies it to every string of every element
 * just before cdktf renders it, so cdktf's own escaping finds nothing left to do.
 */

const LITERAL_ESCAPES: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeLiteral(char: string): string {
  const escaped = LITERAL_ESCAPES[char];
  if (escaped !== undefined) return escaped;
  const code = char.charCodeAt(0);
  return code < 0x20 ? `\\u${code.toString(16).padStart(4, '0')}` : char;
}

/** Index just past the quoted string that opens at `start` (a `"`), inside an expression. */
function skipQuotedString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const char = text[i];
    if (char === '\\') {
      i += 2;
    } else if (char === '"') {
      return i + 1;
    } else if ((char === '$' || char === '%') && text[i + 1] === '{') {
      i = skipTemplateSequence(text, i);
    } else {
      i += 1;
    }
  }
  return i;
}

/**
 * Index just past the `${…}` or `%{…}` sequence that opens at `start`, counting nested braces and
 * skipping quoted strings (which may hold braces and templates of their own).
 */
export function skipTemplateSequence(text: string, start: number): number {
  let depth = 0;
  let i = start + 1;
  while (i < text.length) {
    const char = text[i];
    if (char === '"') {
      i = skipQuotedString(text, i);
      continue;
    }
    if (char === '{') depth += 1;
    if (char === '}') {
      depth -= 1;
      if (depth === 0) return i + 1;
    }
    i += 1;
  }
  return i;
}

/**
 * The body of an HCL quoted string (without the surrounding quotes) holding the same template as
 * `value` does as a Terraform JSON string: literal text escaped, template sequences and their
 * `$${` / `%%{` escapes kept as they are.
 */
export function escapeHclTemplate(value: string): string {
  let out = '';
  let i = 0;
  while (i < value.length) {
    const char = value[i];
    const next = value[i + 1];
    if ((char === '$' || char === '%') && next === char && value[i + 2] === '{') {
      // An escaped `${` or `%{`: literal text, already written the way HCL wants it.
      out += value.slice(i, i + 3);
      i += 3;
    } else if ((char === '$' || char === '%') && next === '{') {
      const end = skipTemplateSequence(value, i);
      out += value.slice(i, end);
      i = end;
    } else {
      out += escapeLiteral(char);
      i += 1;
    }
  }
  return out;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(value));

/**
 * `transform` applied to every string in arrays and plain objects, recursively; anything else
 * (numbers, booleans, null, tokens that resolve later) is kept as it is.
 */
export function mapStrings<T>(value: T, transform: (text: string, path: string) => string, path = ''): T {
  if (typeof value === 'string') return transform(value, path) as T;
  if (Array.isArray(value)) return value.map((item, i) => mapStrings(item, transform, `${path}[${i}]`)) as T;
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mapStrings(item, transform, `${path}.${key}`)])) as T;
  }
  return value;
}

/** {@link escapeHclTemplate} applied to every string of a JSON-like value. */
export function escapeHclStrings<T>(value: T): T {
  return mapStrings(value, escapeHclTemplate);
}

/**
 * cdktf leaves out every variable attribute whose value is falsy, so `default = ""` and
 * `nullable = false` vanish from the HCL: the variable turns required, or nullable. Puts back what
 * the JSON output of the same variable holds.
 */
function restoreFalsyVariableAttributes(variable: TerraformVariable, fragment: Record<string, any>): Record<string, any> {
  const [[name, hcl]] = Object.entries<Record<string, unknown>>(fragment.variable);
  const json = variable.toTerraform().variable[name];
  if (json.default !== undefined && hcl.default === undefined) hcl.default = { value: json.default, type: 'any' };
  if (json.nullable === false) hcl.nullable = { value: false, type: 'simple', storageClassType: 'boolean' };
  return fragment;
}

/** cdktf quotes `depends_on` entries (deprecated quoted references); an unquoted list is written as is. */
function unquoteDependsOn(fragment: Record<string, any>): Record<string, any> {
  for (const blocks of [fragment.resource, fragment.data]) {
    for (const byName of Object.values<Record<string, any>>(blocks ?? {})) {
      for (const attributes of Object.values<Record<string, any>>(byName)) {
        if (Array.isArray(attributes.depends_on)) attributes.depends_on = `[${attributes.depends_on.join(', ')}]`;
      }
    }
  }
  return fragment;
}

/**
 * cdktf 0.21 writes a lifecycle's `precondition` list as an argument (`precondition = [...]`),
 * which Terraform refuses: each must be a `precondition { … }` block. And it quotes
 * `ignore_changes` entries, which Terraform warns are deprecated quoted references. Typed as a
 * list of blocks and as a reference, cdktf's renderer writes both as Terraform wants them.
 */
function lifecycleBlocks(fragment: Record<string, any>): Record<string, any> {
  for (const byName of Object.values<Record<string, any>>(fragment.resource ?? {})) {
    for (const attributes of Object.values<Record<string, any>>(byName)) {
      const lifecycle = attributes.lifecycle as Record<string, unknown> | undefined;
      if (!lifecycle || (!Array.isArray(lifecycle.precondition) && !Array.isArray(lifecycle.ignore_changes))) continue;
      const { precondition, ignore_changes: ignoreChanges, ...rest } = lifecycle;
      attributes.lifecycle = {
        isBlock: true,
        value: {
          ...rest,
          ...(Array.isArray(ignoreChanges) ? { ignore_changes: { type: 'reference', value: `[${ignoreChanges.join(', ')}]` } } : {}),
          ...(Array.isArray(precondition) ? { precondition: { isBlock: true, type: 'list', value: precondition } } : {}),
        },
      };
    }
  }
  return fragment;
}

/**
 * Runs `render` (a stack's `toHclTerraform`) while every Terraform element of `stack` hands cdktf
 * its HCL fragment with literal text already escaped. Unresolved tokens are `${TfToken[…]}`
 * sequences at this point, so they are kept as they are and resolve afterwards as usual.
 */
export function renderWithHclSafeStrings<T>(stack: TerraformStack, render: () => T): T {
  const elements = stack.node.findAll().filter((c): c is TerraformElement => TerraformElement.isTerraformElement(c));
  for (const element of elements) {
    const original = element.toHclTerraform;
    element.toHclTerraform = () => {
      const fragment = lifecycleBlocks(unquoteDependsOn(escapeHclStrings(original.call(element))));
      return element instanceof TerraformVariable ? restoreFalsyVariableAttributes(element, fragment) : fragment;
    };
  }
  try {
    return render();
  } finally {
    // The own property shadowed the class's method; removing it restores that method.
    for (const element of elements) delete (element as { toHclTerraform?: unknown }).toHclTerraform;
  }
}
