/**
 * Just enough of Terraform's expression language to compare the values the rules care about,
 * many of which are plan-time expressions: a timeout of `${var.function_timeouts.validator}`, a
 * visibility timeout of `${var.function_timeouts.validator * 6}`, or `${(var.function_timeouts.validator * 6)}`
 * as cdktf's `Op.mul` writes it.
 */

/** `factor × term`, or the plain number `factor` when there is no term. */
export interface Linear {
  /** A Terraform traversal such as `var.function_timeouts.validator`; absent for a constant. */
  readonly term?: string;
  readonly factor: number;
}

const NUMBER = String.raw`\d+(?:\.\d+)?`;
const TRAVERSAL = String.raw`[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[\d+\])*`;
const CONSTANT = new RegExp(`^${NUMBER}$`);
const TERM = new RegExp(`^(${TRAVERSAL})$`);
const TERM_TIMES = new RegExp(`^(${TRAVERSAL})\\s*\\*\\s*(${NUMBER})$`);
const TIMES_TERM = new RegExp(`^(${NUMBER})\\s*\\*\\s*(${TRAVERSAL})$`);
const WHOLE_INTERPOLATION = /^\$\{([^{}]*)\}$/;
const PARENTHESIZED = /^\(([^()]*)\)$/;

/**
 * Reads a number, a numeric string, or one interpolation of the forms `x`, `x * k` or `k * x`,
 * each optionally in parentheses (cdktf's `Op` functions parenthesize what they render).
 * Anything else (a conditional, a function call, several interpolations) is `undefined`: the
 * rules treat what they cannot read as unproven rather than guess.
 */
export function linear(value: unknown): Linear | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? { factor: value } : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (CONSTANT.test(text)) return { factor: Number(text) };
  const interpolation = WHOLE_INTERPOLATION.exec(text);
  if (!interpolation) return undefined;
  let expression = interpolation[1].trim();
  const parenthesized = PARENTHESIZED.exec(expression);
  if (parenthesized) expression = parenthesized[1].trim();
  if (CONSTANT.test(expression)) return { factor: Number(expression) };
  const term = TERM.exec(expression);
  if (term) return { term: term[1], factor: 1 };
  const termTimes = TERM_TIMES.exec(expression);
  if (termTimes) return { term: termTimes[1], factor: Number(termTimes[2]) };
  const timesTerm = TIMES_TERM.exec(expression);
  if (timesTerm) return { term: timesTerm[2], factor: Number(timesTerm[1]) };
  return undefined;
}

export type Comparison = 'holds' | 'fails' | 'unknown';

/**
 * Whether `left ≥ multiple × right`. Provable when both are constants, or when both scale the
 * same term (assumed positive: the terms compared here are timeouts and retention periods,
 * which Terraform variable validation and AWS keep ≥ 1).
 */
export function atLeast(left: Linear | undefined, multiple: number, right: Linear | undefined): Comparison {
  if (!left || !right || left.term !== right.term) return 'unknown';
  return left.factor >= multiple * right.factor ? 'holds' : 'fails';
}

/** Renders a linear value back as Terraform would show it, for messages. */
export function describeLinear(value: Linear | undefined, raw: unknown): string {
  if (!value) return JSON.stringify(raw);
  if (value.term === undefined) return String(value.factor);
  return value.factor === 1 ? value.term : `${value.term} * ${value.factor}`;
}

const BOUNDED = /^\$\{\s*(min|max)\(\s*(\d+(?:\.\d+)?)\s*,/;

/**
 * A bound a value provably keeps: the number itself for a constant, else `k` for an expression
 * of the form `max(k, …)` (a lower bound) or `min(k, …)` (an upper bound). Constructs clamp
 * plan-time values this way so that limits stay provable at synth.
 */
function bound(value: unknown, fn: 'min' | 'max'): number | undefined {
  const parsed = linear(value);
  if (parsed && parsed.term === undefined) return parsed.factor;
  if (typeof value !== 'string') return undefined;
  const match = BOUNDED.exec(value.trim());
  return match && match[1] === fn ? Number(match[2]) : undefined;
}

/** The least `value` can be: a constant, or `k` of `max(k, …)`. */
export const lowerBound = (value: unknown): number | undefined => bound(value, 'max');

/** The most `value` can be: a constant, or `k` of `min(k, …)`. */
export const upperBound = (value: unknown): number | undefined => bound(value, 'min');
