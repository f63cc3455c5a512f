/** Reading IAM policy documents out of synthesized attributes. */

export interface Statement {
  readonly Sid?: string;
  readonly Effect?: string;
  readonly Action?: unknown;
  readonly NotAction?: unknown;
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Condition?: unknown;
}

/**
 * The statements of a policy given as literal JSON (how every construct here writes them, with
 * `${…}` references inside the strings). `undefined` when the attribute is not literal JSON,
 * e.g. `${data.aws_iam_policy_document.x.json}`: such a policy cannot be checked at synth.
 */
export function statementsOf(policy: unknown): Statement[] | undefined {
  if (typeof policy !== 'string') return undefined;
  let document: unknown;
  try {
    document = JSON.parse(policy);
  } catch {
    return undefined;
  }
  if (document === null || typeof document !== 'object') return undefined;
  const statements = (document as { Statement?: unknown }).Statement;
  if (statements === undefined) return undefined;
  return (Array.isArray(statements) ? statements : [statements]).filter((s): s is Statement => s !== null && typeof s === 'object');
}

/** A policy element that may be one value or a list, as a list of strings. */
export function listOf(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

export const isAllow = (s: Statement): boolean => s.Effect === 'Allow';

/** `"*"`, `{ "AWS": "*" }` or `{ "AWS": ["*", …] }`: anyone. */
export function isWildcardPrincipal(principal: unknown): boolean {
  if (principal === '*') return true;
  if (principal === null || typeof principal !== 'object') return false;
  return Object.values(principal).some((value) => listOf(value).includes('*'));
}

/** Names of a statement (its Sid, or its position) for messages. */
export function statementName(statement: Statement, index: number): string {
  return statement.Sid ? `statement "${statement.Sid}"` : `statement #${index + 1}`;
}
