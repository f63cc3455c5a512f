/**
 * The Terraform variables and outputs as the synthesized JSON declares them: what `terraform plan`
 * checks, not what a comment says it checks.
 */
import { code, NONE, table } from './markdown';

interface Variable {
  readonly type?: string;
  readonly default?: unknown;
  readonly description?: string;
  readonly validation?: readonly { readonly condition: string; readonly error_message: string }[];
}

/** A value as it would be written in a *.tfvars file. */
export function hcl(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(hcl).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (!entries.length) return '{}';
    const key = (k: string) => (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(k) ? k : JSON.stringify(k));
    return `{ ${entries.map(([k, v]) => `${key(k)} = ${hcl(v)}`).join(', ')} }`;
  }
  return JSON.stringify(value);
}

/** `${…}` is how cdktf writes an expression into JSON; the docs show the expression itself. */
const expression = (condition: string): string => /^\$\{([\s\S]*)\}$/.exec(condition)?.[1] ?? condition;

export function variablesTable(json: any): string {
  const variables = Object.entries((json.variable ?? {}) as Record<string, Variable>);
  const rows = variables.map(([name, v]) => [
    code(name),
    v.type ? code(v.type) : NONE,
    'default' in v ? code(hcl(v.default)) : '**required**',
    (v.validation ?? []).map((rule) => `${rule.error_message} (${code(expression(rule.condition))})`).join('<br>') || NONE,
    v.description ?? NONE,
  ]);
  return table(['variable', 'type', 'default', 'validation: the error, and the condition', 'description'], rows);
}

export function outputsTable(json: any): string {
  const outputs = Object.entries((json.output ?? {}) as Record<string, { description?: string }>);
  return table(
    ['output', 'description'],
    outputs.map(([name, o]) => [code(name), o.description ?? NONE]),
  );
}
